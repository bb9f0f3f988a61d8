"""What every ``sanad`` command shares: the consoles, settings and the assistant from the
arguments, filter arguments, JSON output, the progress bar, the exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:  # pydantic models load when a command runs, not for `sanad -h`
    from index.documents import Filters

    from ..assistant import Assistant
    from ..settings import Settings

# Article text is data: never interpret it as rich markup.
out = Console(soft_wrap=True, markup=False, highlight=False)
err = Console(stderr=True, soft_wrap=True, markup=False, highlight=False)

EXIT_OK, EXIT_SKIPPED, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_CODES = "exit status: 0 ok, 1 some input was skipped (each listed with its reason), 2 an error, 130 interrupted"
Handler = Callable[[argparse.Namespace], int]
StageProgress = Callable[[str, int, int], None]


def dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """``SANAD_*`` settings, with the command line's ``--home`` (and ``--embedder``) on top."""
    overrides: dict[str, Any] = {}
    if getattr(args, "home", None):
        overrides["home"] = args.home
    if getattr(args, "embedder", None):
        overrides["embedder"] = args.embedder
    from ..settings import load_settings

    return load_settings(**overrides)


def assistant_from_args(args: argparse.Namespace) -> Assistant:
    """The composition root, from the arguments; a first-use model build shows a progress bar."""
    from ..assistant import Assistant

    quiet = bool(getattr(args, "json", False))
    return Assistant(settings_from_args(args), model_progress=None if quiet else model_progress())


def filters_from_args(args: argparse.Namespace) -> Filters | None:
    from index.documents import Filters

    f = Filters(
        sources=list(getattr(args, "source", None) or []),
        since=getattr(args, "since", None),
        until=getattr(args, "until", None),
    )
    return None if f.empty else f


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return number


def add_home(p: argparse.ArgumentParser) -> None:
    p.add_argument("--home", help="data folder (default: $SANAD_HOME or a per-user folder)")


def add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    add_home(p)


def add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("-k", type=positive, default=None, help="how many passages to retrieve (1–100)")
    p.add_argument("--source", action="append", help="only this source (repeatable)")
    p.add_argument("--since", type=iso_date, help="only articles on or after this date (YYYY-MM-DD)")
    p.add_argument("--until", type=iso_date, help="only articles on or before this date (YYYY-MM-DD)")
    p.add_argument(
        "--as-of",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the day the question's time words (أمس, الأسبوع الماضي, last week) resolve against (default: today)",
    )


@contextmanager
def progress_bar(*, hidden: bool = False, console: Console = err) -> Iterator[StageProgress]:
    """One rich bar per stage, ``progress(stage, done, total)`` (total 0: unknown); hidden for
    ``--json`` and when stderr is not a terminal."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=hidden or not console.is_terminal,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(
                    {"read": "reading", "index": "indexing articles"}.get(stage, stage), total=None
                )
            bar.update(tasks[stage], completed=done, total=total or None)

        yield progress


def model_progress() -> Callable[[int, int, str], None]:
    """For a first-use model build: a line saying why on stderr, then a bar that closes when done."""
    state: dict[str, Any] = {}

    def update(done: int, total: int, what: str) -> None:
        if "bar" not in state:
            err.print(f"sanad: {what}; takes seconds, once", style="dim")
            bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
            )
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task("preparing e5-small", total=total)
            return
        state["bar"].update(state["task"], completed=done, total=total, description=what)
        if done >= total:
            state.pop("bar").stop()

    return update
