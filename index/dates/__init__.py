"""Dates in news text: the mentions a text holds, resolved against the article's publication date.

``find_dates(text, published)`` finds absolute dates (Arabic month names of every series — أغسطس/آب,
ديسمبر/كانون الأول, the Maghrebi جانفي … ديسمبر, Morocco's غشت — and English ones; Latin or
Arabic-Indic digits; numeric ``13/8/2025``, ``2025-08-13``), weekdays, relative days (اليوم, أمس,
أول أمس, غداً), periods (الأسبوع الماضي, نهاية الأسبوع الماضي, الشهر الجاري, العام المقبل), "… ago"
(قبل يومين) and the same in English. Each mention is a day (``date``) or a range (``range``:
a week, month, year or part of one, both ends included). Offsets are exact:
``text[m.start:m.end] == m.text``.

How a mention resolves, seen from ``published``:

- weeks are ISO weeks (Monday–Sunday); a week's end is Friday–Sunday, a month's early/mid/late part
  days 1–10/11–20/21–end, a year's January–April/May–August/September–December;
- a bare weekday ("الجمعة") or one marked past ("الأحد الماضي") is the last such day on or before
  publication; marked next ("السبت المقبل"), or after a future verb ("سيعقد … الخميس"), the first
  one after it;
- a month (and day) without a year: "الماضي" the last one before publication, "المقبل" the first
  after, "الجاري" this year's, after منذ/since the last one before, after a future verb the first on
  or after; otherwise the nearest, a future one counting five times its distance;
- a relative day with a weekday that disagrees with it ("اليوم الاثنين" in an article dated a Friday,
  as crawl dates often are) follows the weekday: the last such day on or before (after, for غداً);
- vague counts ("منذ أيام", "قبل سنوات") are no mentions;
- ``published=None``: mentions that need it (أمس, الجمعة, الشهر الماضي, 13 أغسطس without a year) are
  returned **unresolved** (``date`` and ``range`` both None), not omitted.

``published_from_text(text)`` reads a dateline ("الرياض - 12 أكتوبر 2025 -", "(12/10/2025)") at the head
of an article. Everything runs on rules (``index.dates.patterns`` holds every table and expression);
``benchmarks/dates.py`` measures them against dateparser on ``tests/fixtures/dates_labelled.json``.
"""

from __future__ import annotations

from datetime import date

from .dateline import published_from_text
from .mention import DateMention
from .rules import find_dates_rules

__all__ = ["DateMention", "find_dates", "published_from_text"]


def find_dates(text: str, published: date | None) -> list[DateMention]:
    """The date mentions of ``text`` in order, resolved against ``published`` (see the module docstring)."""
    return find_dates_rules(text, published)
