"""``sanad dates``: the date mentions of a text, resolved against a publication date."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from rich.table import Table

from index.errors import RequestError
from index.hygiene import text_problem

from .common import EXIT_CODES, EXIT_OK, dump, out
from .render import safe

DATES_HELP = f"""\
recognised (Arabic and English): absolute dates with Arabic month names of every series (أغسطس/آب,
ديسمبر/كانون الأول, the Maghrebi جانفي فيفري مارس أفريل ماي جوان جويلية أوت …, Morocco's غشت شتنبر …),
ordinal days (السابع من أكتوبر), day ranges (10 إلى 12 نوفمبر), Latin or Arabic-Indic digits, numeric
13/8/2025 and 2025-08-13; years (عام 2011, مطلع 2024); weekdays (الجمعة, يوم الأحد الماضي, السبت المقبل);
relative days (اليوم, أمس, أول أمس, غداً, بعد غد); periods (الأسبوع الماضي, نهاية الأسبوع الماضي,
الشهر الجاري, منتصف الشهر المقبل, العام المقبل, في سبتمبر/أيلول الماضي); "ago" (قبل يومين, منذ 3 أشهر).
Each mention is a day (date) or a range (week, month, year or part of one). Weeks are ISO weeks
(Monday–Sunday); a bare or past weekday is the last one on or before publication. Without
--published, mentions that need it are shown unresolved ("?", null in JSON).
output: start end text resolution, or with --json a list of {{start, end, text, date}} /
{{start, end, text, range: [from, to]}} (character offsets into TEXT, ISO dates).
{EXIT_CODES}"""


def _published(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RequestError(f"--published is not a date (YYYY-MM-DD): {text!r}", published=text) from None


def _text(raw: str) -> str:
    text = sys.stdin.read() if raw == "-" else raw
    problem = text_problem(text)
    if problem is not None:
        raise RequestError(f"the text {problem}")
    if not text.strip():
        raise RequestError("the text is empty; give the text to read, or - to read it from stdin")
    return text


def cmd_dates(args: argparse.Namespace) -> int:
    published = _published(args.published)
    text = _text(args.text)
    from index.dates import find_dates

    mentions = find_dates(text, published)
    if args.json:
        dump([m.as_dict() for m in mentions])
        return EXIT_OK
    if not mentions:
        out.print("no date mentions found")
        return EXIT_OK
    table = Table(show_header=True)
    for col in ("start", "end", "text", "resolves to"):
        table.add_column(col, justify="right" if col in ("start", "end") else "left")
    for m in mentions:
        table.add_row(str(m.start), str(m.end), safe(m.text), m.label())
    out.print(table)
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "dates",
        help="show the date mentions of a text, resolved against a publication date",
        epilog=DATES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("text", help="the text to read (- reads it from stdin)")
    p.add_argument("--published", metavar="YYYY-MM-DD", help="the publication date relative mentions resolve against")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(func=cmd_dates)
