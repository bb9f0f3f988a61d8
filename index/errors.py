"""Every error Sanad raises, under one base class.

The data rides on the exception (``err.data``); the CLI and HTTP layers only translate
errors into messages and status codes (``err.status`` is the HTTP status to use).
"""

from __future__ import annotations

from typing import Any


class SanadError(Exception):
    """Base class. ``message`` is for people, ``data`` for programs."""

    status: int = 500
    code: str = "sanad_error"

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data: dict[str, Any] = data

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.data}}


class ConfigError(SanadError):
    """A setting is missing or invalid."""

    status = 500
    code = "config_error"


class InputError(SanadError):
    """A file or record could not be ingested. ``data`` holds ``path``, ``line``, ``reason``."""

    status = 422
    code = "bad_input"

    def __init__(self, reason: str, *, path: str | None = None, line: int | None = None, **data: Any) -> None:
        where = path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {reason}", path=path, line=line, reason=reason, **data)


class NotFoundError(SanadError):
    """An article, chunk or session does not exist."""

    status = 404
    code = "not_found"


class EmbedderMismatchError(SanadError):
    """The index was built by another embedder than the one asked to query it."""

    status = 409
    code = "embedder_mismatch"


class ModelError(SanadError):
    """An embedding model could not be loaded or prepared."""

    status = 500
    code = "model_error"


class StoreError(SanadError):
    """The vector or lexical store failed or is inconsistent."""

    status = 503
    code = "store_error"


class PromptError(SanadError):
    """A prompt template is missing or uses an unknown placeholder."""

    status = 500
    code = "prompt_error"


class LLMError(SanadError):
    """The language model failed: HTTP error, timeout, or invalid output after a retry."""

    status = 502
    code = "llm_error"


class RequestError(SanadError):
    """A request is invalid (empty question, bad filter, too large)."""

    status = 422
    code = "bad_request"
