"""TREC-style text documents (the ANT corpus, TREC and CLEF collections): ``<DOC>`` … ``</DOC>``.

A file is TREC-style when its first non-blank characters are ``<DOC>`` or ``<DOCNO>`` (any case);
a plain ``.txt`` article that merely contains a ``<`` somewhere is not. It holds one or more
``<DOC>`` blocks, or one document's tags without ``<DOC>``. Per document:

- id: ``<DOCNO>`` when it is URL-safe, else a slug and hash of it; without a ``DOCNO``, the file
  path and the document's position (stable, so re-ingest is incremental);
- title: ``<TITLE>`` (or ``<HEADLINE>``); without one it is derived from the text;
- text: ``<ABSTRACT>`` then ``<TEXT>``, a blank line between them; the abstract is left out when
  the text already starts with it (as most ANT articles do); it is also the summary. Inner tags are
  removed (``<P>`` and ``<BR>`` end a paragraph), entities (``&amp;``, ``&#1575;``) decoded, each
  line stripped, runs of blank lines folded into one;
- ``<URL>``, ``<SRC>`` (source) and ``<TIME>`` / ``<DATE>`` (published: ISO or day-first
  ``17/05/2015``; unreadable = none, then the dateline in the text if any).

The topic (``<CAT>``, or the folder) is not kept: an article has no field for it. Part of
:mod:`index.readers`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path

from .documents import Article
from .reader_records import BadInput, ascii_slug, build_article, check_id, parse_date

_START = re.compile(r"\A\s*<(?:DOC|DOCNO)>", re.IGNORECASE)
_DOC = re.compile(r"<DOC>(.*?)(?:</DOC>|\Z)", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*/?\s*(?:p|br|div)\b[^<>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
_BLANKS = re.compile(r"\n{3,}")
_DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\b")

Item = tuple[Article | BadInput, int | None, str]


def looks_trec(text: str) -> bool:
    """Whether decoded ``text`` is a TREC-style document file (it starts with ``<DOC>`` / ``<DOCNO>``)."""
    return _START.match(text) is not None


@lru_cache(maxsize=32)
def _tags(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    return (
        re.compile(rf"<{name}(?:\s[^<>]*)?>", re.IGNORECASE),
        re.compile(rf"</{name}\s*>", re.IGNORECASE),
    )


def _field(doc: str, *names: str) -> str | None:
    """The raw content of the first of ``names`` present in ``doc``; ``None`` when none is.

    The first opening tag and the closing tag after it, each found once: linear in ``doc``, also
    for a hostile file of a million unclosed ``<TITLE>`` tags."""
    for name in names:
        opening, closing = _tags(name)
        start = opening.search(doc)
        if start is None:
            continue
        end = closing.search(doc, start.end())
        if end is not None:
            return doc[start.end() : end.start()]
    return None


def clean_field(raw: str | None) -> str:
    """A field's text: inner tags removed (paragraph tags end a line), entities decoded, lines stripped."""
    if not raw:
        return ""
    text = _TAG.sub("", _BREAK.sub("\n", raw))
    text = html.unescape(text).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def _one_line(raw: str | None) -> str:
    return " ".join(clean_field(raw).split())


def _body(abstract: str, text: str) -> str:
    if not abstract:
        return text
    if not text or " ".join(text.split()).startswith(" ".join(abstract.split())):
        return text or abstract
    return f"{abstract}\n\n{text}"


def _published(value: str) -> date | None:
    """``<TIME>``: ISO (``2017-05-16T10:31:00+01:00``) or day first (``17/05/2015``, as half of ANT has it)."""
    day_first = _DAY_FIRST.fullmatch(value)
    try:
        if day_first:
            return date(int(day_first[3]), int(day_first[2]), int(day_first[1]))
        return parse_date(value or None)
    except ValueError:
        return None  # a date the collection wrote another way is not the document's fault


def _ident(docno: str) -> str | None:
    """``docno`` itself when URL-safe; else ``None`` (and the caller hashes it)."""
    try:
        return check_id(docno)
    except BadInput:
        return None


def read_trec(text: str, rel: str, path: str, max_chars: int) -> Iterator[Item]:
    """The articles in a TREC-style file's decoded ``text``; a :class:`BadInput` per bad document."""
    blocks = [m.group(1) for m in _DOC.finditer(text)] or [text]
    stem = ascii_slug(Path(rel).stem, 30)
    many = len(blocks) > 1
    for number, doc in enumerate(blocks):
        label = f"DOC[{number}]" if many else ""
        docno = _one_line(_field(doc, "DOCNO", "DOCID"))
        if docno:
            label = f"DOC {docno}"
        abstract = clean_field(_field(doc, "ABSTRACT"))
        body = _body(abstract, clean_field(_field(doc, "TEXT")))
        if not body:
            yield BadInput("no <TEXT> (or <ABSTRACT>) in the document"), None, label
            continue
        when = _published(_one_line(_field(doc, "TIME", "DATE")))
        fallback: tuple[str, tuple[str, ...]]
        if docno:
            fallback = (ascii_slug(docno, 30), ("trec", docno))
        else:
            fallback = (f"{stem}-{number}".strip("-"), ("path", rel, str(number)))
        try:
            article = build_article(
                text=body,
                max_chars=max_chars,
                given_id=_ident(docno) if docno else None,
                url=_one_line(_field(doc, "URL")),
                fallback_id=fallback,
                title=_one_line(_field(doc, "TITLE", "HEADLINE")),
                summary=abstract,
                date_value=when,
                source=_one_line(_field(doc, "SRC", "SOURCE")),
                path=path,
            )
        except BadInput as bad:
            yield bad, None, label
            continue
        yield article, None, label
