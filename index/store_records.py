"""How Sanad's objects are laid out as chromadb records, and read back.

The metadata of a chunk record (:func:`chunk_metadata`) and of an article record
(:func:`record_metadata`), the checks a batch of chunks passes before it is written
(:func:`check_chunks`), the way back from stored metadata to a :class:`~index.documents.Passage`
(:func:`record_passage`) or :class:`~index.documents.ArticleInfo` (:func:`record_info`), dates
stored as ``YYYYMMDD`` ints (:func:`number_date`), and search filters as a chromadb ``where``
(:func:`chroma_where`). Pure functions: no client, no collection.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .documents import Article, ArticleInfo, Chunk, Filters, Passage, Span, date_number
from .errors import RequestError, StoreError


def chroma_where(filters: Filters | None) -> dict[str, Any] | None:
    """Filters → a chromadb ``where`` on the chunk metadata (``None`` when nothing filters).

    An article without a date (stored as 0) is kept only when no date bound is given, or with
    ``filters.undated``.
    """
    if filters is None or filters.empty:
        return None
    if filters.since and filters.until and filters.since > filters.until:
        raise RequestError(f"since ({filters.since}) is after until ({filters.until})")
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(dict.fromkeys(filters.sources))}})
    if filters.article_ids:
        clauses.append({"article_id": {"$in": list(dict.fromkeys(filters.article_ids))}})
    if filters.since or filters.until:
        bounds: list[dict[str, Any]] = [{"date": {"$gte": date_number(filters.since) if filters.since else 1}}]
        if filters.until:
            bounds.append({"date": {"$lte": date_number(filters.until)}})
        dated = bounds[0] if len(bounds) == 1 else {"$and": bounds}
        clauses.append({"$or": [dated, {"date": 0}]} if filters.undated else dated)
    if len(clauses) == 1:
        return clauses[0]
    return {"$and": [part for c in clauses for part in (c["$and"] if set(c) == {"$and"} else [c])]}


def number_date(n: Any) -> dt.date | None:
    """The inverse of :func:`index.documents.date_number` (0 or junk → ``None``)."""
    try:
        n = int(n)
        return dt.date(n // 10000, n // 100 % 100, n % 100) if n > 0 else None
    except (TypeError, ValueError):
        return None


def chunk_metadata(article: Article, chunk: Chunk) -> dict[str, str | int]:
    return {
        "article_id": article.id,
        "content_hash": article.content_hash,  # visible only while the article's record says the same
        "title": article.title,
        "date": date_number(article.date),
        "source": article.source,
        "url": article.url,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "sentences": json.dumps([[s.start, s.end] for s in chunk.sentences]),
    }


def record_passage(chunk_id: str, text: str | None, meta: Mapping[str, Any] | None, score: float = 0.0) -> Passage:
    meta = meta or {}
    sentences = [Span(start=int(s), end=int(e)) for s, e in json.loads(str(meta.get("sentences") or "[]"))]
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta.get("article_id", "")),
        title=str(meta.get("title", "")),
        date=number_date(meta.get("date")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
        index=int(meta.get("index", 0)),
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        text=text or "",
        sentences=sentences,
        score=score,
    )


def record_info(article_id: str, meta: Mapping[str, Any] | None) -> ArticleInfo:
    meta = meta or {}
    return ArticleInfo(
        id=article_id,
        title=str(meta.get("title", "")),
        date=number_date(meta.get("date")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
        chunks=int(meta.get("n_chunks", 0)),
        chars=int(meta.get("chars", 0)),
        content_hash=str(meta.get("content_hash", "")),
    )


def check_chunks(article: Article, chunks: Sequence[Chunk], vectors: NDArray[Any]) -> None:
    ids = [c.id for c in chunks]
    if len(set(ids)) != len(ids):
        raise StoreError(f"article {article.id!r} has duplicate chunk ids", article_id=article.id)
    if any(c.article_id != article.id for c in chunks):
        raise StoreError(f"chunks given for article {article.id!r} belong to another article", article_id=article.id)
    shape = np.shape(vectors)
    if chunks and (len(shape) != 2 or shape[0] != len(chunks)):
        raise StoreError(
            f"article {article.id!r}: {len(chunks)} chunks but vectors of shape {shape}", article_id=article.id
        )


def record_metadata(article: Article, chunk_ids: Sequence[str]) -> dict[str, str | int]:
    """The article's record; ``chunk_ids`` are the chunks it commits (the only ones visible)."""
    return {
        "title": article.title,
        "date": date_number(article.date),
        "source": article.source,
        "url": article.url,
        "summary": article.summary,
        "path": article.path,
        "content_hash": article.content_hash,
        "n_chunks": len(chunk_ids),
        "chunk_ids": json.dumps(list(chunk_ids)),
        "chars": len(article.text),
    }


def committed_chunks(meta: Mapping[str, Any] | None) -> frozenset[str] | None:
    """The chunk ids an article record commits; None for records written before they were listed."""
    raw = (meta or {}).get("chunk_ids")
    if not raw:
        return None
    try:
        ids = json.loads(str(raw))
    except ValueError:
        return None
    return frozenset(str(i) for i in ids) if isinstance(ids, list) else None
