"""The server's middleware, plain ASGI so that streaming responses pass through untouched.

``BearerAuth`` (the API key on every route but the open paths), ``BodyLimit`` (413 past the
body limit) and ``SecurityHeaders`` (nosniff, no-referrer, the page's Content-Security-Policy).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import BodyTooLarge, error_body

OPEN_PATHS = frozenset({"/healthz", "/", "/favicon.ico"})
OPEN_PREFIXES = ("/static/",)
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def is_open_path(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


class BearerAuth:
    """Every request but the open paths needs ``Authorization: Bearer <key>`` (constant-time check)."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self._key = key.encode("utf-8")

    def authorised(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                # Compare the whole token even when the scheme is wrong: same work either way.
                ok = hmac.compare_digest(token.strip(), self._key)
                return ok and scheme.lower() == b"bearer"
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open_path(scope["path"]) or self.authorised(scope):
            await self.app(scope, receive, send)
            return
        await _send_json(
            send,
            401,
            error_body("unauthorized", "this server needs an API key: send the header Authorization: Bearer <key>"),
            [(b"www-authenticate", b'Bearer realm="sanad"')],
        )


class BodyLimit:
    """413 for a declared Content-Length over the limit; counts streamed (chunked) bytes too."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, error_body("bad_request", "the Content-Length header is not a number"))
                    return
        if declared is not None and declared > self.limit:
            exc = BodyTooLarge(self.limit, declared)
            await _send_json(send, 413, error_body("payload_too_large", str(exc.detail), limit=self.limit))
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # An HTTPException: FastAPI re-raises it while reading the body, our handler renders it.
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, limited, send)


class SecurityHeaders:
    """nosniff and no-referrer everywhere; a strict Content-Security-Policy on the page and its files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = is_open_path(scope["path"]) and scope["path"] != "/healthz"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if page:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
