"""Server-sent events: the answer streamed as ``token`` events, then one verified ``answer`` event.

The blocking work runs in a thread of its own and reports tokens through a queue
(:func:`with_tokens`); when it streams none (extractive answers) the final text is sent in
pieces instead (:func:`answer_events`). A failure after the stream started is ``event: error``.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import StreamingResponse

from index.errors import SanadError

from .errors import error_body

log = logging.getLogger("sanad.http")

T = TypeVar("T")
_PIECE = re.compile(r"\S+\s*|\s+")


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


def error_event(exc: BaseException) -> str:
    if isinstance(exc, SanadError):
        return sse("error", exc.to_dict())
    log.error("error while streaming", exc_info=exc)
    return sse("error", error_body("internal_error", "internal server error (details are in the server log)"))


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
