"""How an answer's references read as text: one rule for the terminal and the HTTP replies.

[1] title — «quote» (article id, start–end)
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Answer, Citation

HEADS = {"ar": "المراجع:", "en": "References:"}


def references_head(language: str) -> str:
    return HEADS.get(language, HEADS["en"])


@dataclass(frozen=True)
class Reference:
    """A citation as two lines of text: what and where, then the quote."""

    label: str
    quote: str

    @property
    def line(self) -> str:
        return f"{self.label} — {self.quote}"


def reference(citation: Citation) -> Reference:
    where = f"{citation.article_id}, {citation.start}–{citation.end}"
    return Reference(
        label=f"[{citation.n}] {citation.title or citation.article_id} ({where})", quote=f"«{citation.quote}»"
    )


def references(answer: Answer) -> list[Reference]:
    return [reference(c) for c in answer.citations]


def references_text(answer: Answer) -> str:
    """The numbered references appended to an answer's text (OpenAI-compatible replies)."""
    if not answer.citations:
        return ""
    return "\n\n" + references_head(answer.language) + "\n" + "\n".join(r.line for r in references(answer))


def strip_references(text: str) -> str:
    """An earlier reply without the references :func:`references_text` appended (a client sends it back)."""
    for head in HEADS.values():
        cut = text.find("\n\n" + head + "\n")
        if cut >= 0:
            text = text[:cut]
    return text
