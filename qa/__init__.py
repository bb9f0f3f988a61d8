"""Sanad's question answering: settings, LLM client, answering, citation checks, front door, CLI, HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .assistant import Assistant
    from .models import Answer, Citation, Claim
    from .settings import Settings

__all__ = ["Answer", "Assistant", "Citation", "Claim", "Settings"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `import qa` stays cheap for the CLI's -h.
    if name == "Assistant":
        from .assistant import Assistant

        return Assistant
    if name in {"Answer", "Citation", "Claim"}:
        from . import models

        return getattr(models, name)
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(name)
