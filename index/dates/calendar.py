"""Calendar arithmetic for resolving mentions: days, ISO weeks (Monday–Sunday), months, years, and
the parts of them (early/mid/late) the patterns name."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

Span = tuple[date, date]
FUTURE_WEIGHT = 5  # a month or day without a year: a future one is that many times farther than it is


def add_days(day: date, n: int) -> date:
    return day + timedelta(days=n)


def month_range(year: int, month: int) -> Span:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def shift_month(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def week_range(day: date, n: int = 0) -> Span:
    """The ISO week (Monday–Sunday) ``n`` weeks from the one holding ``day``."""
    monday = day - timedelta(days=day.weekday()) + timedelta(weeks=n)
    return monday, monday + timedelta(days=6)


def year_range(year: int) -> Span:
    return date(year, 1, 1), date(year, 12, 31)


def part_of(span: Span, unit: str, part: str | None) -> Span:
    """Early, mid or late part of a month (days 1–10, 11–20, 21–end), an ISO week (Monday–Tuesday,
    Wednesday–Thursday, Friday–Sunday) or a year (January–April, May–August, September–December)."""
    if part is None:
        return span
    first, last = span
    if unit == "month":
        bounds = {"early": (1, 10), "mid": (11, 20), "late": (21, last.day)}[part]
        return first.replace(day=bounds[0]), first.replace(day=bounds[1])
    if unit == "week":
        offsets = {"early": (0, 1), "mid": (2, 3), "late": (4, 6)}[part]
        return add_days(first, offsets[0]), add_days(first, offsets[1])
    if unit == "year":
        months = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}[part]
        return month_range(first.year, months[0])[0], month_range(first.year, months[1])[1]
    return span


def weekday_on_or_before(day: date, weekday: int) -> date:
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def weekday_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday() - 1) % 7 + 1)


def safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def nearest_year(published: date, month: int, day: int | None, direction: str | None) -> int | None:
    """The year of a month (and day) given without one, seen from ``published``.

    ``direction`` "past": the last one before publication; "next": the first one after; "this": the
    publication year; "future" (a future verb before it): the first one on or after; None: the nearest,
    a future one counting five times (news mostly reports what happened)."""
    if direction == "this":
        return published.year
    candidates = []
    for year in (published.year - 1, published.year, published.year + 1):
        first = safe_date(year, month, day or 1)
        if first is None:
            continue
        last = first if day else month_range(year, month)[1]
        candidates.append((year, first, last))
    if not candidates:
        return None
    if direction == "past":
        before = [c for c in candidates if c[2] < published and not (day is None and c[1] <= published <= c[2])]
        return before[-1][0] if before else None
    if direction == "next":
        after = [c for c in candidates if c[1] > published and not (day is None and c[1] <= published <= c[2])]
        return after[0][0] if after else None
    if direction == "future":
        after = [c for c in candidates if c[2] >= published]
        return after[0][0] if after else None

    def cost(c: tuple[int, date, date]) -> int:
        if c[1] <= published <= c[2]:
            return 0
        if c[2] < published:
            return (published - c[2]).days
        return FUTURE_WEIGHT * (c[1] - published).days

    return min(candidates, key=cost)[0]
