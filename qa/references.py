"""How an answer's references read as text: one rule for the terminal and the HTTP replies.

[1] title (article id, start–end) — «quote» (أمس = 2025-10-11; …)
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Answer, Citation, CitedDate

HEADS = {"ar": "المراجع:", "en": "References:"}


def references_head(language: str) -> str:
    return HEADS.get(language, HEADS["en"])


@dataclass(frozen=True)
class Reference:
    """A citation as text: what and where, the quote, and the dates it holds ("" when none)."""

    label: str
    quote: str
    dates: str = ""

    @property
    def line(self) -> str:
        return f"{self.label} — {self.quote}" + (f" ({self.dates})" if self.dates else "")


def cited_date_text(d: CitedDate) -> str:
    """``أمس = 2025-10-11``, ``الشهر الماضي = 2025-09-01 – 2025-09-30``."""
    value = f"{d.range[0].isoformat()} – {d.range[1].isoformat()}" if d.range else d.date.isoformat() if d.date else "?"
    return f"{d.text} = {value}"


def reference(citation: Citation) -> Reference:
    where = f"{citation.article_id}, {citation.start}–{citation.end}"
    return Reference(
        label=f"[{citation.n}] {citation.title or citation.article_id} ({where})",
        quote=f"«{citation.quote}»",
        dates="; ".join(cited_date_text(d) for d in citation.dates),
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
