"""Errors as JSON: the error body, the codes of plain HTTP errors, and the app's exception handlers.

``{"error": {"code": ..., "message": ..., ...}}`` (``SanadError.to_dict()``); an unexpected
failure is logged here and reaches the client as a generic 500 without details.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.errors import SanadError

log = logging.getLogger("sanad.http")


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


def _validation_message(request: Request, first: dict[str, Any]) -> str:
    """The first validation error in words: a body that is not JSON says so (and where it broke,
    as a character position, not a field), and a body of another content type names it."""
    loc = [p for p in first["loc"] if p != "body"]
    if first["type"] == "json_invalid":
        at = f" at character {loc[0]}" if loc and loc[0].isdigit() else ""
        return f"the body is not valid JSON{at}: {first['msg']}"
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not loc and content_type and not content_type.endswith("json"):
        return f"the body must be a JSON object sent as Content-Type: application/json, not {content_type}"
    where = ".".join(loc) or "body"
    return f"{where}: {first['msg']}"


def install_error_handlers(app: FastAPI) -> None:
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
        first = details[0] if details else {"loc": [], "msg": "invalid request", "type": ""}
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        body = error_body("invalid_request", _validation_message(request, first) + more, details=details)
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
