"""Test doubles that implement Sanad's Protocols for real (no model files, fully deterministic).

``HashEmbedder`` implements ``index.embeddings.Embedder``: a hashed bag of character n-grams,
L2-normalised. Texts sharing words land close together, so retrieval tests are meaningful.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from index.embeddings import Kind, PassageEncoding, Vectors


class HashEmbedder:
    """Hashed character n-grams (of each whitespace token, padded) → a ``dim``-sized unit vector.

    ``query`` and ``passage`` embed the same way (like a symmetric model); ``name`` lets a test
    build a second embedder with another identity.
    """

    def __init__(self, dim: int = 256, n: int = 3, name: str = "hash") -> None:
        self.dim = dim
        self.n = n
        self.name = name
        self.calls: list[tuple[Kind, int]] = []

    @property
    def identity(self) -> str:
        return f"fake:{self.name}-{self.n}gram:{self.dim}"

    def _vector(self, text: str) -> Vectors:
        v = np.zeros(self.dim, dtype=np.float32)
        for token in text.lower().split():
            padded = f"#{token}#"
            grams = [padded[i : i + self.n] for i in range(max(1, len(padded) - self.n + 1))]
            for gram in grams:
                digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                sign = 1.0 if digest[4] & 1 else -1.0
                v[bucket] += sign
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            v[0] = 1.0  # empty text: a fixed unit vector rather than NaNs
            return v
        return v / norm

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        self.calls.append((kind, len(texts)))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)


class HashTokenEmbedder(HashEmbedder):
    """A :class:`HashEmbedder` that also gives token states (``index.rerank.TokenEmbedder``):
    each whitespace token's own hashed n-gram vector, so MaxSim counts shared words."""

    def __init__(self, dim: int = 256, n: int = 3, name: str = "hash-tokens") -> None:
        super().__init__(dim, n, name)
        self.token_calls: list[tuple[Kind, int]] = []

    def token_vectors(self, texts: Sequence[str], kind: Kind, *, content_only: bool = False) -> list[Vectors]:
        self.token_calls.append((kind, len(texts)))
        out = []
        for t in texts:
            ws = [w for w in t.split() if not content_only or any(c.isalnum() for c in w)] or t.split()
            out.append(np.stack([self._vector(w) for w in ws] or [self._vector("")]))
        return out


class HashPassageEncoder(HashTokenEmbedder):
    """A :class:`HashTokenEmbedder` with the one-pass ``encode_passages``
    (``index.embeddings.PassageEncoder``): a span's row is the vector of ``"pooled " + span``, so a
    test can tell pooled rows from sentences embedded alone (``"local<n> " + span`` when asked for
    ``local_layers``); spans starting at or past ``max_chars`` get a row of zeros (as if truncated away)."""

    def __init__(self, dim: int = 256, n: int = 3, name: str = "hash-pass", max_chars: int = 10_000) -> None:
        super().__init__(dim, n, name)
        self.max_chars = max_chars
        self.pass_calls: list[list[int]] = []  # spans asked per text, per call
        self.local_layers: list[int] = []  # local_layers asked, per call

    def encode_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], *, local_layers: int = 0
    ) -> list[PassageEncoding]:
        self.pass_calls.append([len(s) for s in spans])
        self.local_layers.append(local_layers)
        mark = f"local{local_layers} " if local_layers else "pooled "
        out = []
        for text, row in zip(texts, spans, strict=True):
            rows = [
                self._vector(mark + text[a:b]) if a < self.max_chars else np.zeros(self.dim, np.float32) for a, b in row
            ]
            pooled = np.stack(rows) if rows else np.zeros((0, self.dim), np.float32)
            tokens = np.stack([self._vector(w) for w in text.split()] or [self._vector("")])
            out.append(PassageEncoding(self._vector(text), pooled.astype(np.float32), tokens))
        return out
