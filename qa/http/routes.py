"""The JSON API under ``/v1``: ask, search, chat (and forgetting a chat), timeline, articles.

:func:`add_api_routes` puts them on the app's ``/v1`` router; the OpenAI-compatible routes
that share it are in :mod:`.openai_compat`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from index.documents import Article, Filters
from index.errors import RequestError

from ..models import Answer
from ..session import ChatSession
from ..time_intent import time_intent
from ..timeline import Timeline
from .schemas import (
    ArticlesResponse,
    AskRequest,
    ChatRequest,
    ChatResponse,
    FiltersIn,
    ForgetResponse,
    IngestItem,
    IngestRequest,
    IngestResponse,
    SearchRequest,
    SearchResponse,
)
from .sessions import SessionStore
from .stories import add_story_routes
from .streaming import Done, answer_events, error_event, event_stream, sse, wants_stream

if TYPE_CHECKING:
    from index.indexer import IngestReport

    from ..assistant import Assistant


def add_api_routes(api: APIRouter, ready: Callable[[], Assistant], sessions: SessionStore[Any]) -> None:
    """The question and article routes on ``api``, around the assistant ``ready()`` returns (warmed up)."""

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
            return a.ask(question, k=body.k, filters=filters, as_of=body.as_of)
        # Retrieval before the stream starts: its errors keep their HTTP status.
        t0 = time.perf_counter()
        intent = time_intent(question, body.as_of)
        passages = a.search(question, k=body.k, filters=filters, as_of=intent.as_of)
        retrieve = time.perf_counter() - t0

        def work(on_token: Callable[[str], None]) -> Answer:
            return a.answer(question, passages, on_token=on_token)

        def events() -> Iterator[str]:
            try:
                for item in answer_events(work, lambda answer: answer.answer):
                    if isinstance(item, Done):
                        answer = item.result
                        answer.timings = {"retrieve": retrieve, **answer.timings, "total": time.perf_counter() - t0}
                        answer.time = intent.describe()
                        yield sse("answer", answer)
                    else:
                        yield sse("token", {"text": item})
            except Exception as exc:
                yield error_event(exc)

        return event_stream(events())

    @api.post("/search", response_model=SearchResponse, summary="The passages retrieved for a query")
    def search(body: SearchRequest) -> SearchResponse:
        a = ready()
        query = a.check_question(body.query, "query")
        passages = a.search(query, k=body.k, filters=_filters(body.filters), as_of=body.as_of)
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
                a.chat(session, message, k=body.k, filters=filters, as_of=body.as_of)
                sessions.add(session, session.id)
            else:
                with sessions.use(session.id) as entry:
                    session = entry.value
                    a.chat(session, message, k=body.k, filters=filters, as_of=body.as_of)
            return _chat_response(session)

        def turn(current: ChatSession) -> Iterator[str | Done[ChatSession]]:
            # On a copy: the session changes only if the turn completes and the client is still there.
            draft = current.model_copy(deep=True)

            def work(on_token: Callable[[str], None]) -> ChatSession:
                a.chat(draft, message, k=body.k, filters=filters, on_token=on_token, as_of=body.as_of)
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
                yield error_event(exc)

        return event_stream(events())

    @api.get("/timeline", response_model=Timeline, summary="The dated events about a topic, in date order")
    def timeline(
        q: Annotated[str, Query(description="The topic (a question's words will do).")],
        since: Annotated[date | None, Query(description="Only events on or after this day.")] = None,
        until: Annotated[date | None, Query(description="Only events on or before this day.")] = None,
        as_of: Annotated[date | None, Query(description="The day the topic's time words resolve against.")] = None,
    ) -> Timeline:
        return ready().timeline(q, since=since, until=until, as_of=as_of)

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

    add_story_routes(api, ready)

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


def _filters(f: FiltersIn | None) -> Filters | None:
    return f.filters() if f is not None else None


def _chat_session(sessions: SessionStore[Any], session_id: str | None) -> tuple[ChatSession, bool]:
    """The session to continue (NotFoundError → 404 when unknown or expired), or a new one."""
    if session_id is None:
        return ChatSession(), True
    current: ChatSession = sessions.get(session_id)
    return current, False


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
