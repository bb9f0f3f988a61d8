"""One generation of the lexical index on disk: the tantivy index and its SQLite sidecar.

:class:`Generation` opens (or creates) ``gen-NNNNNN/tantivy`` with its schema — one document per
chunk: ``chunk_id``, ``article_id``, ``source``, ``date`` and the ``body`` terms, whose values
:func:`chunk_fields` gives — and ``gen-NNNNNN/lexical.sqlite3``, which records the settings it was
built with (:data:`SCHEMA_VERSION`, the analyser), each article's content hash, and how far it has
followed the store's change log (``follow``: the log's id and cursor, :mod:`index.lexical_follow`).
:func:`load_tantivy` imports tantivy or raises a :class:`~index.errors.ConfigError`. Part of
:mod:`index.lexical`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .documents import Chunk, Passage, date_number
from .errors import ConfigError

SCHEMA_VERSION = "2"

_SQL_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS articles (article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL,"
    " chunks INTEGER NOT NULL, arabic_words INTEGER NOT NULL, latin_words INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS follow (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def load_tantivy() -> Any:
    try:
        import tantivy
    except ImportError as exc:  # pragma: no cover - dependency is required
        raise ConfigError("the tantivy package is not installed: pip install tantivy") from exc
    return tantivy


def chunk_fields(p: Passage | Chunk) -> tuple[str, str, str, int]:
    if isinstance(p, Passage):
        return p.chunk_id, p.article_id, p.source, date_number(p.date)
    return p.id, p.article_id, "", 0


class Generation:
    """One generation on disk: the tantivy index and its SQLite sidecar."""

    def __init__(self, root: Path, analyser: str) -> None:
        tv = load_tantivy()
        self.root = root
        sb = tv.SchemaBuilder()
        sb.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
        sb.add_text_field("article_id", stored=False, tokenizer_name="raw", index_option="basic")
        sb.add_text_field("source", stored=False, tokenizer_name="raw", index_option="basic")
        sb.add_integer_field("date", stored=False, indexed=True, fast=True)
        sb.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
        self.schema = sb.build()
        (root / "tantivy").mkdir(parents=True, exist_ok=True)
        self.index = tv.Index(self.schema, path=str(root / "tantivy"), reuse=True)
        self.db = sqlite3.connect(root / "lexical.sqlite3", check_same_thread=False, timeout=30.0, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        for stmt in _SQL_SCHEMA:
            self.db.execute(stmt)
        want = {"schema": SCHEMA_VERSION, "analyser": analyser}
        have = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if have and have != want:
            raise ConfigError(f"lexical index built with {have}, need {want}")
        self.db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", list(want.items()))

    def close(self) -> None:
        self.db.close()
