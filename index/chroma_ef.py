"""chromadb embedding functions: ours, passed explicitly, so chromadb never loads its default model.

chromadb 1.x stores an embedding function's ``name()`` and ``get_config()`` in the collection
configuration and rebuilds it with ``build_from_config`` whenever it reads that configuration
(every get/add/query). So the classes are registered with chromadb at import, ``build_from_config``
is cheap (it returns an *unbound* function that only remembers the identity) and the identity check
itself is done by the store, on the collection metadata.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from .embeddings import Embedder, Kind
from .errors import StoreError


class SanadEmbeddingFunction(EmbeddingFunction[Documents]):
    """Wraps an :class:`~index.embeddings.Embedder`: documents as passages, queries as queries."""

    def __init__(self, embedder: Embedder | None = None, *, identity: str | None = None) -> None:
        self.embedder = embedder
        self.identity = embedder.identity if embedder is not None else (identity or "")

    def _embed(self, input: Documents, kind: Kind) -> Embeddings:
        if self.embedder is None:
            raise StoreError(
                f"the embedding function for {self.identity!r} was rebuilt from a collection's configuration "
                "and has no model; open the collection through index.store.ChunkStore",
                identity=self.identity,
            )
        vectors = np.asarray(self.embedder.embed(list(input), kind), dtype=np.float32)
        return list(vectors)

    def __call__(self, input: Documents) -> Embeddings:
        return self._embed(input, "passage")

    def embed_query(self, input: Documents) -> Embeddings:
        return self._embed(input, "query")

    @staticmethod
    def name() -> str:
        return "sanad"

    def get_config(self) -> dict[str, Any]:
        return {"identity": self.identity}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> SanadEmbeddingFunction:
        return SanadEmbeddingFunction(identity=str(config.get("identity", "")))

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if not isinstance(config.get("identity"), str):
            raise ValueError(f"sanad embedding function config needs an 'identity' string, got {config!r}")

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]


class RecordEmbeddingFunction(EmbeddingFunction[Documents]):
    """A fixed 1-d vector for every document: the article-record collection is never searched by
    similarity, it only holds each article's text and metadata (so a ``chroma run`` server holds
    everything)."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        return [np.ones(1, dtype=np.float32) for _ in input]

    @staticmethod
    def name() -> str:
        return "sanad-record"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> RecordEmbeddingFunction:
        return RecordEmbeddingFunction()


register_embedding_function(SanadEmbeddingFunction)  # type: ignore[no-untyped-call]
register_embedding_function(RecordEmbeddingFunction)  # type: ignore[no-untyped-call]
