"""How an answer's references read as text: one rule for the terminal and the HTTP replies.

[1] title (article id, start–end) — «quote» (أمس = 2025-10-11; …)
    = also: title (article id, start–end, origin) «its quote»     (one line per corroborating article)
    independent origins: 2
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Answer, Citation, CitedDate, Corroboration, iso_value

HEADS = {"ar": "المراجع:", "en": "References:"}


def references_head(language: str) -> str:
    return HEADS.get(language, HEADS["en"])


@dataclass(frozen=True)
class Reference:
    """A citation as text: what and where, the quote, and the dates it holds ("" when none)."""

    label: str
    quote: str
    dates: str = ""
    also: tuple[str, ...] = ()  # the other articles stating it, one line each
    origins: str = ""  # "independent origins: 2", when corroborated

    @property
    def line(self) -> str:
        head = f"{self.label} — {self.quote}" + (f" ({self.dates})" if self.dates else "")
        return "\n".join([head, *(f"    {a}" for a in self.also), *([f"    {self.origins}"] if self.origins else [])])


def cited_date_text(d: CitedDate) -> str:
    """``أمس = 2025-10-11``, ``الشهر الماضي = 2025-09-01 – 2025-09-30``."""
    return f"{d.text} = {iso_value(d.date, d.range)}"


def origin_text(origin: str) -> str:
    """``wire:واس`` → ``واس``; ``source:سبق`` → ``سبق``; a copy or a lone article by its kind."""
    kind, _, value = origin.partition(":")
    return {"wire": value, "source": value, "copy": "identical text", "article": "the article itself"}.get(kind, origin)


def also_text(c: Corroboration) -> str:
    where = f"{c.article_id}, {c.start}–{c.end}" + (f", {origin_text(c.origin)}" if c.origin else "")
    return f"= also: {c.title or c.article_id} ({where}) «{c.quote}»"


def reference(citation: Citation) -> Reference:
    where = f"{citation.article_id}, {citation.start}–{citation.end}"
    return Reference(
        label=f"[{citation.n}] {citation.title or citation.article_id} ({where})",
        quote=f"«{citation.quote}»",
        dates="; ".join(cited_date_text(d) for d in citation.dates),
        also=tuple(also_text(c) for c in citation.corroborated_by),
        origins=f"independent origins: {citation.origins}" if citation.corroborated_by else "",
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
