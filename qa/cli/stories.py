"""``sanad stories``: articles that tell one story (wire copies, retellings), with their origins."""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_CODES, EXIT_OK, add_common, assistant_from_args, dump, iso_date, out
from .render import safe

STORIES_HELP = f"""\
A story groups articles that have the same body, share most of their sentences, or share a run of
3 sentences (identical or near-identical after Arabic normalisation). An article's origin is the wire
agency it credits ((واس), بحسب وكالة الأناضول, Reuters …), else identical text (copies count once),
else its source. Newest story first; --since/--until keep stories with an article dated in the period.
output: one block per story, or with --json a list of {{id, articles: [{{id, title, source, date,
origin}}], sources, first, last, origins}}.
{EXIT_CODES}"""


def cmd_stories(args: argparse.Namespace) -> int:
    if args.since and args.until and args.since > args.until:
        from index.errors import RequestError

        raise RequestError(f"--since {args.since} is after --until {args.until}")
    with assistant_from_args(args) as assistant:
        stories = assistant.stories.stories(since=args.since, until=args.until, min_articles=1 if args.all else 2)
    if args.json:
        dump([s.as_dict() for s in stories])
        return EXIT_OK
    if not stories:
        out.print("no stories" + ("" if args.all else " of two or more articles"))
        return EXIT_OK
    from ..references import origin_text

    for story in stories:
        dates = " – ".join(dict.fromkeys(d.isoformat() for d in (story.first, story.last) if d)) or "undated"
        origins = ", ".join(origin_text(o) for o in story.origins)
        head = f"{story.id}  {len(story.articles)} articles · {len(story.origins)} origin(s): {origins} · {dates}"
        out.print(safe(head), style="cyan")
        for a in story.articles:
            date = a.date.isoformat() if a.date else "—"
            out.print(safe(f"    {date}  {a.source or '—'}  {a.id}  {a.title}  [{origin_text(a.origin)}]"))
    return EXIT_OK


def register(sub: Any) -> None:
    p = sub.add_parser(
        "stories",
        help="list stories: articles grouped by shared text, with sources, dates and origins",
        epilog=STORIES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--since", type=iso_date, help="stories with an article on or after this date (YYYY-MM-DD)")
    p.add_argument("--until", type=iso_date, help="stories with an article on or before this date (YYYY-MM-DD)")
    p.add_argument("--all", action="store_true", help="also the stories of a single article")
    add_common(p)
    p.set_defaults(func=cmd_stories)
