"""``sanad timeline``: the dated events about a topic, in date order, each a verified quote."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.table import Table

from .common import EXIT_CODES, EXIT_OK, add_common, assistant_from_args, iso_date, out
from .render import safe

TIMELINE_HELP = f"""\
Every sentence of the topic's passages that names a date (أمس, الخميس الماضي, 13 أغسطس, last week …,
resolved against its article's publication date) and holds the topic's words is an event; events are
listed by the day they name, each with its quote (the article's exact text at the given offsets), its
article and how many distinct articles state the same sentence (copies merged). --since/--until bound
the events' days; the topic's own time words ("الأسبوع الماضي") do too, resolved against --as-of.
output: day, quote, article, ×N; --json: {{query, as_of, since, until, corroboration, events: [{{date
or range, when, quote, article_id, start, end, corroboration, copies, …}}]}}.
{EXIT_CODES}"""


def cmd_timeline(args: argparse.Namespace) -> int:
    with assistant_from_args(args) as assistant:
        timeline = assistant.timeline(args.query, since=args.since, until=args.until, as_of=args.as_of)
    if args.json:
        sys.stdout.write(timeline.model_dump_json(indent=2) + "\n")
        return EXIT_OK
    if not timeline.events:
        out.print("no dated events found")
        return EXIT_OK
    table = Table(show_header=True)
    for col in ("day", "event", "article", "×"):
        table.add_column(col, justify="right" if col == "×" else "left")
    for e in timeline.events:
        day = (
            e.date.isoformat() if e.date else f"{e.range[0].isoformat()} – {e.range[1].isoformat()}" if e.range else "?"
        )
        article = f"{e.title or e.article_id} ({e.published.isoformat() if e.published else 'undated'})"
        table.add_row(day, safe(e.quote), safe(article), str(e.corroboration))
    out.print(table)
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "timeline",
        help="the dated events about a topic, in date order, with verified quotes",
        epilog=TIMELINE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("query", help="the topic")
    p.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD", help="only events on or after this day")
    p.add_argument("--until", type=iso_date, metavar="YYYY-MM-DD", help="only events on or before this day")
    p.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the day the topic's time words resolve against (default: today)",
    )
    add_common(p)
    p.set_defaults(func=cmd_timeline)
