"""A persistent BM25 index over normalised, stemmed chunk text: the lexical leg of retrieval.

It lives in a folder beside the chromadb data (``lexical.sqlite3``, SQLite FTS5) and is a
*derived* index: chromadb stays the source of truth. Every write is one SQLite transaction
(WAL journal), so a process that dies mid-write leaves the previous state, never half an
article. :meth:`LexicalIndex.article_hashes` lets the indexer compare with the store after a
crash and :meth:`LexicalIndex.diff` names what to repair; :meth:`LexicalIndex.rebuild`
starts over from ``store.iter_passages()``.

Why SQLite FTS5 (numbers in ``benchmarks/retrieval_lab.py --parts engines``): it is in the
standard library, updates one article at a time in a transaction (bm25s must rebuild and
rewrite its whole index for any change), filters on metadata in the same SQL query, and its
fixed BM25 parameters (k1=1.2, b=0.75) are the best we measured on the QA sets anyway.

Terms come from :func:`index.stemming.analyse`; the analyser's name is recorded, and an index
built with another analyser is emptied on open (``article_hashes()`` is then empty, so the
indexer's repair re-adds everything from the store).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .documents import Chunk, Filters, Passage, date_number
from .errors import StoreError
from .stemming import DEFAULT_STEMMER, analyse

SCHEMA_VERSION = "1"
DB_NAME = "lexical.sqlite3"
MAX_QUERY_TERMS = 64

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    article_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    chunks INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    chunk_id TEXT NOT NULL UNIQUE,
    article_id TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    date INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5(
    body, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
);
CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(terms, 'row');
"""


@dataclass
class Diff:
    """What differs between the lexical index and the store (see :meth:`LexicalIndex.diff`)."""

    missing: list[str] = field(default_factory=list)  # in the store, not here
    stale: list[str] = field(default_factory=list)  # here with another content hash
    extra: list[str] = field(default_factory=list)  # here, not in the store

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)

    @property
    def to_index(self) -> list[str]:
        return self.missing + self.stale


def fingerprint(chunk_ids: Iterable[str]) -> str:
    """A stand-in content hash: the article's chunk ids (themselves content hashes), sorted."""
    return "chunks:" + hashlib.sha256("\n".join(sorted(chunk_ids)).encode()).hexdigest()[:16]


class LexicalIndex:
    """BM25 over SQLite FTS5. Thread-safe; one connection guarded by a lock."""

    def __init__(self, path: Path, *, analyser: str = DEFAULT_STEMMER) -> None:
        self.path = Path(path)
        self.analyser = analyser
        self._lock = threading.RLock()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path / DB_NAME, check_same_thread=False, timeout=30.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._db = db
            with self._write():
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        db.execute(stmt)
                self._check_meta()
            return db
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the lexical index at {self.path}: {exc}", path=str(self.path)) from exc

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it is written, or (on any error or crash) none of it."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def _check_meta(self) -> None:
        want = {"schema": SCHEMA_VERSION, "analyser": self.analyser}
        have = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if have and have != want:
            # Built by another analyser or schema: its terms cannot be queried with ours.
            self._clear()
        self._db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", list(want.items()))

    def _clear(self) -> None:
        self._db.execute("DELETE FROM terms")
        self._db.execute("DELETE FROM chunks")
        self._db.execute("DELETE FROM articles")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> LexicalIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def terms(self, text: str) -> list[str]:
        """The index terms of ``text`` (normalised, stop words dropped, stemmed)."""
        return analyse(text, self.analyser)

    # ------------------------------------------------------------------ writes

    def upsert(self, passages: Iterable[Passage | Chunk], *, content_hashes: Mapping[str, str] | None = None) -> None:
        """Index these chunks, replacing *every* chunk already indexed for their articles.

        Pass all chunks of an article in one call. ``content_hashes`` (article id → the
        article's content hash, as the store records it) makes :meth:`article_hashes`
        comparable with the store; without it the article's chunk-id fingerprint is recorded.
        Metadata (source, date) comes from :class:`Passage`; a bare :class:`Chunk` has none.
        """
        by_article: dict[str, list[Passage | Chunk]] = defaultdict(list)
        for p in passages:
            by_article[p.article_id].append(p)
        rows = {aid: [(p, " ".join(self.terms(p.text))) for p in items] for aid, items in by_article.items()}
        hashes = content_hashes or {}
        try:
            with self._write() as db:
                for aid, items in rows.items():
                    self._delete(db, aid)
                    for p, body in items:
                        source = p.source if isinstance(p, Passage) else ""
                        day = date_number(p.date) if isinstance(p, Passage) else 0
                        cur = db.execute(
                            "INSERT OR REPLACE INTO chunks(chunk_id, article_id, source, date) VALUES (?, ?, ?, ?)",
                            (p.chunk_id if isinstance(p, Passage) else p.id, aid, source, day),
                        )
                        db.execute("INSERT INTO terms(rowid, body) VALUES (?, ?)", (cur.lastrowid, body))
                    ids = [p.chunk_id if isinstance(p, Passage) else p.id for p, _ in items]
                    db.execute(
                        "INSERT INTO articles(article_id, content_hash, chunks) VALUES (?, ?, ?)",
                        (aid, hashes.get(aid) or fingerprint(ids), len(ids)),
                    )
        except sqlite3.Error as exc:
            raise StoreError(f"lexical index write failed: {exc}", path=str(self.path)) from exc

    upsert_passages = upsert

    def _delete(self, db: sqlite3.Connection, article_id: str) -> int:
        rowids = [r for (r,) in db.execute("SELECT rowid FROM chunks WHERE article_id = ?", (article_id,))]
        if rowids:
            db.executemany("DELETE FROM terms WHERE rowid = ?", [(r,) for r in rowids])
            db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        db.execute("DELETE FROM articles WHERE article_id = ?", (article_id,))
        return len(rowids)

    def delete_article(self, article_id: str) -> int:
        """Remove an article's chunks; returns how many there were (0 if unknown)."""
        try:
            with self._write() as db:
                return self._delete(db, article_id)
        except sqlite3.Error as exc:
            raise StoreError(f"lexical index write failed: {exc}", path=str(self.path)) from exc

    def rebuild(
        self, passages: Iterable[Passage], *, content_hashes: Mapping[str, str] | None = None, batch: int = 2000
    ) -> int:
        """Start over from ``passages`` (e.g. ``store.iter_passages()``); returns the chunk count.

        Built into a fresh file that replaces the old one by rename when complete, so the
        old index stays readable (and intact after a crash) until the new one is whole.
        """
        tmp_dir = self.path.parent / f".{self.path.name}.rebuild"
        tmp_db = tmp_dir / DB_NAME
        tmp_dir.mkdir(parents=True, exist_ok=True)
        for leftover in tmp_dir.glob(DB_NAME + "*"):
            leftover.unlink()
        fresh = LexicalIndex(tmp_dir, analyser=self.analyser)
        try:
            pending: dict[str, list[Passage]] = defaultdict(list)
            order: list[str] = []
            for p in passages:  # group by article (iter_passages may interleave them)
                if p.article_id not in pending:
                    order.append(p.article_id)
                pending[p.article_id].append(p)
            for i in range(0, len(order), batch):
                part = [p for aid in order[i : i + batch] for p in pending[aid]]
                fresh.upsert(part, content_hashes=content_hashes)
            fresh._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            fresh.close()
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()  # the last connection's close removes the (empty) WAL
            tmp_db.replace(self.path / DB_NAME)
            for leftover in tmp_dir.iterdir():
                leftover.unlink()
            tmp_dir.rmdir()
            self._db = self._open()
        return self.count()

    # ------------------------------------------------------------------ reads

    def count(self) -> int:
        """Number of indexed chunks."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def article_hashes(self) -> dict[str, str]:
        """Article id → content hash recorded at upsert (or the chunk-id fingerprint)."""
        with self._lock:
            return dict(self._db.execute("SELECT article_id, content_hash FROM articles").fetchall())

    def article_chunk_ids(self, article_id: str) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT chunk_id FROM chunks WHERE article_id = ? ORDER BY rowid", (article_id,))
            return [r for (r,) in rows]

    def diff(self, store_hashes: Mapping[str, str]) -> Diff:
        """Compare with the store's article hashes: what is missing, stale, or extra here."""
        mine = self.article_hashes()
        return Diff(
            missing=sorted(a for a in store_hashes if a not in mine),
            stale=sorted(a for a, h in store_hashes.items() if a in mine and mine[a] != h),
            extra=sorted(a for a in mine if a not in store_hashes),
        )

    def query_coverage(self, query: str) -> float:
        """Share of the query's terms that occur anywhere in the index (0.0 for no terms)."""
        terms = sorted(set(self.terms(query)))[:MAX_QUERY_TERMS]
        if not terms:
            return 0.0
        with self._lock:
            marks = ",".join("?" * len(terms))
            found = self._db.execute(f"SELECT count(*) FROM vocab WHERE term IN ({marks})", terms).fetchone()[0]
        return float(found) / len(terms)

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The ``k`` best chunks by BM25 as ``(chunk_id, score)``, best first; scores are > 0."""
        terms = list(dict.fromkeys(self.terms(query)))[:MAX_QUERY_TERMS]
        if not terms or k < 1:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)
        where, params = _filter_sql(filters)
        sql = (
            "SELECT c.chunk_id, -bm25(terms) AS score FROM terms JOIN chunks c ON c.rowid = terms.rowid "
            f"WHERE terms MATCH ? {where} ORDER BY bm25(terms) LIMIT ?"
        )
        try:
            with self._lock:
                rows = self._db.execute(sql, [match, *params, k]).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"lexical search failed: {exc}", path=str(self.path)) from exc
        return [(cid, float(score)) for cid, score in rows]


def _filter_sql(filters: Filters | None) -> tuple[str, list[object]]:
    if filters is None or filters.empty:
        return "", []
    clauses: list[str] = []
    params: list[object] = []
    if filters.sources:
        clauses.append(f"c.source IN ({','.join('?' * len(filters.sources))})")
        params += list(filters.sources)
    if filters.article_ids:
        clauses.append(f"c.article_id IN ({','.join('?' * len(filters.article_ids))})")
        params += list(filters.article_ids)
    if filters.since:
        clauses.append("c.date >= ?")
        params.append(date_number(filters.since))
    if filters.until:
        clauses.append("c.date > 0 AND c.date <= ?")
        params.append(date_number(filters.until))
    return "AND " + " AND ".join(clauses), params
