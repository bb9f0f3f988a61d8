"""The one check every question, query and chat message passes, whichever door it came in by."""

from __future__ import annotations

from index.errors import RequestError
from index.hygiene import text_problem

MAX_K = 100


def check_question(text: str, limit: int, what: str = "question") -> str:
    """``text`` stripped; :class:`RequestError` (HTTP 422, exit 2) when empty or over ``limit`` characters."""
    text = text.strip()
    if not text:
        raise RequestError(f"the {what} is empty")
    problem = text_problem(text)
    if problem is not None:
        raise RequestError(f"the {what} {problem}")
    if len(text) > limit:
        raise RequestError(
            f"the {what} is {len(text)} characters long; the limit is {limit} (SANAD_MAX_QUESTION_CHARS)",
            limit=limit,
            length=len(text),
        )
    return text


def check_k(k: int | None, default: int) -> int:
    """How many passages to retrieve: ``default`` when not given, else 1 … :data:`MAX_K`."""
    if k is None:
        return default
    if not 1 <= k <= MAX_K:
        raise RequestError(f"k must be between 1 and {MAX_K}, got {k}", k=k)
    return k
