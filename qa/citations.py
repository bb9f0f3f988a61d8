"""Citation checks: a model's quote counts only if it is really in the passage it cites.

A quote is searched for in its passage after folding both sides the same way
(:func:`index.normalize.normalise_with_map`: diacritics, tatweel, alef/hamza forms, alef
maqsura, ta marbuta, digits, Latin case…; then runs of whitespace squashed to one space and
the ``‹ ›`` stand-ins of :func:`qa.templates.neutralise` folded back to ``< >``). An exact
match of the folded quote wins (first occurrence); otherwise the best approximate match
(edit distance, semi-global alignment) is accepted when its similarity is at least
``min_similarity`` (0.9 by default), so a quote that differs by a letter or a punctuation
mark still verifies.

A verified citation never carries the model's text: its offsets are mapped back through the
normalisation map to EXACT character offsets in the ARTICLE text (``passage.start`` + offset
in the passage, extended over trailing combining marks so a letter keeps its harakat) and its
``quote`` is that article slice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from index.dates import find_dates
from index.documents import Passage
from index.normalize import normalise_with_map
from qa.models import Citation, CitedDate, Claim, DraftAnswer
from qa.templates import GT_STANDIN, LT_STANDIN

MIN_QUOTE_CHARS = 3
"""A quote needs at least this many letters or digits (after folding) to count."""

MIN_FUZZY_CHARS = 12
"""Shorter quotes must match exactly (after folding): one letter is too much of them."""

_EXTRA_FOLD = {LT_STANDIN: "<", GT_STANDIN: ">"}
_EDGE_JUNK = " \"'`.,;:!?-…()[]{}<>*_"
MARKERS = re.compile(r"\s*\[\s*\d+(?:\s*[,،-]\s*\d+)*\s*\]")
"""A ``[1]``, ``[1, 2]``, ``[1-3]`` or ``[١،٢]``-style citation marker (with the space before it)."""


@dataclass(frozen=True)
class Match:
    """Where a quote was found: ``text[start:end]``, and how closely it matched (1.0 = exact)."""

    start: int
    end: int
    similarity: float


def fold(text: str) -> tuple[str, list[int]]:
    """Folded text (normalised, whitespace squashed, stripped) and each character's index in ``text``."""
    norm, index = normalise_with_map(text)
    out: list[str] = []
    where: list[int] = []
    for ch, i in zip(norm, index, strict=True):
        if ch.isspace():
            if not out or out[-1] == " ":
                continue
            out.append(" ")
        else:
            out.append(_EXTRA_FOLD.get(ch, ch))
        where.append(i)
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def _significant(folded: str) -> int:
    return sum(1 for ch in folded if ch.isalnum())


def _sellers(pattern: str, text: str) -> tuple[int, int]:
    """Smallest edit distance of ``pattern`` to any substring of ``text`` ending at ``end``: (distance, end)."""
    n = len(text)
    t = np.fromiter((ord(c) for c in text), dtype=np.int64, count=n)
    cols = np.arange(n + 1, dtype=np.int64)
    prev = np.zeros(n + 1, dtype=np.int64)  # a match may start anywhere: row 0 is all zeros
    best_in = np.empty(n + 1, dtype=np.int64)
    for i, ch in enumerate(pattern, start=1):
        mismatch = (t != ord(ch)).astype(np.int64)
        best_in[0] = i
        np.minimum(prev[:-1] + mismatch, prev[1:] + 1, out=best_in[1:])
        # insertions along the row: D[i][j] = min_k<=j (best_in[k] + (j - k))
        prev = np.minimum.accumulate(best_in - cols) + cols
    end = int(np.argmin(prev))
    return int(prev[end]), end


def _fuzzy(quote: str, text: str) -> tuple[int, int, float] | None:
    """Best approximate occurrence of ``quote`` in ``text`` as (start, end, similarity)."""
    if not quote or not text:
        return None
    distance, end = _sellers(quote, text)
    # The same alignment read backwards gives where it starts.
    _, length = _sellers(quote[::-1], text[:end][::-1])
    start = end - length
    while start < end and text[start] == " ":
        start += 1
    while end > start and text[end - 1] == " ":
        end -= 1
    if end <= start:
        return None
    similarity = 1.0 - distance / max(len(quote), end - start)
    return start, end, similarity


def _to_original(text: str, where: list[int], start: int, end: int) -> tuple[int, int]:
    """Folded span → span in ``text``, extended over trailing combining marks (harakat)."""
    a = where[start]
    b = where[end - 1] + 1
    while b < len(text) and unicodedata.category(text[b]) in ("Mn", "Me"):
        b += 1
    return a, b


def locate(quote: str, text: str, *, min_similarity: float = 0.9) -> Match | None:
    """Find ``quote`` in ``text`` (see the module docstring); ``None`` when it is not there."""
    folded_text, where = fold(text)
    folded_quote, _ = fold(quote)
    if _significant(folded_quote) < MIN_QUOTE_CHARS or not folded_text:
        return None
    candidates = [folded_quote]
    trimmed = folded_quote.strip(_EDGE_JUNK)
    if trimmed != folded_quote and _significant(trimmed) >= MIN_QUOTE_CHARS:
        candidates.append(trimmed)
    for candidate in candidates:
        pos = folded_text.find(candidate)
        if pos >= 0:
            a, b = _to_original(text, where, pos, pos + len(candidate))
            return Match(a, b, 1.0)
    candidate = candidates[-1]
    if len(candidate) < MIN_FUZZY_CHARS or len(candidate) > 2 * len(folded_text) + 10:
        return None
    found = _fuzzy(candidate, folded_text)
    if found is None or found[2] < min_similarity:
        return None
    a, b = _to_original(text, where, found[0], found[1])
    return Match(a, b, found[2])


def invalid_passage_numbers(draft: DraftAnswer, n_passages: int) -> list[int]:
    """Passage numbers the draft cites that were not given (valid numbers are 1…n_passages)."""
    bad = {c.passage for claim in draft.claims for c in claim.citations if not 1 <= c.passage <= n_passages}
    return sorted(bad)


def strip_markers(text: str) -> str:
    """Remove ``[1]``/``[1, 2]`` markers a model put in a claim's text."""
    return MARKERS.sub("", text).strip()


def _article_base(passage: Passage, article_texts: Mapping[str, str] | None) -> tuple[str, int, int] | None:
    """(text to slice quotes from, passage offset in it, passage offset in the article).

    ``None`` when the article is given but does not contain the passage (a stale index): such a
    passage cannot support anything, since its offsets would point at other text.
    """
    if article_texts is None or passage.article_id not in article_texts:
        return passage.text, 0, passage.start
    article = article_texts[passage.article_id]
    if article[passage.start : passage.end] == passage.text:
        return article, passage.start, passage.start
    moved = article.find(passage.text) if passage.text else -1
    if moved < 0:
        return None
    return article, moved, moved


def verify(
    draft: DraftAnswer,
    passages: Sequence[Passage],
    *,
    article_texts: Mapping[str, str] | None = None,
    min_similarity: float = 0.9,
) -> tuple[list[Claim], list[Citation], int]:
    """Check every citation of ``draft`` against ``passages`` (numbered from 1).

    Returns the claims that kept at least one verified citation, the citations numbered
    ``1, 2, …`` in order of first use (deduplicated by chunk and offsets), and how many claims
    were dropped because none of their citations verified. With ``article_texts``
    (``{article_id: text}``) quotes are sliced from the article itself; a passage whose text is
    not found in its article cannot support anything.
    """
    claims: list[Claim] = []
    citations: list[Citation] = []
    numbers: dict[tuple[str, int, int], int] = {}
    unsupported = 0
    for draft_claim in draft.claims:
        text = strip_markers(draft_claim.text)
        refs: list[int] = []
        for draft_citation in draft_claim.citations:
            if not 1 <= draft_citation.passage <= len(passages):
                continue
            passage = passages[draft_citation.passage - 1]
            base = _article_base(passage, article_texts)
            if base is None:
                continue
            match = locate(draft_citation.quote, passage.text, min_similarity=min_similarity)
            if match is None:
                continue
            source, base_in_source, base_in_article = base
            start = base_in_article + match.start
            end = base_in_article + match.end
            key = (passage.chunk_id, start, end)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                citations.append(
                    Citation(
                        n=numbers[key],
                        article_id=passage.article_id,
                        title=passage.title,
                        chunk_id=passage.chunk_id,
                        start=start,
                        end=end,
                        quote=source[base_in_source + match.start : base_in_source + match.end],
                        dates=cited_dates(passage, start, end, base=base_in_article),
                    )
                )
            if numbers[key] not in refs:
                refs.append(numbers[key])
        if refs and text:
            claims.append(Claim(text=text, citations=refs))
        else:
            unsupported += 1
    return claims, citations, unsupported


def cited_dates(passage: Passage, start: int, end: int, *, base: int | None = None) -> list[CitedDate]:
    """The resolved dates of the quote ``[start, end)`` (article offsets) of ``passage``, found in the
    quote's whole sentence(s) and resolved against the article's date (``passage.date``); ``base`` is the
    article offset of the passage's first character when it moved (default ``passage.start``)."""
    base = passage.start if base is None else base
    shift = base - passage.start
    lo, hi = start, end
    for span in passage.sentences:
        if span.start + shift < end and start < span.end + shift:
            lo, hi = min(lo, span.start + shift), max(hi, span.end + shift)
    lo, hi = max(lo, base), min(hi, base + len(passage.text))
    out = []
    for m in find_dates(passage.text[lo - base : hi - base], passage.date):
        a, b = lo + m.start, lo + m.end
        if m.resolved and a < end and start < b:
            out.append(CitedDate(text=m.text, start=a, end=b, date=m.date, range=m.range))
    return out


_FINAL_PUNCT = ".!?؟。…"


def compose_answer(claims: Sequence[Claim]) -> str:
    """The answer text: each claim followed by its ``[n]`` markers (before its final punctuation)."""
    parts: list[str] = []
    for claim in claims:
        text = claim.text.strip()
        markers = "".join(f"[{n}]" for n in claim.citations)
        body = text.rstrip(_FINAL_PUNCT)
        tail = text[len(body) :]
        parts.append(f"{body.rstrip()} {markers}{tail}".strip() if markers else text)
    return " ".join(parts)
