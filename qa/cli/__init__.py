"""``sanad``: the command line. It only parses, calls the Assistant, and translates errors.

Each command module registers its subcommands (``register(subparsers)``); the heavy modules
load when a command runs, so ``sanad -h`` stays quick. Exit status: 0 ok, 1 some input was
skipped, 2 an error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from index.errors import SanadError

from . import chat, commands, dates, evaluation, serve, stories, timeline
from .common import EXIT_CODES, EXIT_ERROR, EXIT_INTERRUPTED, Handler, dump, err
from .render import safe

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sanad",
        description="Arabic-first question answering over news, with checkable citations.",
        epilog=f"Settings come from SANAD_* environment variables (see the README). {EXIT_CODES}",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (commands, chat, serve, evaluation, dates, timeline, stories):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Idle OpenMP workers sleep instead of spinning: on 2 busy cores spinning made one query
    # embedding ~30× slower (measured by benchmarks/http_load.py). Set before any model loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    args = build_parser().parse_args(argv)
    handler: Handler = args.func
    try:
        return handler(args)
    except SanadError as exc:
        if getattr(args, "json", False):
            dump(exc.to_dict())
        err.print(f"error: {safe(exc.message)}", style="red")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err.print("interrupted", style="yellow")
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
