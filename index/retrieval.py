"""Retrievers: one Protocol (``retrieve``), a dense one over the chunk store, and the seam for hybrid."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .documents import Filters, Passage
from .embeddings import Embedder
from .errors import RequestError
from .store import ChunkStore


@runtime_checkable
class Retriever(Protocol):
    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        """The ``k`` best passages for ``query``, best first."""
        ...


def check_query(query: str, k: int) -> str:
    query = query.strip()
    if not query:
        raise RequestError("the question is empty")
    if k < 1:
        raise RequestError(f"k must be at least 1, got {k}")
    return query


class DenseRetriever:
    """Cosine top-k over the chromadb collection, with metadata filters."""

    def __init__(self, embedder: Embedder, store: ChunkStore) -> None:
        self.embedder = embedder
        self.store = store

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        query = check_query(query, k)
        vector = self.embedder.embed([query], "query")[0]
        passages = self.store.query(vector, k, filters)
        for rank, p in enumerate(passages, 1):
            p.scores["dense"] = p.score
            p.scores["dense_rank"] = float(rank)
        return passages
