"""Mentions measured against labels: the labelled set's reader and its exact-match score.

A label is found when a mention overlaps it, exact when that mention also resolves to the same day or
range; a mention overlapping no label is spurious. Used by ``benchmarks/dates.py`` and the tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .mention import DateMention

Value = date | tuple[date, date] | None
Finder = Callable[[str, date | None], list[DateMention]]


@dataclass(frozen=True)
class Label:
    start: int
    end: int
    text: str
    value: Value


@dataclass(frozen=True)
class Case:
    """One text with its publication date and labelled mentions; ``where`` names it in reports, ``batch``
    says which part of the set it is ("dev": written beside the rules, "unseen": written after them and
    first measured as is, "seed": the seed articles)."""

    where: str
    text: str
    published: date
    labels: tuple[Label, ...]
    batch: str = "dev"


@dataclass
class Score:
    labels: int = 0
    exact: int = 0
    wrong: int = 0
    missed: int = 0
    spurious: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def found(self) -> int:
        return self.exact + self.wrong

    @property
    def accuracy(self) -> float:
        return self.exact / self.labels if self.labels else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "labels": self.labels,
            "exact": self.exact,
            "found": self.found,
            "wrong": self.wrong,
            "missed": self.missed,
            "spurious": self.spurious,
            "accuracy": round(self.accuracy, 4),
        }


def _value(raw: Any) -> Value:
    if isinstance(raw, list):
        return date.fromisoformat(raw[0]), date.fromisoformat(raw[1])
    return date.fromisoformat(raw) if raw else None


def _labels(where: str, text: str, mentions: Sequence[Sequence[Any]]) -> tuple[Label, ...]:
    out, at = [], 0
    for mention_text, raw in mentions:
        start = text.find(mention_text, at)
        if start < 0:
            raise ValueError(f"{where}: the mention {mention_text!r} is not in the text after character {at}")
        out.append(Label(start, start + len(mention_text), mention_text, _value(raw)))
        at = start + len(mention_text)
    return tuple(out)


def load_cases(path: Path, seeds: Path | None = None) -> list[Case]:
    """The labelled sentences of ``path``, and the seed articles' labels when ``seeds`` holds them."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    cases = []
    for n, item in enumerate(doc["sentences"], 1):
        where = f"{path.name} sentence {n}"
        text = item["text"]
        labels = _labels(where, text, item["mentions"])
        cases.append(Case(where, text, date.fromisoformat(item["published"]), labels, item.get("batch", "dev")))
    for item in doc.get("seeds", []):
        file = seeds / item["file"] if seeds else None
        if file is None or not file.is_file():
            continue
        text = file.read_text(encoding="utf-8")
        where = f"seed {item['file']}"
        labels = _labels(where, text, item["mentions"])
        cases.append(Case(where, text, date.fromisoformat(item["published"]), labels, "seed"))
    return cases


def _resolution(m: DateMention) -> Value:
    return m.range if m.range is not None else m.date


def score(cases: Sequence[Case], finder: Finder) -> Score:
    """Run ``finder`` over every case and count exact, wrong, missed and spurious mentions."""
    total = Score()
    for case in cases:
        found = finder(case.text, case.published)
        used: set[int] = set()
        for label in case.labels:
            total.labels += 1
            hits = [i for i, m in enumerate(found) if m.start < label.end and label.start < m.end]
            used.update(hits)
            if any(_resolution(found[i]) == label.value for i in hits):
                total.exact += 1
                continue
            if hits:
                total.wrong += 1
            else:
                total.missed += 1
            total.errors.append(
                {
                    "where": case.where,
                    "label": label.text,
                    "expected": _show(label.value),
                    "got": [f"{found[i].text} → {found[i].label()}" for i in hits],
                }
            )
        for i, m in enumerate(found):
            if i not in used:
                total.spurious += 1
                total.errors.append({"where": case.where, "spurious": f"{m.text} → {m.label()}"})
    return total


def _show(value: Value) -> str:
    if isinstance(value, tuple):
        return f"{value[0].isoformat()} – {value[1].isoformat()}"
    return value.isoformat() if value else "?"
