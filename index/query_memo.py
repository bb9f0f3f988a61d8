"""Query vectors remembered for the rest of an ask: one forward pass of the question, not one per stage.

Retrieval embeds the question (:mod:`index.retrieval`), and the extractive answerer needs the same
vector to score the candidate sentences (:mod:`qa.sentence_rank`). :class:`QueryMemo` wraps any
:class:`~index.embeddings.Embedder` (same Protocol, same identity) and keeps the last ``size``
query vectors by text; passages always go to the inner embedder (their vectors are stored at ingest).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .embeddings import Embedder, Kind, Vectors

DEFAULT_SIZE = 32


class QueryMemo:
    """An embedder that embeds a query text once while it is among the last ``size`` asked."""

    def __init__(self, inner: Embedder, size: int = DEFAULT_SIZE) -> None:
        if size < 1:
            raise ValueError(f"the query memo needs room for at least one query, got {size}")
        self.inner = inner
        self.size = size
        self._vectors: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return self.inner.identity

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        if kind != "query" or not texts:
            return self.inner.embed(texts, kind)
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for t in found:
                self._vectors.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = np.asarray(self.inner.embed(missing, kind), dtype=np.float32)
            with self._lock:
                for t, row in zip(missing, fresh, strict=True):
                    row.setflags(write=False)
                    found[t] = row
                    self._vectors[t] = row
                    self._vectors.move_to_end(t)
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return np.vstack([found[t] for t in texts])
