"""The per-format parsers: text and Markdown (with front matter), JSON Lines, JSON and HTML.

Each parser takes a file's decoded text and yields, per article it holds, an
:class:`~index.documents.Article` or a :class:`~index.reader_records.BadInput` with the line and
a label naming the record; :data:`READERS` maps a file suffix to its parser. The suffix sets
(:data:`SUPPORTED_SUFFIXES` and friends) live here too. Part of :mod:`index.readers`.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .documents import Article
from .reader_decoding import clean_text
from .reader_records import BadInput, article_from_record, ascii_slug, build_article, check_id, parse_date
from .reader_trec import looks_trec, read_trec

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".jsonl", ".json", ".zip", *TAR_SUFFIXES}


def is_tar(name: str) -> bool:
    """Whether a file name is a tar archive's (``.tar.gz``, ``.tgz``, ``.tar``)."""
    return name.lower().endswith(TAR_SUFFIXES)


def is_supported(name: str) -> bool:
    """Whether a file in a folder is read: a supported suffix, a tar archive, or no suffix (TREC-style
    files without an extension; others are skipped when their content is seen)."""
    return Path(name).suffix.lower() in SUPPORTED_SUFFIXES or is_tar(name) or not Path(name).suffix


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FM_KEY = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*)")
_LINE_END = re.compile(r"\r\n?|\n")


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split ``--- key: value ---`` front matter off ``text``; ``({}, text)`` when there is none."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group(1).split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t-":
            continue  # continuation of a multi-line value: not ours to interpret
        kv = _FM_KEY.fullmatch(line.rstrip())
        if not kv:
            return {}, text  # not front matter after all (e.g. a horizontal rule)
        value = kv.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        meta[kv.group(1).lower()] = value
    if not meta:
        return {}, text
    return meta, text[match.end() :]


# An article or a reason to reject, the line it came from (jsonl, JSON syntax errors) and a label
# naming the record inside the file ("articles[3]", "[3]") or "".
_Item = tuple[Article | BadInput, int | None, str]


def _read_text(text: str, rel: str, path: str, max_chars: int) -> Iterator[_Item]:
    meta, body = _front_matter(text)
    if meta and not body.strip():
        yield BadInput("no text after the front matter"), None, ""
        return
    try:
        yield (
            build_article(
                text=body,
                max_chars=max_chars,
                given_id=check_id(meta.get("id")),
                url=meta.get("url", ""),
                fallback_id=(ascii_slug(Path(rel).stem), ("path", rel)),
                title=" ".join(meta.get("title", "").split()),
                summary=meta.get("summary", ""),
                date_value=meta.get("date"),
                source=meta.get("source", ""),
                path=path,
            ),
            None,
            "",
        )
    except BadInput as bad:
        yield bad, None, ""


def _read_txt(text: str, rel: str, path: str, max_chars: int) -> Iterator[_Item]:
    """A ``.txt`` file: TREC-style documents when it starts with ``<DOC>``/``<DOCNO>``, else plain text."""
    yield from (read_trec if looks_trec(text) else _read_text)(text, rel, path, max_chars)


def _read_bare(text: str, rel: str, path: str, max_chars: int) -> Iterator[_Item]:
    """A file without an extension: read only when it is TREC-style, else skipped (a LICENSE, a Makefile)."""
    if looks_trec(text):
        yield from read_trec(text, rel, path, max_chars)


def _read_jsonl(text: str, rel: str, path: str, max_chars: int) -> Iterator[_Item]:
    stem = ascii_slug(Path(rel).stem, 30)
    for number, line in enumerate(_LINE_END.split(text), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadInput(f"invalid JSON: {exc.msg} (column {exc.colno})"), number, ""
            continue
        fallback = (f"{stem}-{number}".strip("-"), ("path", rel, str(number)))
        try:
            yield article_from_record(record, max_chars=max_chars, fallback_id=fallback, path=path), number, ""
        except BadInput as bad:
            yield bad, number, ""


def _read_json(text: str, rel: str, path: str, max_chars: int) -> Iterator[_Item]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield BadInput(f"invalid JSON: {exc.msg} (column {exc.colno})"), exc.lineno, ""
        return
    stem = ascii_slug(Path(rel).stem, 30)
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        records: list[Any] = data["articles"]
        label = "articles"
    elif isinstance(data, list):
        records, label = data, ""
    elif isinstance(data, dict) and ("text" in data or "content" in data):
        try:
            yield article_from_record(data, max_chars=max_chars, fallback_id=(stem, ("path", rel)), path=path), None, ""
        except BadInput as bad:
            yield bad, None, ""
        return
    else:
        yield BadInput('expected a list of articles, {"articles": [...]}, or one article object'), None, ""
        return
    if not records:
        yield BadInput("no articles in the file (empty list)"), None, ""
    for index, record in enumerate(records):
        fallback = (f"{stem}-{index}".strip("-"), ("path", rel, str(index)))
        try:
            yield (
                article_from_record(record, max_chars=max_chars, fallback_id=fallback, path=path),
                None,
                f"{label}[{index}]",
            )
        except BadInput as bad:
            yield bad, None, f"{label}[{index}]"


def _extract_html(text: str) -> Any:
    """trafilatura's extraction with its logging and warnings kept out of the caller's output."""
    import trafilatura

    logger = logging.getLogger("trafilatura")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The date from the page's metadata only: htmldate's extensive search turns a bare "2025" in the
            # text into 2025-01-01; a dateline in the text is read by build_article instead.
            return trafilatura.bare_extraction(
                text,
                with_metadata=True,
                include_comments=False,
                date_extraction_params={"extensive_search": False, "original_date": True},
            )
    finally:
        logger.setLevel(level)


def _read_html(text: str, rel: str, path: str, max_chars: int) -> Iterator[_Item]:
    try:
        doc = _extract_html(text)
    except Exception as exc:  # a parser failure on one page must not stop the run
        yield BadInput(f"could not parse HTML: {exc}"), None, ""
        return
    body = clean_text(getattr(doc, "text", None) or "") if doc is not None else ""
    if not body.strip():
        yield BadInput("no main text found in the HTML"), None, ""
        return
    try:
        when = parse_date(getattr(doc, "date", None))
    except ValueError:
        when = None  # an extracted date we cannot read is not the file's fault
    try:
        yield (
            build_article(
                text=body,
                max_chars=max_chars,
                given_id=None,
                url=str(getattr(doc, "url", None) or ""),
                fallback_id=(ascii_slug(Path(rel).stem), ("path", rel)),
                title=clean_text(str(getattr(doc, "title", None) or "")).strip(),
                date_value=when,
                source=str(getattr(doc, "sitename", None) or ""),
                path=path,
            ),
            None,
            "",
        )
    except BadInput as bad:
        yield bad, None, ""


READERS = {
    ".txt": _read_txt,
    "": _read_bare,
    ".md": _read_text,
    ".jsonl": _read_jsonl,
    ".json": _read_json,
    ".html": _read_html,
    ".htm": _read_html,
}
