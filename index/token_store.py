"""Passage token states on disk, for the late-interaction reranker of a new process.

The reranker (:mod:`index.rerank`) needs each candidate passage's token states: one encoder
pass over ~20 passages of ~200 tokens, about half a second per question in a new process, where
its in-memory cache is empty (``benchmarks/cold_start.py``). :class:`TokenStore` keeps them in
one SQLite file, keyed by (embedder identity, SHA-256 of the passage text) — content-addressed,
so an edited chunk never reads stale states and a re-index under another embedder never mixes
them — stored as int8 rows with a scale each (:mod:`index.token_codec`), bounded in bytes (the
least recently written go first). A file of the older float16 table has that table dropped.

It is a cache: SQLite's transactions mean a process killed mid-write leaves the file as it was;
a damaged or unreadable file is replaced by an empty one, and a row that does not decode is a
miss. Several processes (``sanad serve`` beside ``sanad ask``) may share it (WAL mode).
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .token_codec import PackedStates

DEFAULT_MAX_BYTES = 2_000_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS states (
    key TEXT PRIMARY KEY,
    dim INTEGER NOT NULL,
    data BLOB NOT NULL,
    written REAL NOT NULL
)
"""


def text_key(identity: str, text: str) -> str:
    return hashlib.sha256(f"{identity}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()


class TokenStore:
    """Token states of passage texts under one embedder ``identity``, at most ``max_bytes``."""

    def __init__(self, path: Path, identity: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path)
        self.identity = identity
        self.max_bytes = max(0, max_bytes)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is not None:
            return self._db
        for attempt in range(2):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
                db.execute("DROP TABLE IF EXISTS tokens")  # float16 rows of an older Sanad
                self._db = db
                return db
            except sqlite3.DatabaseError:
                if attempt == 0:  # not a database (damaged): a cache starts again
                    for suffix in ("", "-wal", "-shm"):
                        with contextlib.suppress(OSError):
                            Path(f"{self.path}{suffix}").unlink()
            except OSError:
                return None
        return None

    def get_many(self, texts: Sequence[str]) -> list[PackedStates | None]:
        """The stored states of each text, None where not stored."""
        out: list[PackedStates | None] = [None] * len(texts)
        if not texts or self.max_bytes == 0:
            return out
        keys = [text_key(self.identity, t) for t in texts]
        with self._lock:
            db = self._connect()
            if db is None:
                return out
            try:
                marks = ",".join("?" * len(keys))
                rows = db.execute(f"SELECT key, dim, data FROM states WHERE key IN ({marks})", keys).fetchall()
            except sqlite3.Error:
                return out
        found = {key: (int(dim), bytes(data)) for key, dim, data in rows}
        for i, key in enumerate(keys):
            if key in found:
                out[i] = PackedStates.from_bytes(found[key][1], found[key][0])
        return out

    def put_many(self, items: Iterable[tuple[str, NDArray[np.floating] | PackedStates]]) -> None:
        """Store each (text, states); then drop the oldest rows while over :attr:`max_bytes`."""
        if self.max_bytes == 0:
            return
        now = time.time()
        rows = []
        for text, states in items:
            try:
                packed = PackedStates.of(states)
            except ValueError:  # not (rows, dim): nothing to keep
                continue
            if packed.dim > 0 and packed.nbytes <= self.max_bytes:
                rows.append((text_key(self.identity, text), packed.dim, packed.to_bytes(), now))
        if not rows:
            return
        with self._lock:
            db = self._connect()
            if db is None:
                return
            try:
                with db:  # one transaction
                    db.execute("BEGIN IMMEDIATE")
                    db.executemany("INSERT OR REPLACE INTO states VALUES (?, ?, ?, ?)", rows)
                    self._trim(db)
            except sqlite3.Error:
                return

    def _trim(self, db: sqlite3.Connection) -> None:
        total = int(db.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM states").fetchone()[0])
        if total <= self.max_bytes:
            return
        excess = total - int(self.max_bytes * 0.9)  # trim to 90 %: not on every later write
        dropped = 0
        doomed: list[str] = []
        for key, size in db.execute("SELECT key, LENGTH(data) FROM states ORDER BY written, key"):
            if dropped >= excess:
                break
            doomed.append(key)
            dropped += int(size)
        db.executemany("DELETE FROM states WHERE key = ?", [(k,) for k in doomed])

    def nbytes(self) -> int:
        with self._lock:
            db = self._connect()
            if db is None:
                return 0
            return int(db.execute("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM states").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
