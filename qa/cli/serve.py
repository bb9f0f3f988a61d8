"""The ``sanad serve`` subcommand: the HTTP API and the chat page on uvicorn.

The server's assistant comes from the composition root (:func:`qa.http.default_assistant`).
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_home, settings_from_args


def cmd_serve(args: argparse.Namespace) -> int:
    from ..http import serve

    settings = settings_from_args(args)
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
    add_home(p)
    p.set_defaults(func=cmd_serve)
