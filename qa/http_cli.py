"""The ``sanad serve`` subcommand: the HTTP API and the chat page on uvicorn.

Registered into ``qa.cli.EXTRA_COMMANDS`` by the CLI (``EXTRA_COMMANDS.append(http_cli.register)``).
"""

from __future__ import annotations

import argparse
from typing import Any

from .settings import Settings


def cmd_serve(args: argparse.Namespace) -> int:
    from .http import serve

    overrides: dict[str, Any] = {}
    if args.home:
        overrides["home"] = args.home
    settings = Settings(**overrides)
    if args.host:
        settings.server.host = args.host
    if args.port is not None:
        settings.server.port = args.port
    serve(settings)
    return 0


def register(sub: Any) -> None:
    """Add ``serve`` to the CLI's subparsers."""
    p: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="run the HTTP API and the chat page (OpenAPI at /docs)",
        description=(
            "Serve Sanad over HTTP: JSON API under /v1, OpenAI-compatible /v1/chat/completions, the chat "
            "page at /. Set SANAD_API_KEY to require 'Authorization: Bearer <key>'."
        ),
    )
    p.add_argument("--host", default=None, help="address to listen on (default: $SANAD_SERVER_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default: $SANAD_SERVER_PORT or 8000)")
    p.add_argument("--home", help="data folder (default: $SANAD_HOME or a per-user folder)")
    p.set_defaults(func=cmd_serve)
