"""A persistent embedding cache that wraps any Embedder (same Protocol, same identity).

Vectors are keyed by (embedder identity, kind, sha256 of the text) in one SQLite file, so
re-running an evaluation or re-indexing the same text never embeds it twice.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .embeddings import Embedder, Kind, PassageEncoding, Span, Vectors, encode_passages


def _key(identity: str, kind: str, text: str) -> str:
    return hashlib.sha256(f"{identity}\x00{kind}\x00{text}".encode()).hexdigest()


class CachedEmbedder:
    """Caches ``kinds`` (passages by default: queries are embedded afresh, so latencies stay honest)."""

    def __init__(self, inner: Embedder, path: Path, *, kinds: tuple[Kind, ...] = ("passage",)) -> None:
        self.inner = inner
        self.kinds = kinds
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def identity(self) -> str:
        return self.inner.identity

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        if kind not in self.kinds:
            return self.inner.embed(texts, kind)
        keys = [_key(self.identity, kind, t) for t in texts]
        found = self._get(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = np.asarray(self.inner.embed([texts[i] for i in missing], kind), dtype=np.float32)
            rows = [(keys[i], fresh[j].tobytes()) for j, i in enumerate(missing)]
            self._put(rows)
            found.update(rows)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([np.frombuffer(found[k], dtype=np.float32) for k in keys])

    def encode_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]], *, local_layers: int = 0
    ) -> list[PassageEncoding]:
        """The wrapped backend's one-pass encoding, its vectors (not the token states) cached
        under the text, its spans and ``local_layers``."""
        kind = f"encoding-local{local_layers}" if local_layers else "encoding"
        keys = [
            _key(self.identity, kind, json.dumps([t, list(map(list, s))])) for t, s in zip(texts, spans, strict=True)
        ]
        found = self._get(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        fresh = (
            encode_passages(
                self.inner, [texts[i] for i in missing], [spans[i] for i in missing], local_layers=local_layers
            )
            if missing
            else []
        )
        if fresh:
            rows = [
                (keys[i], np.vstack([e.vector[None, :], e.spans]).astype(np.float32).tobytes())
                for i, e in zip(missing, fresh, strict=True)
            ]
            self._put(rows)
        out: list[PassageEncoding] = []
        by_index = dict(zip(missing, fresh, strict=True))
        for i, key in enumerate(keys):
            if i in by_index:
                out.append(by_index[i])
                continue
            block = np.frombuffer(found[key], dtype=np.float32).reshape(len(spans[i]) + 1, -1)
            out.append(PassageEncoding(block[0], block[1:]))
        return out

    def _get(self, keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", part).fetchall()
                found.update(rows)
        return found

    def _put(self, rows: Sequence[tuple[str, bytes]]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()
