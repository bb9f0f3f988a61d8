"""A scripted OpenAI-compatible chat server for tests: real HTTP on 127.0.0.1, a free port.

It speaks ``POST /v1/chat/completions`` (JSON, or server-sent events when ``"stream": true``)
and ``GET /v1/models``. Each chat request takes the next :class:`Reply` from the script
(content, an HTTP error status, a delay that makes the client time out…) and is recorded in
``stub.requests`` so a test can check what was sent. With ``reject_json_schema=True`` the
server answers any ``response_format: json_schema`` request with HTTP 400 (as servers that
only know ``json_object`` do) without using up a scripted reply.

    with OpenAIStub() as stub:
        stub.script(Reply.error(500), Reply.json({"status": "answered", ...}))
        chat = OpenAIChatModel(base_url=stub.base_url, model=stub.model)
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}


@dataclass
class Reply:
    """One scripted response."""

    content: str = ""
    status: int = 200
    message: str = ""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str = "stop"
    prompt_tokens: int = 100
    completion_tokens: int = 20

    @classmethod
    def json(cls, obj: Any, **kwargs: Any) -> Reply:
        """A 200 reply whose message content is ``obj`` as JSON."""
        return cls(content=json.dumps(obj, ensure_ascii=False), **kwargs)

    @classmethod
    def text(cls, content: str, **kwargs: Any) -> Reply:
        return cls(content=content, **kwargs)

    @classmethod
    def error(cls, status: int, message: str = "", *, retry_after_ms: int | None = 20) -> Reply:
        """An HTTP error with an OpenAI-shaped error body (``retry-after-ms`` keeps SDK retries quick)."""
        headers = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms is not None else {}
        return cls(status=status, message=message or f"stub error {status}", headers=headers)

    @classmethod
    def slow(cls, seconds: float, content: str = "{}") -> Reply:
        """A reply that only starts after ``seconds`` (for client timeouts)."""
        return cls(content=content, delay=seconds)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def response_format(self) -> dict[str, Any] | None:
        fmt = self.body.get("response_format")
        return fmt if isinstance(fmt, dict) else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stub: OpenAIStub


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- helpers --

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test): nothing to tell it

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), "application/json", headers)

    def _error(
        self, status: int, message: str, *, param: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        body = {
            "error": {
                "message": message,
                "type": _ERROR_TYPES.get(status, "server_error"),
                "param": param,
                "code": None,
            }
        }
        self._json(status, body, headers)

    # -- routes --

    def do_GET(self) -> None:
        stub = self.server.stub
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._json(
                200,
                {"object": "list", "data": [{"id": stub.model, "object": "model", "created": 0, "owned_by": "stub"}]},
            )
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._error(400, "request body is not JSON")
            return
        stub._record(RecordedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._error(404, f"no route {self.path}")
            return
        fmt = body.get("response_format")
        if stub.reject_json_schema and isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            self._error(
                400, "response_format of type 'json_schema' is not supported by this server", param="response_format"
            )
            return
        reply = stub._next()
        if reply is None:
            self._error(400, "stub: no scripted reply left", headers={"x-should-retry": "false"})
            return
        if reply.delay and stub._closing.wait(reply.delay):
            return
        if reply.status != 200:
            self._error(reply.status, reply.message, headers=reply.headers)
            return
        if body.get("stream"):
            self._stream(reply)
        else:
            self._json(200, stub._completion(reply), reply.headers)

    def _stream(self, reply: Reply) -> None:
        stub = self.server.stub
        created = int(time.time())

        def event(delta: dict[str, Any], finish: str | None) -> bytes:
            chunk = {
                "id": "chatcmpl-stub",
                "object": "chat.completion.chunk",
                "created": created,
                "model": stub.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return b"data: " + json.dumps(chunk, ensure_ascii=False).encode("utf-8") + b"\n\n"

        pieces = [reply.content[i : i + 7] for i in range(0, len(reply.content), 7)]
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(event({"role": "assistant", "content": ""}, None))
            for piece in pieces:
                self.wfile.write(event({"content": piece}, None))
                self.wfile.flush()
            self.wfile.write(event({}, reply.finish_reason))
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


class OpenAIStub:
    """The scripted server. Use as a context manager (or ``start()``/``close()``)."""

    def __init__(self, *, model: str = "stub-model", reject_json_schema: bool = False) -> None:
        self.model = model
        self.reject_json_schema = reject_json_schema
        self.requests: list[RecordedRequest] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply) -> None:
        """Queue replies, served in order, one per chat request."""
        with self._lock:
            self._script.extend(replies)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next(self) -> Reply | None:
        with self._lock:
            return self._script.popleft() if self._script else None

    def _completion(self, reply: Reply) -> dict[str, Any]:
        return {
            "id": "chatcmpl-stub",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content},
                    "finish_reason": reply.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            },
        }

    def start(self) -> OpenAIStub:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
