"""One embedder shared by many threads (the HTTP server's requests), one call at a time, questions first.

embedder = SerialEmbedder(lambda: make_embedder("e5"))   # built on first use
with background_work():                                  # ingest: embedded in yielding slices
    embedder.embed(texts, "passage")
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .embeddings import Embedder, Kind, PassageEncoding, Span, Vectors, encode_passages

_work = threading.local()


@contextmanager
def background_work() -> Iterator[None]:
    """Mark the embedding done by this thread inside the block as background (ingest) work."""
    previous = getattr(_work, "background", False)
    _work.background = True
    try:
        yield
    finally:
        _work.background = previous


class SerialEmbedder:
    """An embedder shared by every request, one call at a time, questions first; built on first use.

    Native backends spread one call over all cores; concurrent calls would only oversubscribe
    them, and not every backend is safe to call from several threads at once. Background work
    (ingest, see :func:`background_work`) is embedded in slices of ``background_batch`` texts and
    yields to waiting questions between slices, so a reader waits for one slice at most; after
    ``fairness`` question turns in a row a waiting slice goes next, so ingest is never starved.
    """

    def __init__(self, factory: Callable[[], Embedder], *, background_batch: int = 8, fairness: int = 4) -> None:
        self._factory = factory
        self._inner: Embedder | None = None
        self._build_lock = threading.Lock()
        self._cond = threading.Condition()
        self._busy = False
        self._waiting = {True: 0, False: 0}  # foreground? → waiting threads
        self._streak = 0  # foreground turns since a background slice last ran
        self.background_batch = background_batch
        self.fairness = fairness

    @property
    def inner(self) -> Embedder:
        inner = self._inner
        if inner is None:
            with self._build_lock:
                if self._inner is None:
                    self._inner = self._factory()
                inner = self._inner
        return inner

    @property
    def identity(self) -> str:
        return self.inner.identity

    @contextmanager
    def _turn(self, foreground: bool) -> Iterator[None]:
        with self._cond:
            self._waiting[foreground] += 1
            try:
                while self._busy or not self._may_go(foreground):
                    self._cond.wait()
            finally:
                self._waiting[foreground] -= 1
            self._busy = True
            self._streak = self._streak + 1 if foreground else 0
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _may_go(self, foreground: bool) -> bool:
        starving = self._waiting[False] > 0 and self._streak >= self.fairness
        return not starving if foreground else self._waiting[True] == 0 or starving

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        inner = self.inner
        if not getattr(_work, "background", False) or len(texts) <= self.background_batch:
            with self._turn(not getattr(_work, "background", False)):
                return inner.embed(texts, kind)
        parts: list[Vectors] = []
        for i in range(0, len(texts), self.background_batch):
            with self._turn(False):
                parts.append(np.asarray(inner.embed(texts[i : i + self.background_batch], kind), dtype=np.float32))
        return np.vstack(parts)

    def encode_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]], *, local_layers: int = 0
    ) -> list[PassageEncoding]:
        """The wrapped backend's one-pass encoding (:func:`~index.embeddings.encode_passages`),
        taking turns as :meth:`embed` does."""
        background = getattr(_work, "background", False)
        step = self.background_batch if background else max(1, len(texts))
        out: list[PassageEncoding] = []
        for i in range(0, len(texts), step):
            with self._turn(not background):
                out += encode_passages(self.inner, texts[i : i + step], spans[i : i + step], local_layers=local_layers)
        return out

    def __getattr__(self, name: str) -> Any:
        # count_tokens and other optional extras of the wrapped backend.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.inner, name)
