"""Titles and bullet summaries derived from an article's text, when the input does not give them.

:func:`title_and_summary` takes the first line as the title, or, after a leading block of ``- ``
bullet lines (the summary), the body's first sentence; :func:`shorten` cuts a title to about
:data:`TITLE_CHARS` characters at a clause or word boundary. Part of :mod:`index.readers`, which
re-exports :func:`shorten` and :data:`TITLE_CHARS`.
"""

from __future__ import annotations

import re

from .sentences import split_sentences

TITLE_CHARS = 120
"""Titles derived from the text are shortened to about this many characters."""

_BULLET = re.compile(r"[-•]\s+")
_BULLET_SPLIT = re.compile(r"(?<=[.!?؟…])\s+[-•]\s+(?=\S)")


def shorten(text: str, limit: int = TITLE_CHARS) -> str:
    """One line of at most about ``limit`` characters, cut at a clause or word boundary."""
    text = " ".join(text.split())
    if len(text) > limit:
        head = text[: limit + 1]
        clause = max(head.rfind(mark) for mark in "،,؛;:")
        space = head.rfind(" ")
        cut = clause if clause >= limit // 2 else space if space > 0 else limit
        text = head[:cut].rstrip(" ،,؛;:-") + "…"
    return text.rstrip(" .،,؛;:")


def _first_sentence(text: str) -> str:
    spans = split_sentences(text)
    return text[spans[0].start : spans[0].end] if spans else ""


def _bullet_items(block: str) -> list[str]:
    items: list[str] = []
    for line in block.split("\n"):
        line = _BULLET.sub("", line.strip(), count=1)
        items.extend(item.strip() for item in _BULLET_SPLIT.split(line) if item.strip())
    return items


def title_and_summary(text: str) -> tuple[str, str]:
    """Title from the first line, or (after a bullet summary) from the body's first sentence."""
    lines = text.split("\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        return "", ""
    if not _BULLET.match(lines[i].lstrip()):
        return shorten(lines[i].strip().lstrip("#").strip()), ""
    j = i
    while j < len(lines) and lines[j].strip() and _BULLET.match(lines[j].lstrip()):
        j += 1
    items = _bullet_items("\n".join(lines[i:j]))
    body = "\n".join(lines[j:])
    sentence = _first_sentence(body) or (items[0] if items else "")
    return shorten(sentence), "\n".join(items)
