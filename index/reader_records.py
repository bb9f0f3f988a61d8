"""Record → :class:`~index.documents.Article` validation, shared by every reader and the HTTP API.

:func:`build_article` checks text, length, date and id and fills in a derived title and summary;
:func:`article_from_record` validates one JSON object (``text``/``content``, ``id``, ``url``,
``date``/``date_extracted``/``published``, …) into it; :func:`articles_from_records` does that for
a batch of API records, with unique ids. Problems are raised as :class:`BadInput` and turned into
:class:`~index.errors.InputError` by the caller. Ids, dates (:func:`parse_date`) and slugs
(:func:`ascii_slug`) are made here. Part of :mod:`index.readers`, which re-exports
:func:`articles_from_records` and :func:`parse_date`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from .dates import published_from_text
from .documents import Article, content_hash
from .errors import InputError
from .hygiene import text_problem
from .reader_decoding import clean_text
from .reader_titles import title_and_summary

_HEAD_CHARS = 8000  # title and bullet summary are looked for in this much of the text

_SAFE_ID = re.compile(r"[\w~-][\w.~-]{0,199}")
_LEADING_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T\s])")


class BadInput(Exception):
    """Internal: a reason to reject the input, turned into an InputError by the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_date(value: Any) -> date | None:
    """Lenient date: ISO date or datetime (``2015-07-21``, ``2015-07-21 10:00:00``, ``…T10:00Z``),
    ``2015/07/21``, RFC 2822 (``Tue, 21 Jul 2015 10:00:00 +0000``); ``None``/``""`` → ``None``.
    Raises ``ValueError`` for anything else."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"date must be a string like 2015-07-21, not {type(value).__name__}")
    text = value.strip()
    if not text:
        return None
    match = _LEADING_DATE.match(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"unreadable date {value!r} (expected e.g. 2015-07-21)") from None


def ascii_slug(text: str, limit: int = 40) -> str:
    """ASCII, lowercase, hyphenated; '' when nothing ASCII is left (e.g. an Arabic name)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > limit:
        cut = slug[:limit]
        slug = (cut.rsplit("-", 1)[0] if "-" in cut else cut).strip("-")
    return slug


def _make_id(prefix: str, *key: str) -> str:
    digest = content_hash(*key, length=12)
    return f"{prefix}-{digest}" if prefix else digest


def _url_id(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    return _make_id(ascii_slug(f"{host} {parts.path}"), "url", url)


def check_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadInput(f"field 'id' must be a string or an integer, not {type(value).__name__}")
    ident = str(value).strip()
    if not _SAFE_ID.fullmatch(ident):
        raise BadInput(
            f"id {ident[:60]!r} is not URL-safe (use letters, digits, '_', '-', '.', '~'; not starting with '.')"
        )
    return ident


def _clean_field(value: str, key: str) -> str:
    """A record's string field through the door: valid Unicode text (else BadInput), cleaned."""
    problem = text_problem(value)
    if problem is not None:
        raise BadInput(f"field '{key}' {problem}")
    return clean_text(value)


def _opt_str(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, list) and key == "summary" and all(isinstance(v, str) for v in value):
        return _clean_field("\n".join(v.strip() for v in value), key).strip()
    if not isinstance(value, str):
        raise BadInput(f"field '{key}' must be a string, not {type(value).__name__}")
    return _clean_field(value, key).strip()


def build_article(
    *,
    text: str,
    max_chars: int | None,
    given_id: str | None,
    url: str,
    fallback_id: tuple[str, tuple[str, ...]],
    title: str = "",
    summary: str = "",
    date_value: Any = None,
    source: str = "",
    path: str = "",
) -> Article:
    text = text.strip()
    if not text:
        raise BadInput("empty text")
    if max_chars is not None and len(text) > max_chars:
        raise BadInput(f"article text is {len(text):,} characters, over the {max_chars:,}-character limit")
    try:
        when = parse_date(date_value)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if when is None:  # no date in the metadata: the article's dateline, if its head has one
        when = published_from_text(text)
    if not title or not summary:
        derived_title, derived_summary = title_and_summary(text[:_HEAD_CHARS])
        title = title or derived_title
        summary = summary or derived_summary
    if given_id is not None:
        ident = given_id
    elif url:
        ident = _url_id(url)
    else:
        ident = _make_id(fallback_id[0], *fallback_id[1])
    return Article(
        id=ident,
        title=title,
        text=text,
        date=when,
        source=source,
        url=url,
        summary=summary,
        path=path,
    )


def article_from_record(
    record: Any, *, max_chars: int | None, fallback_id: tuple[str, tuple[str, ...]], path: str
) -> Article:
    if not isinstance(record, dict):
        raise BadInput(f"expected a JSON object, got {type(record).__name__}")
    if "text" in record and record["text"] is not None:
        key = "text"
    elif "content" in record and record["content"] is not None:
        key = "content"
    else:
        raise BadInput("no 'text' or 'content' field")
    raw = record[key]
    if not isinstance(raw, str):
        raise BadInput(f"field '{key}' must be a string, not {type(raw).__name__}")
    text = _clean_field(raw, key)
    if not text.strip():
        raise BadInput(f"empty '{key}' field")
    date_value = next((record[k] for k in ("date", "date_extracted", "published") if record.get(k)), None)
    return build_article(
        text=text,
        max_chars=max_chars,
        given_id=check_id(record.get("id")),
        url=_opt_str(record, "url"),
        fallback_id=fallback_id,
        title=" ".join(_opt_str(record, "title").split()),
        summary=_opt_str(record, "summary"),
        date_value=date_value,
        source=_opt_str(record, "source"),
        path=path,
    )


def articles_from_records(
    records: Iterable[dict[str, Any]], *, origin: str, max_article_chars: int | None = None
) -> Iterator[Article | InputError]:
    """The same validation for JSON objects (e.g. from the HTTP API); errors name ``origin`` and the index.

    Ids: ``id`` if given, else derived from ``url``, else from the title and text (so sending the
    same article twice gives the same id).
    """
    seen: dict[str, str] = {}
    prefix = ascii_slug(origin, 20)
    for index, record in enumerate(records):
        try:
            title = record.get("title") if isinstance(record, dict) else None
            text = record.get("text", record.get("content")) if isinstance(record, dict) else None
            key = ("record", str(title or ""), str(text or ""))
            article = article_from_record(record, max_chars=max_article_chars, fallback_id=(prefix, key), path="")
        except BadInput as bad:
            yield InputError(f"[{index}]: {bad.reason}", path=origin, index=index, detail=bad.reason)
            continue
        if article.id in seen:
            detail = f"duplicate id {article.id!r} (first seen at {seen[article.id]})"
            yield InputError(f"[{index}]: {detail}", path=origin, index=index, detail=detail)
            continue
        seen[article.id] = f"[{index}]"
        yield article
