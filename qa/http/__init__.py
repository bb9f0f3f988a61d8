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
(``SANAD_SERVER_MAX_BODY_BYTES``, 413) and so are questions (``SANAD_MAX_QUESTION_CHARS``,
422). Blocking work (embedding, chromadb, the LLM) runs in the thread pool; writes go through
the Assistant's write lock, and the default embedder is shared behind a lock of its own.
"""

from __future__ import annotations

from .schemas import MODEL_ID
from .server import STATIC_DIR, BackgroundServer, create_app, default_assistant, prefer_passive_openmp, serve
from .sessions import SessionStore

__all__ = [
    "MODEL_ID",
    "STATIC_DIR",
    "BackgroundServer",
    "SessionStore",
    "create_app",
    "default_assistant",
    "prefer_passive_openmp",
    "serve",
]
