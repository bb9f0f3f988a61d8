"""The app assembled (routes, the page, middleware), the default assistant, and running it.

:func:`create_app` builds the FastAPI app; :func:`serve` runs it on uvicorn until interrupted;
:class:`BackgroundServer` runs it in a thread for tests and benchmarks.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from index.serial import SerialEmbedder

from ..settings import Settings
from .errors import install_error_handlers
from .middleware import BearerAuth, BodyLimit, SecurityHeaders
from .openai_compat import add_openai_routes
from .routes import add_api_routes
from .sessions import SessionStore

if TYPE_CHECKING:
    from ..assistant import Assistant

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def default_assistant(settings: Settings) -> Assistant:
    """The server's assistant: built from ``settings`` by the composition root, its embedder
    shared by every request one call at a time (questions first)."""
    from ..assistant import Assistant

    return Assistant(settings, wrap_embedder=SerialEmbedder)


def create_app(assistant: Assistant | None = None, settings: Settings | None = None) -> FastAPI:
    """The Sanad HTTP app around ``assistant`` (default: one built from ``settings``)."""
    if settings is None:
        settings = assistant.settings if assistant is not None else Settings()
    if assistant is None:
        assistant = default_assistant(settings)
    served = assistant

    def ready() -> Assistant:
        """The assistant, warmed up (the model loaded, the stores open) before a request uses it."""
        served.warm_up()
        return served

    sessions: SessionStore[Any] = SessionStore(
        ttl_s=settings.server.session_ttl_s, max_sessions=settings.server.max_sessions
    )
    from .. import __doc__ as qa_doc

    app = FastAPI(
        title="Sanad",
        summary="Arabic-first question answering over news articles, with checkable citations.",
        description=(qa_doc or "").strip(),
        version=_version(),
    )
    app.state.assistant = assistant
    app.state.settings = settings
    app.state.sessions = sessions
    install_error_handlers(app)

    api = APIRouter(prefix="/v1")
    add_api_routes(api, ready, sessions)
    add_openai_routes(api, ready)
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
