"""The query side of the lexical index: filters as a tantivy query, query statistics, limits.

:func:`filter_query` turns search :class:`~index.documents.Filters` (sources, article ids, date
range) into a tantivy query run inside the search; :class:`QueryStats` is what the fusion learns
about a query's lexical side (:meth:`index.lexical.LexicalIndex.query_stats`), computed with the
limits and BM25 constants defined here. Part of :mod:`index.lexical`, which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .documents import Filters, date_number

MAX_QUERY_TERMS = 256
# The lexical leg gets its full weight when at least this share of the corpus's words is in the
# question's script (Arabic or Latin), and proportionally less below: an English question over
# Arabic news with a few English names in it must not lean on those.
SCRIPT_FULL_SHARE = 0.5
BM25_K1 = 1.2  # tantivy's fixed BM25 parameters (b = 0.75)


@dataclass
class QueryStats:
    """What the fusion needs to know about a query's lexical side."""

    terms: list[str]
    coverage: float  # words_found, discounted when the corpus is hardly written in the query's script
    bound: float  # the highest BM25 score a chunk could reach (all terms, saturated)
    words_found: float = 0.0  # share of the query's distinct words (stems) found in the index
    script_share: float = 1.0  # share of the corpus's words in the query's script


def filter_query(tv: Any, schema: Any, filters: Filters | None) -> Any:
    if filters is None or filters.empty:
        return None
    parts: list[Any] = []
    if filters.sources:
        parts.append(tv.Query.term_set_query(schema, "source", list(filters.sources)))
    if filters.article_ids:
        parts.append(tv.Query.term_set_query(schema, "article_id", list(filters.article_ids)))
    if filters.since or filters.until:
        lower = date_number(filters.since) if filters.since else 1  # unknown dates (0) never match
        upper = date_number(filters.until) if filters.until else None
        dated = tv.Query.range_query(schema, "date", tv.FieldType.Integer, lower, upper)
        if filters.undated:
            undated = tv.Query.range_query(schema, "date", tv.FieldType.Integer, 0, 0)
            dated = tv.Query.boolean_query([(tv.Occur.Should, dated), (tv.Occur.Should, undated)])
        parts.append(dated)
    if len(parts) == 1:
        return parts[0]
    return tv.Query.boolean_query([(tv.Occur.Must, p) for p in parts])
