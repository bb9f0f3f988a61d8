"""How answers, passages, articles and ingest reports look in the terminal.

Everything shown passes :func:`safe`: article text is data, and control characters (ESC
sequences that clear the screen, set the window title or hide a link) never reach the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from .common import err, out

if TYPE_CHECKING:  # loaded when a command renders, not for `sanad -h`
    from index.documents import ArticleInfo, Passage
    from index.indexer import IngestReport

    from ..models import Answer

# Whole escape sequences: CSI (ESC [ … or the C1 CSI), OSC / DCS / APC / PM / SOS strings (ended by
# BEL or ST, or left open), and two-character escapes. They are dropped, not shown.
_SEQUENCE = re.compile(
    "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]?"
    "|(?:\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)?"
    "|\x1b[ -~]?"
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) can make the terminal show
# text in another order than it is (the "Trojan Source" spoof); marks (LRM, RLM, ALM) are kept.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def safe(text: str) -> str:
    """``text`` fit for the terminal: escape sequences and bidi overrides dropped, other C0/C1
    control characters shown as ``�``; newlines and tabs kept."""
    return _CONTROL.sub("\ufffd", _BIDI_CONTROLS.sub("", _SEQUENCE.sub("", text)))


def print_answer(answer: Answer) -> None:
    style = "bold" if answer.status == "answered" else "bold yellow"
    out.print(safe(answer.answer), style=style)
    if answer.citations:
        out.print()
        out.print("المراجع / References:" if answer.language == "ar" else "References:", style="dim")
        from ..references import references

        short = answer.short_answer
        for ref, citation in zip(references(answer), answer.citations, strict=True):
            out.print(safe(ref.label), style="cyan")
            line = Text("    " + safe(ref.quote), style="dim")
            if short is not None and short.citation == citation.n:
                # the short answer in bold inside its quote (the quote is «…»: one character in)
                a = safe(citation.quote[: short.start - citation.start])
                line.stylize("bold", 5 + len(a), 5 + len(a) + len(safe(short.text)))
            out.print(line)
            if ref.dates:
                out.print(f"    {safe(ref.dates)}", style="green")
            for also in ref.also:
                out.print(f"    {safe(also)}", style="magenta")
            if ref.origins:
                out.print(f"    {safe(ref.origins)}", style="dim")
    if answer.time is not None:
        out.print(safe(time_line(answer)), style="dim")
    if answer.unsupported_claims:
        out.print(f"({answer.unsupported_claims} unsupported claim(s) dropped)", style="yellow")
    timing = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in answer.timings.items())
    mode = answer.mode + (f" · {safe(answer.model)}" if answer.model else "")
    out.print(f"{mode} · {timing}", style="dim")


def time_line(answer: Answer) -> str:
    """What the question's time words did: "period 2025-09-29 – 2025-10-05 (الأسبوع الماضي), as of …"."""
    t = answer.time
    assert t is not None
    parts = []
    if t.since and t.until:
        words = f" ({', '.join(t.words)})" if t.words else ""
        parts.append(f"period {t.since.isoformat()} – {t.until.isoformat()}{words}")
    if t.latest:
        parts.append("newest first")
    return f"{'; '.join(parts)}; as of {t.as_of.isoformat()}"


def print_passages(passages: Sequence[Passage]) -> None:
    for rank, p in enumerate(passages, 1):
        title = safe(p.title or p.article_id)
        out.print(f"{rank}. {title}  [{safe(p.article_id)} {p.start}–{p.end}]  {p.score:.3f}", style="cyan")
        out.print(safe(p.text))
        out.print()


def print_articles(infos: Sequence[ArticleInfo]) -> None:
    table = Table(show_header=True)
    for col in ("id", "title", "date", "source", "chunks", "story"):
        table.add_column(col)
    for i in infos:
        date = i.date.isoformat() if i.date else ""
        table.add_row(safe(i.id), safe(i.title), date, safe(i.source), str(i.chunks), safe(i.story))
    out.print(table)


SKIPPED_ROWS = 50
"""Skipped inputs listed one by one; beyond that they are summarised by reason."""


def print_report(report: IngestReport) -> None:
    table = Table(title="ingest", show_header=True)
    for col in ("added", "updated", "unchanged", "skipped", "chunks", "seconds"):
        table.add_column(col, justify="right")
    table.add_row(
        str(len(report.added)),
        str(len(report.updated)),
        str(len(report.unchanged)),
        str(len(report.skipped)),
        str(report.chunks),
        f"{report.seconds:.1f}",
    )
    out.print(table)
    if report.undated:
        err.print(
            f"{report.undated} article(s) undated: no date in their metadata and no dateline; "
            "--since/--until leave them out",
            style="yellow",
        )
    if not report.skipped:
        return
    skipped = Table(title="skipped", show_header=True)
    skipped.add_column("file")
    skipped.add_column("line", justify="right")
    skipped.add_column("reason")
    for s in report.skipped[:SKIPPED_ROWS]:
        skipped.add_row(safe(s.path), "" if s.line is None else str(s.line), safe(s.reason))
    err.print(skipped)
    rest = report.skipped[SKIPPED_ROWS:]
    if rest:
        counts: dict[str, int] = {}
        for s in rest:
            counts[s.reason] = counts.get(s.reason, 0) + 1
        summary = ", ".join(f"{n} × {safe(reason)}" for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])[:10])
        err.print(f"… and {len(rest)} more skipped: {summary} (--json lists them all)")
