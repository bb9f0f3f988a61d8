"""Sanad over HTTP: a FastAPI app (JSON API, OpenAI-compatible chat completions, the chat page).

    app = create_app()                      # Assistant built from Settings (SANAD_* variables)
    app = create_app(Assistant(settings))   # or any Assistant, e.g. with a test embedder
    serve(settings)                         # uvicorn on settings.server.host:port

Routes (OpenAPI at ``/docs`` and ``/openapi.json``):

==========================  ==================================================================
``POST /v1/ask``            question, k, filters → ``Answer``; ``Accept: text/event-stream``
                            streams ``token`` events, then one ``answer`` event (verified)
``POST /v1/search``         query, k, filters → scored passages
``POST /v1/chat``           message (+ session_id) → the session's next ``Answer`` (streams too)
``DELETE /v1/chat/{id}``    forget a chat session
``POST /v1/articles``       ``{"articles": [...]}`` → ingest report with per-item errors
``GET /v1/articles``        what is indexed
``GET /v1/articles/{id}``   an article's text and metadata (to show a citation in context)
``DELETE /v1/articles/{id}`` remove an article and its chunks
``POST /v1/chat/completions`` OpenAI chat-completions protocol (stream too); citations in the
                            text as numbered references and as data in the ``sanad`` field
``GET /v1/models``          the one "model": ``sanad``
``GET /healthz``            liveness, never needs the key
``GET /``                   the chat page (``/static/…`` its script and style)
==========================  ==================================================================

Streams (``Accept: text/event-stream`` or ``"stream": true`` on ask and chat) send ``event: token``
with ``{"text": ...}`` while the answer is written — a preview: with an LLM it is the model's
draft before its citations are checked — then one ``event: answer`` with the same body as the
JSON reply (``Answer``, or the chat reply), whose text and citations are the verified ones; a
client replaces the preview with it. A failure after the stream started is ``event: error``
with the error body. ``/v1/chat/completions`` streams only verified text (a client of that
protocol cannot take streamed text back), in OpenAI ``chat.completion.chunk`` events.

Errors are JSON: ``{"error": {"code": ..., "message": ..., ...}}`` (``SanadError.to_dict()``);
an unexpected failure is logged here and reaches the client as a generic 500 without details.
With ``SANAD_API_KEY`` set every route except ``/healthz`` and the page shell (``/``,
``/static/…``) needs ``Authorization: Bearer <key>``. Request bodies are bounded
(``SANAD_SERVER_MAX_BODY_BYTES``, 413) and so are questions (``SANAD_SERVER_MAX_QUESTION_CHARS``,
422). Blocking work (embedding, chromadb, the LLM) runs in the thread pool; writes go through
the Assistant's write lock, and the default embedder is shared behind a lock of its own.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.documents import Article, ArticleInfo, Filters, Passage
from index.errors import RequestError, SanadError
from index.serial import SerialEmbedder

from .models import Answer
from .references import references_text, strip_references
from .session import ChatSession, Turn
from .sessions import SessionStore
from .settings import Settings

if TYPE_CHECKING:
    from index.indexer import IngestReport

    from .assistant import Assistant
    from .session import ChatSession

log = logging.getLogger("sanad.http")

STATIC_DIR = Path(__file__).with_name("static")
MODEL_ID = "sanad"
OPEN_PATHS = frozenset({"/healthz", "/", "/favicon.ico"})
OPEN_PREFIXES = ("/static/",)
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


# --- request and response bodies -------------------------------------------------------------


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(default_factory=list, description="Keep only these sources (any of).")
    since: date | None = Field(default=None, description="Only articles dated on or after (YYYY-MM-DD).")
    until: date | None = Field(default=None, description="Only articles dated on or before (YYYY-MM-DD).")

    def filters(self) -> Filters | None:
        f = Filters(sources=self.sources, since=self.since, until=self.until)
        return None if f.empty else f


def _filters(f: FiltersIn | None) -> Filters | None:
    return f.filters() if f is not None else None


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str
    k: int | None = Field(default=None, ge=1, le=100, description="Passages to retrieve (default: settings).")
    filters: FiltersIn | None = None
    stream: bool = Field(default=False, description="Same as sending Accept: text/event-stream.")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str
    k: int | None = Field(default=None, ge=1, le=100)
    filters: FiltersIn | None = None


class SearchResponse(BaseModel):
    query: str
    passages: list[Passage]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str
    session_id: str | None = Field(default=None, description="Omit to start a new session.")
    k: int | None = Field(default=None, ge=1, le=100)
    filters: FiltersIn | None = None
    stream: bool = False


class ChatResponse(BaseModel):
    session_id: str
    question: str = Field(description="The standalone question that was answered (follow-ups are rewritten).")
    answer: Answer
    turns: int = Field(description="Messages in the session so far.")


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    articles: list[dict[str, Any]] = Field(
        min_length=1,
        description="Article objects: id, title, text (or content), optional date, source, url, summary.",
    )


class IngestItem(BaseModel):
    index: int = Field(description="Position of the article in the request (0-based).")
    id: str | None = None
    status: Literal["added", "updated", "unchanged", "skipped"]
    reason: str | None = None


class IngestResponse(BaseModel):
    ok: bool = Field(description="False when any article was skipped (see items and skipped).")
    added: int
    updated: int
    unchanged: int
    chunks: int
    seconds: float
    items: list[IngestItem]
    skipped: list[dict[str, Any]]


class ArticlesResponse(BaseModel):
    count: int
    articles: list[ArticleInfo]


class ForgetResponse(BaseModel):
    article_id: str
    chunks_removed: int


class CompletionMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class CompletionRequest(BaseModel):
    """The parts of an OpenAI chat-completions request Sanad uses; other fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[CompletionMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None


# --- errors ----------------------------------------------------------------------------------


def error_body(code: str, message: str, **data: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **data}}


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


class BodyTooLarge(StarletteHTTPException):
    def __init__(self, limit: int, size: int | None = None) -> None:
        got = f"{size} bytes" if size is not None else f"more than {limit} bytes"
        super().__init__(
            status_code=413,
            detail=f"the request body is {got}; the limit is {limit} bytes (SANAD_SERVER_MAX_BODY_BYTES)",
        )
        self.limit = limit


def _install_error_handlers(app: FastAPI) -> None:
    async def sanad_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SanadError)
        if exc.status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
        return JSONResponse(jsonable_encoder(exc.to_dict()), status_code=exc.status)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = [
            {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", "")), "type": err.get("type", "")}
            for err in exc.errors()
        ]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(p for p in first["loc"] if p != "body") or "body"
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        body = error_body("invalid_request", f"{where}: {first['msg']}{more}", details=details)
        return JSONResponse(body, status_code=422)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = str(exc.detail) if exc.detail else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}"
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("%s %s: unexpected error", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "internal server error (details are in the server log)"), status_code=500
        )

    app.add_exception_handler(SanadError, sanad_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


# --- middleware (plain ASGI, so that streaming responses pass through untouched) -------------------


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


# --- shared collaborators --------------------------------------------------------------------------


def default_assistant(settings: Settings) -> Assistant:
    """The server's assistant: built from ``settings`` by the composition root, its embedder
    shared by every request one call at a time (questions first)."""
    from .assistant import Assistant

    return Assistant(settings, wrap_embedder=SerialEmbedder)


class Ready:
    """Warms the assistant up once before the first request uses it."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def __call__(self) -> Assistant:
        self.assistant.warm_up()
        return self.assistant


# --- helpers ---------------------------------------------------------------------------------------


def wants_stream(request: Request, flag: bool) -> bool:
    return flag or "text/event-stream" in request.headers.get("accept", "")


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(jsonable_encoder(data), ensure_ascii=False)}\n\n"


def event_stream(events: Iterator[str]) -> StreamingResponse:
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _error_event(exc: BaseException) -> str:
    if isinstance(exc, SanadError):
        return sse("error", exc.to_dict())
    log.error("error while streaming", exc_info=exc)
    return sse("error", error_body("internal_error", "internal server error (details are in the server log)"))


def message_text(message: CompletionMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    if not message.content:
        return ""
    return "".join(str(part.get("text", "")) for part in message.content if part.get("type") in ("text", None))


def _chat_session(sessions: SessionStore[Any], session_id: str | None) -> tuple[ChatSession, bool]:
    """The session to continue (NotFoundError → 404 when unknown or expired), or a new one."""
    from .session import ChatSession

    if session_id is None:
        return ChatSession(), True
    current: ChatSession = sessions.get(session_id)
    return current, False


T = TypeVar("T")
_PIECE = re.compile(r"\S+\s*|\s+")


def pieces(text: str, words: int = 3) -> Iterator[str]:
    """``text`` in pieces of a few words (whitespace kept: the pieces join back to ``text``)."""
    parts = _PIECE.findall(text)
    for i in range(0, len(parts), words):
        yield "".join(parts[i : i + words])


@dataclass
class Done(Generic[T]):
    result: T


def with_tokens(work: Callable[[Callable[[str], None]], T]) -> Iterator[str | Done[T]]:
    """Run ``work(on_token)`` in a thread; yield the tokens it reports as they come, then ``Done(result)``.

    Exceptions from ``work`` are re-raised here. If the consumer stops early the thread finishes
    on its own and its result is dropped.
    """
    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def run() -> None:
        try:
            events.put(("done", work(lambda text: events.put(("token", text)))))
        except BaseException as exc:
            events.put(("error", exc))

    threading.Thread(target=run, name="sanad-answer", daemon=True).start()
    while True:
        kind, value = events.get()
        if kind == "token":
            yield str(value)
        elif kind == "done":
            yield Done(value)
            return
        else:
            raise value


def answer_events(work: Callable[[Callable[[str], None]], T], text_of: Callable[[T], str]) -> Iterator[str | Done[T]]:
    """Tokens while ``work`` writes the answer; when it streamed none (extractive mode), the final text in pieces."""
    streamed = False
    for item in with_tokens(work):
        if isinstance(item, Done):
            if not streamed:
                yield from pieces(text_of(item.result))
            yield item
            return
        streamed = True
        yield item


def _completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex


def _openai_error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, SanadError):
        body = exc.to_dict()
        body["error"]["type"] = exc.code
        return body
    log.error("error while streaming a chat completion", exc_info=exc)
    return {"error": {"code": "internal_error", "type": "internal_error", "message": "internal server error"}}


# --- the app ---------------------------------------------------------------------------------------


def create_app(assistant: Assistant | None = None, settings: Settings | None = None) -> FastAPI:
    """The Sanad HTTP app around ``assistant`` (default: one built from ``settings``)."""
    if settings is None:
        settings = assistant.settings if assistant is not None else Settings()
    if assistant is None:
        assistant = default_assistant(settings)
    ready = Ready(assistant)
    sessions: SessionStore[Any] = SessionStore(
        ttl_s=settings.server.session_ttl_s, max_sessions=settings.server.max_sessions
    )
    from . import __doc__ as qa_doc

    app = FastAPI(
        title="Sanad",
        summary="Arabic-first question answering over news articles, with checkable citations.",
        description=(qa_doc or "").strip(),
        version=_version(),
    )
    app.state.assistant = assistant
    app.state.settings = settings
    app.state.sessions = sessions
    _install_error_handlers(app)

    api = APIRouter(prefix="/v1")

    # --- questions ---

    @api.post(
        "/ask",
        response_model=Answer,
        summary="Answer a question with verified citations",
        responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
    )
    def ask(body: AskRequest, request: Request) -> Any:
        a = ready()
        question = a.check_question(body.question)
        filters = _filters(body.filters)
        if not wants_stream(request, body.stream):
            return a.ask(question, k=body.k, filters=filters)
        # Retrieval before the stream starts: its errors keep their HTTP status.
        t0 = time.perf_counter()
        passages = a.search(question, k=body.k, filters=filters)
        retrieve = time.perf_counter() - t0

        def work(on_token: Callable[[str], None]) -> Answer:
            return a.answer(question, passages, on_token=on_token)

        def events() -> Iterator[str]:
            try:
                for item in answer_events(work, lambda answer: answer.answer):
                    if isinstance(item, Done):
                        answer = item.result
                        answer.timings = {"retrieve": retrieve, **answer.timings, "total": time.perf_counter() - t0}
                        yield sse("answer", answer)
                    else:
                        yield sse("token", {"text": item})
            except Exception as exc:
                yield _error_event(exc)

        return event_stream(events())

    @api.post("/search", response_model=SearchResponse, summary="The passages retrieved for a query")
    def search(body: SearchRequest) -> SearchResponse:
        a = ready()
        query = a.check_question(body.query, "query")
        passages = a.search(query, k=body.k, filters=_filters(body.filters))
        return SearchResponse(query=query, passages=passages)

    @api.post(
        "/chat",
        response_model=ChatResponse,
        summary="One turn of a multi-turn chat (follow-ups are rewritten into standalone questions)",
        responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
    )
    def chat(body: ChatRequest, request: Request) -> Any:
        a = ready()
        message = a.check_question(body.message, "message")
        filters = _filters(body.filters)
        session, new = _chat_session(sessions, body.session_id)
        if not wants_stream(request, body.stream):
            if new:
                a.chat(session, message, k=body.k, filters=filters)
                sessions.add(session, session.id)
            else:
                with sessions.use(session.id) as entry:
                    session = entry.value
                    a.chat(session, message, k=body.k, filters=filters)
            return _chat_response(session)

        def turn(current: ChatSession) -> Iterator[str | Done[ChatSession]]:
            # On a copy: the session changes only if the turn completes and the client is still there.
            draft = current.model_copy(deep=True)

            def work(on_token: Callable[[str], None]) -> ChatSession:
                a.chat(draft, message, k=body.k, filters=filters, on_token=on_token)
                return draft

            yield from answer_events(work, lambda s: s.turns[-1].content)

        def events() -> Iterator[str]:
            try:
                if new:
                    for item in turn(session):
                        if isinstance(item, Done):
                            sessions.add(item.result, item.result.id)
                            yield sse("answer", _chat_response(item.result))
                        else:
                            yield sse("token", {"text": item})
                else:
                    with sessions.use(session.id) as entry:
                        for item in turn(entry.value):
                            if isinstance(item, Done):
                                entry.value = item.result
                                yield sse("answer", _chat_response(item.result))
                            else:
                                yield sse("token", {"text": item})
            except Exception as exc:
                yield _error_event(exc)

        return event_stream(events())

    @api.delete("/chat/{session_id}", status_code=204, summary="Forget a chat session")
    def forget_session(session_id: str) -> Response:
        sessions.get(session_id)  # NotFoundError → 404
        sessions.delete(session_id)
        return Response(status_code=204)

    # --- articles ---

    @api.post("/articles", response_model=IngestResponse, summary="Ingest articles sent as JSON")
    def ingest(body: IngestRequest | list[dict[str, Any]]) -> IngestResponse:
        records = body.articles if isinstance(body, IngestRequest) else body
        if not records:
            raise RequestError("no articles were sent")
        report = ready().ingest_records(records, origin="request")
        return _ingest_response(report)

    @api.get("/articles", response_model=ArticlesResponse, summary="What is indexed")
    def articles() -> ArticlesResponse:
        infos = ready().articles()
        return ArticlesResponse(count=len(infos), articles=infos)

    @api.get("/articles/{article_id:path}", response_model=Article, summary="An article's text and metadata")
    def article(article_id: str) -> Article:
        return ready().article(article_id)

    @api.delete("/articles/{article_id:path}", response_model=ForgetResponse, summary="Remove an article")
    def forget(article_id: str) -> ForgetResponse:
        return ForgetResponse(article_id=article_id, chunks_removed=ready().forget(article_id))

    # --- OpenAI-compatible ---

    @api.get("/models", summary="OpenAI-compatible model list")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "sanad"}]}

    @api.post("/chat/completions", summary="OpenAI-compatible chat completions (citations in the `sanad` field)")
    def chat_completions(body: CompletionRequest) -> Any:
        last = body.messages[-1]
        if last.role != "user":
            raise RequestError(f"the last message must come from the user, not {last.role!r}")
        a = ready()
        question = a.check_question(message_text(last), "message")
        history = [
            Turn(role="user" if m.role == "user" else "assistant", content=strip_references(message_text(m)))
            for m in body.messages[:-1]
            if m.role in ("user", "assistant") and message_text(m).strip()
        ]
        session = ChatSession(turns=history)
        cid, created = _completion_id(), int(time.time())

        def result() -> tuple[Answer, str]:
            answer = a.chat(session, question)
            standalone = session.turns[-2].standalone_question or question
            return answer, standalone

        def extra(answer: Answer, standalone: str) -> dict[str, Any]:
            return {"question": standalone, **answer.model_dump(mode="json")}

        def usage(answer: Answer) -> dict[str, int]:
            u = answer.usage
            return {
                "prompt_tokens": u.prompt_tokens if u else 0,
                "completion_tokens": u.completion_tokens if u else 0,
                "total_tokens": u.total_tokens if u else 0,
            }

        if not body.stream:
            answer, standalone = result()
            return {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.answer + references_text(answer)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage(answer),
                "sanad": extra(answer, standalone),
            }

        include_usage = bool((body.stream_options or {}).get("include_usage"))

        def chunk(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
            data = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **more,
            }
            return "data: " + json.dumps(data, ensure_ascii=False) + "\n\n"

        def events() -> Iterator[str]:
            # Only verified text is sent: a client cannot take back streamed content, so the
            # answer is checked first, then sent in pieces.
            yield chunk({"role": "assistant", "content": ""})
            try:
                answer, standalone = result()
            except Exception as exc:
                yield "data: " + json.dumps(_openai_error(exc), ensure_ascii=False) + "\n\n"
                return
            for piece in pieces(answer.answer + references_text(answer)):
                yield chunk({"content": piece})
            yield chunk({}, "stop", sanad=extra(answer, standalone))
            if include_usage:
                data = {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": MODEL_ID,
                    "choices": [],
                    "usage": usage(answer),
                }
                yield "data: " + json.dumps(data) + "\n\n"
            yield "data: [DONE]\n\n"

        return event_stream(events())

    app.include_router(api)

    # --- open routes: health and the page shell ---

    @app.get("/healthz", summary="Liveness (never needs the API key)")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": app.version}

    @app.get("/", include_in_schema=False)
    def page() -> Response:
        return FileResponse(
            STATIC_DIR / "index.html",
            headers={"Cache-Control": "no-cache"},
        )

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    _secure_openapi(app, settings)
    # Outermost last: CORS answers preflights before auth; auth before reading any body.
    app.add_middleware(BodyLimit, limit=settings.server.max_body_bytes)
    if settings.api_key:
        app.add_middleware(BearerAuth, key=settings.api_key)
    if settings.server.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
        )
    app.add_middleware(SecurityHeaders)
    return app


def _chat_response(session: ChatSession) -> ChatResponse:
    """The last turn of ``session`` (a user turn followed by the assistant's)."""
    asked, answered = session.turns[-2], session.turns[-1]
    assert answered.answer is not None
    question = asked.standalone_question or asked.content
    return ChatResponse(session_id=session.id, question=question, answer=answered.answer, turns=len(session.turns))


def _ingest_response(report: IngestReport) -> IngestResponse:
    """The indexer's report, one item per record sent, in order, with the id it got."""
    d = report.as_dict()
    return IngestResponse(
        ok=not report.skipped,
        added=d["added"],
        updated=d["updated"],
        unchanged=d["unchanged"],
        chunks=d["chunks"],
        seconds=d["seconds"],
        items=[IngestItem(index=i.index, id=i.article_id, status=i.status, reason=i.reason) for i in report.items],
        skipped=d["skipped"],
    )


def _secure_openapi(app: FastAPI, settings: Settings) -> None:
    """Declare the bearer scheme in the OpenAPI document when a key is required."""
    if not settings.api_key:
        return
    base = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = base()
            schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
                "type": "http",
                "scheme": "bearer",
            }
            schema["security"] = [{"bearer": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sanad")
    except PackageNotFoundError:
        return "0"


# --- running it ------------------------------------------------------------------------------------


def prefer_passive_openmp() -> None:
    """Idle OpenMP threads sleep instead of spinning (unless OMP_WAIT_POLICY says otherwise).

    A server's embedding calls share the cores with request handling and chromadb; spinning
    OpenMP workers then starve everyone, and a one-text query embedding measured 30x slower
    (1.4 s against 47 ms on 2 busy cores). Only effective before the OpenMP runtime is loaded,
    so entry points call it first.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def serve(settings: Settings | None = None, *, host: str | None = None, port: int | None = None) -> None:
    """Run the app on uvicorn until interrupted."""
    import uvicorn

    prefer_passive_openmp()
    settings = settings or Settings()
    uvicorn.run(
        create_app(settings=settings),
        host=host or settings.server.host,
        port=port if port is not None else settings.server.port,
        log_level="info",
        server_header=False,
    )


class BackgroundServer:
    """uvicorn serving ``app`` on a free port in a thread, for tests and benchmarks::

    with BackgroundServer(create_app(assistant)) as server:
        httpx.get(server.url + "/healthz")
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning") -> None:
        import uvicorn

        self.host = host
        self.port = port
        self._server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="off", server_header=False)
        )
        self._thread = threading.Thread(target=self._server.run, name="sanad-http", daemon=True)
        self._errors: queue.Queue[BaseException] = queue.Queue()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the HTTP server on {self.host}:{self.port} did not start")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the HTTP server on {self.host}:{self.port} did not start in {timeout:g}s")
            time.sleep(0.01)
        sockets = [s for server in self._server.servers for s in server.sockets]
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
