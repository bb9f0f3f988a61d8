"""A conversation: its turns, saved as JSON and read back.

session = ChatSession()
assistant.chat(session, "من ترأس الوفد السوري إلى أنقرة؟")
session.save(path)                      # atomically; ChatSession.load(path) reads it back
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from index.errors import InputError
from index.files import atomic_write_text

from .models import Answer

Role = Literal["user", "assistant"]


class Turn(BaseModel):
    """One message of a conversation.

    A user turn keeps what was typed (``content``) and the question actually answered
    (``standalone_question``); an assistant turn keeps the answer text and the whole ``Answer``.
    """

    role: Role
    content: str
    standalone_question: str | None = None
    answer: Answer | None = None


def new_session_id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


class ChatSession(BaseModel):
    """A conversation; JSON round trip: ``model_dump_json()`` / ``ChatSession.model_validate_json``."""

    id: str = Field(default_factory=new_session_id)
    created: datetime = Field(default_factory=_now)
    turns: list[Turn] = Field(default_factory=list)

    @property
    def last_answer(self) -> Answer | None:
        """The most recent assistant answer, if any."""
        for turn in reversed(self.turns):
            if turn.role == "assistant" and turn.answer is not None:
                return turn.answer
        return None

    def reset(self) -> None:
        """Forget the conversation (the id stays)."""
        self.turns.clear()

    def save(self, path: str | Path) -> None:
        """Write the session as JSON, atomically (temp file in the same folder, then rename)."""
        atomic_write_text(Path(path), self.model_dump_json(indent=2))

    @classmethod
    def load(cls, path: str | Path) -> ChatSession:
        """Read a session saved by :meth:`save`; :class:`InputError` names the file and the reason."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the chat session: {exc}", path=str(p)) from exc
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ())) or "document"
            raise InputError(
                f"not a chat session ({exc.error_count()} problem(s); first at {where}: {first.get('msg', '')})",
                path=str(p),
            ) from exc
