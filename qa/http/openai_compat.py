"""The OpenAI-compatible adapter: ``GET /v1/models`` and ``POST /v1/chat/completions``.

The conversation in ``messages`` becomes a chat session for one turn; the reply carries the
citations as numbered references in the text and as data in the ``sanad`` field. Streams send
only verified text (a client of that protocol cannot take streamed text back), in OpenAI
``chat.completion.chunk`` events.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from index.errors import RequestError, SanadError

from ..models import Answer
from ..references import references_text, strip_references
from ..session import ChatSession, Turn
from .schemas import MODEL_ID, CompletionMessage, CompletionRequest
from .streaming import event_stream, pieces

if TYPE_CHECKING:
    from ..assistant import Assistant

log = logging.getLogger("sanad.http")


def add_openai_routes(api: APIRouter, ready: Callable[[], Assistant]) -> None:
    """The OpenAI-compatible routes on ``api`` (the ``/v1`` router)."""

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


def message_text(message: CompletionMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    if not message.content:
        return ""
    return "".join(str(part.get("text", "")) for part in message.content if part.get("type") in ("text", None))


def _completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex


def _openai_error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, SanadError):
        body = exc.to_dict()
        body["error"]["type"] = exc.code
        return body
    log.error("error while streaming a chat completion", exc_info=exc)
    return {"error": {"code": "internal_error", "type": "internal_error", "message": "internal server error"}}
