"""Date mentions: Sanad's rules, dateparser alone, and the two combined, on the labelled set.

    .venv/bin/python benchmarks/dates.py                      # tests/fixtures/dates_labelled.json + the seeds
    .venv/bin/python benchmarks/dates.py --errors             # also list every miss, wrong and spurious mention

A label is *found* when a mention overlaps it and *exact* when that mention resolves to the same day or
range (``index.dates.scoring``); *spurious* mentions overlap no label. dateparser runs as
``dateparser.search.search_dates(text, languages=["ar", "en"])`` with ``RELATIVE_BASE`` = the publication
date and ``PREFER_DATES_FROM = "past"``; it returns days only, so "in range" also counts a day that falls
inside a labelled range (a lenient reading in its favour). "combined" is the rules plus any dateparser
mention that overlaps none of theirs. A second table splits the shipped rules' score by batch: "dev"
sentences were written beside the rules, "unseen" ones after them (their first measurement, before any
rule was changed for them, was 42 of 52 exact), "seed" the two seed articles. Prints the tables and
writes JSON (default benchmarks/results/dates.json).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval_lab import SHARED, table  # noqa: E402

from index.dates import DateMention, find_dates  # noqa: E402
from index.dates.scoring import Case, Finder, load_cases, score  # noqa: E402

LABELS = ROOT / "tests/fixtures/dates_labelled.json"


def dateparser_finder() -> Finder:
    """dateparser's ``search_dates`` as a finder: each found string located in the text in order, as a day."""
    from dateparser.search import search_dates

    def find(text: str, published: date | None) -> list[DateMention]:
        settings: dict[str, Any] = {"PREFER_DATES_FROM": "past"}
        if published is not None:
            settings["RELATIVE_BASE"] = datetime(published.year, published.month, published.day)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = search_dates(text, languages=["ar", "en"], settings=settings) or []
        out, at = [], 0
        for snippet, when in found:
            start = text.find(snippet, at)
            if start < 0:
                continue
            at = start + len(snippet)
            out.append(DateMention(start, at, snippet, when.date()))
        return out

    return find


def combined(rules: Finder, other: Finder) -> Finder:
    def find(text: str, published: date | None) -> list[DateMention]:
        mine = rules(text, published)
        extra = [m for m in other(text, published) if all(m.end <= r.start or m.start >= r.end for r in mine)]
        return sorted([*mine, *extra], key=lambda m: m.start)

    return find


def in_range(cases: list[Case], finder: Finder) -> int:
    """Labels overlapped by a mention whose day is the labelled day or lies in the labelled range."""
    hits = 0
    for case in cases:
        found = finder(case.text, case.published)
        for label in case.labels:
            for m in found:
                if not (m.start < label.end and label.start < m.end):
                    continue
                day = m.first_day
                value = label.value
                if m.range is not None and m.range == value:
                    hits += 1
                    break
                if day is not None and (day == value or (isinstance(value, tuple) and value[0] <= day <= value[1])):
                    hits += 1
                    break
    return hits


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--seeds", type=Path, default=SHARED / "data/seeds", help="the seed articles (skipped if absent)")
    ap.add_argument("--errors", action="store_true", help="list every error of each method")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/dates.json")
    args = ap.parse_args(argv)
    cases = load_cases(args.labels, args.seeds)
    seeds = sum(len(c.labels) for c in cases if c.where.startswith("seed"))
    print(f"{len(cases)} texts, {sum(len(c.labels) for c in cases)} labelled mentions ({seeds} in the seed articles)")
    dp = dateparser_finder()
    methods: dict[str, Finder] = {
        "rules (shipped)": find_dates,
        "dateparser": dp,
        "rules + dateparser": combined(find_dates, dp),
    }
    results: dict[str, Any] = {}
    rows = []
    for name, finder in methods.items():
        started = time.perf_counter()
        s = score(cases, finder)
        seconds = time.perf_counter() - started
        lenient = in_range(cases, finder)
        results[name] = {**s.as_dict(), "in_range": lenient, "seconds": round(seconds, 3), "errors": s.errors}
        rows.append(
            [
                name,
                f"{s.accuracy:.1%}",
                s.exact,
                s.found,
                s.missed,
                s.wrong,
                s.spurious,
                f"{lenient / s.labels:.1%}",
                f"{seconds:.2f}",
            ]
        )
        if args.errors:
            for e in s.errors:
                print(f"  {name}: {json.dumps(e, ensure_ascii=False)}")
    header = ["method", "exact", "exact n", "found", "missed", "wrong", "spurious", "in range", "seconds"]
    table(f"date mentions ({sum(len(c.labels) for c in cases)} labels)", header, rows)
    batches = []
    for batch in ("dev", "unseen", "seed"):
        part = score([c for c in cases if c.batch == batch], find_dates)
        results["rules (shipped)"].setdefault("batches", {})[batch] = part.as_dict()
        batches.append([batch, f"{part.accuracy:.1%}", part.exact, part.labels, part.missed, part.wrong, part.spurious])
    table("the shipped rules by batch", ["batch", "exact", "exact n", "labels", "missed", "wrong", "spurious"], batches)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"labels": str(args.labels), "texts": len(cases), "python": platform.python_version(), "methods": results},
            ensure_ascii=False,
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
