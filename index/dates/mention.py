"""A date mention: where it is in the text and what it resolves to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DateMention:
    """``text[start:end] == mention.text``; at most one of ``date`` (a day) and ``range`` (a week,
    month, year or part of one, both ends included) is set, neither when the mention needs a
    publication date that is unknown ("أمس" with ``published=None``)."""

    start: int
    end: int
    text: str
    date: dt.date | None = None
    range: tuple[dt.date, dt.date] | None = None

    @property
    def resolved(self) -> bool:
        return self.date is not None or self.range is not None

    @property
    def first_day(self) -> dt.date | None:
        """The day, or the first day of the range."""
        return self.date or (self.range[0] if self.range else None)

    def as_dict(self) -> dict[str, Any]:
        """``{start, end, text, date}`` or ``{start, end, text, range: [from, to]}`` (ISO dates;
        ``date`` is null when unresolved)."""
        out: dict[str, Any] = {"start": self.start, "end": self.end, "text": self.text}
        if self.range is not None:
            out["range"] = [self.range[0].isoformat(), self.range[1].isoformat()]
        else:
            out["date"] = self.date.isoformat() if self.date else None
        return out

    def label(self) -> str:
        """The resolution for people: ``2025-10-12``, ``2025-08-01 – 2025-08-31`` or ``?``."""
        if self.range is not None:
            return f"{self.range[0].isoformat()} – {self.range[1].isoformat()}"
        return self.date.isoformat() if self.date else "?"
