"""The publication date an article states at its head: a dateline."""

from __future__ import annotations

import re
from datetime import date

from .rules import find_dates_rules

HEAD_CHARS = 200
# After the date: a dash, colon, closing bracket or line end — the dateline's end, not a sentence's middle.
_DATELINE_END = re.compile(r"\s*[)\]»]?\s*(?:[-–—:|]|\n|$)")
_SENTENCE_END = re.compile(r"[.!?؟]")


def published_from_text(text: str) -> date | None:
    """The full date (day, month, year) of the article's dateline, if its head has one: within the
    first 200 characters, before any sentence has ended, and followed by a dash, colon, bracket or
    line end ("أنقرة - الأحد 12 أكتوبر 2025 - …", "12/10/2025\\n…"). None otherwise."""
    head = text[:HEAD_CHARS]
    for mention in find_dates_rules(head, None):
        if mention.date is None:
            continue
        if _SENTENCE_END.search(head[: mention.start]):
            return None
        if _DATELINE_END.match(head, mention.end):
            return mention.date
    return None
