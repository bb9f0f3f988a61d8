"""Reranking the fused candidates by late interaction (MaxSim) over the embedder's token states.

A :class:`TokenEmbedder` gives, for each text, one L2-normalised vector per token (the
encoder's last hidden states, ``<s>``/``</s>`` dropped, prompt tokens kept). The MaxSim score
of a query and a passage is the mean, over the query's tokens, of each token's best cosine
with any passage token (ColBERT's scoring, here zero-shot on multilingual-e5-small, which was
trained with mean pooling so its token states stay comparable across languages).

:class:`MaxSimReranker` rescores the first ``top`` candidates of the fused ranking as
``fused + weight × maxsim`` and leaves the rest below them. Passage token states depend only
on the chunk text, so they are kept in a bounded LRU cache keyed by chunk id (a content hash).

The query side keeps only the tokens of the question's words (``content_only``): the
``query:`` prompt and lone punctuation match every passage alike. Measured with
``benchmarks/hybrid_lab.py`` (e5 fp32, gold-context MRR@10, 5,000 news distractors in the
index): XQuAD English questions over the Arabic contexts .655 → .753 (all query tokens: .735;
top 40: +.003 at twice the cost), XQuAD-ar .936 → .939, MLQA .701 → .703.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from .chunking import ChunkContext, context_prefix
from .documents import Passage
from .embeddings import Kind
from .token_codec import PackedStates
from .token_store import TokenStore

TokenVectors = NDArray[np.float32]  # (tokens, dim), rows L2-normalised

DEFAULT_TOP = 20
DEFAULT_WEIGHT = 1.0
DEFAULT_CACHE_BYTES = 256_000_000
QUERY_CACHE = 16


@runtime_checkable
class TokenEmbedder(Protocol):
    """An embedder that can also return its per-token states."""

    @property
    def identity(self) -> str: ...

    def token_vectors(self, texts: Sequence[str], kind: Kind, *, content_only: bool = False) -> list[TokenVectors]:
        """For each text, its tokens' L2-normalised vectors, shape ``(tokens, dim)``; with
        ``content_only`` only the tokens of the text's words (no prompt, no punctuation alone)."""
        ...


@runtime_checkable
class TokenCounter(Protocol):
    """An embedder that counts the tokens of a text (no prompt, no specials)."""

    def count_tokens(self, text: str) -> int: ...


@runtime_checkable
class Reranker(Protocol):
    def rerank(self, query: str, passages: Sequence[Passage]) -> list[Passage]:
        """The same passages, reordered best first (``scores["rerank"]`` set on those it scored)."""
        ...


def token_embedder(embedder: object) -> TokenEmbedder | None:
    """``embedder`` itself, or the embedder a wrapper (``.inner``, e.g. the embedding cache) holds,
    when it gives token states; else None."""
    seen = 0
    while embedder is not None and seen < 8:
        if isinstance(embedder, TokenEmbedder):
            return embedder
        embedder, seen = getattr(embedder, "inner", None), seen + 1
    return None


def maxsim(query: TokenVectors, passage: TokenVectors) -> float:
    """Mean over the query's tokens of the best cosine with a passage token (0 for empty input)."""
    if query.size == 0 or passage.size == 0:
        return 0.0
    sims = query.astype(np.float32, copy=False) @ passage.astype(np.float32, copy=False).T
    return float(sims.max(axis=1).mean())


class TokenCache:
    """A thread-safe LRU of passage token states, bounded in bytes (packed as int8 rows)."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max(0, max_bytes)
        self._items: OrderedDict[str, PackedStates] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> PackedStates | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: str, value: NDArray[np.floating] | PackedStates) -> None:
        stored = PackedStates.of(value)
        if stored.nbytes > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._items[key] = stored
            self._bytes += stored.nbytes
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes


class MaxSimReranker:
    """Rescore the first ``top`` passages as ``score + weight × maxsim(query, passage)``.

    ``score`` is the fused score the hybrid retriever gave (cosine scale), so ``weight`` 1
    gives the two equal say. Passages past ``top`` keep their order, below the rescored ones. A
    passage is read as the indexer embedded it: after its title under ``chunk_context="title"``
    (:func:`~index.chunking.context_prefix`), so the token states the ingest pass told the store
    are the ones asked for, and the title's rows take part in the MaxSim.
    """

    def __init__(
        self,
        encoder: TokenEmbedder,
        *,
        top: int = DEFAULT_TOP,
        weight: float = DEFAULT_WEIGHT,
        cache: TokenCache | None = None,
        store: TokenStore | None = None,
        chunk_context: ChunkContext = "none",
    ) -> None:
        if top < 1:
            raise ValueError(f"rerank top must be at least 1, got {top}")
        self.encoder = encoder
        self.top = top
        self.weight = weight
        self.cache = cache if cache is not None else TokenCache()
        self.store = store  # on disk, for the next process (index.token_store)
        self.chunk_context = chunk_context
        self._queries: OrderedDict[str, TokenVectors] = OrderedDict()  # the last questions' token states
        self._queries_lock = threading.Lock()

    def query_tokens(self, query: str) -> TokenVectors:
        """The question's content-word token states (the last few are kept: the answerer asks again)."""
        with self._queries_lock:
            found = self._queries.get(query)
            if found is not None:
                self._queries.move_to_end(query)
                return found
        vecs = self.encoder.token_vectors([query], "query", content_only=True)[0]
        with self._queries_lock:
            self._queries[query] = vecs
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vecs

    def sentence_scores(self, query: str, passages: Sequence[Passage]) -> dict[tuple[str, int], float]:
        """MaxSim of the question against each SENTENCE of the passages, keyed by (article id,
        sentence start): the rows of the chunk's token states that belong to the sentence (the
        chunk's pass, cached, is sliced: nothing is encoded again). Rows are assigned by counting
        each sentence's tokens from the end of the chunk (the prompt's rows come first), which
        needs an encoder with ``count_tokens``; without one, nothing."""
        if not isinstance(self.encoder, TokenCounter) or not passages:
            return {}
        counter: TokenCounter = self.encoder
        q = self.query_tokens(query)
        if q.size == 0:
            return {}
        out: dict[tuple[str, int], float] = {}
        for p, states in zip(passages, self.passage_tokens(passages), strict=True):
            counts = [counter.count_tokens(p.text[s.start - p.start : s.end - p.start]) for s in p.sentences]
            row = max(0, len(states) - sum(counts))
            for span, n in zip(p.sentences, counts, strict=True):
                rows = states[row : row + n]
                row += n
                if len(rows):
                    out[(p.article_id, span.start)] = maxsim(q, rows)
        return out

    def passage_tokens(self, passages: Sequence[Passage]) -> list[TokenVectors]:
        """Token states of each passage: from the cache, else the store on disk, else freshly
        encoded (then kept in both, packed; what is returned is always the unpacked rows, so a
        passage scores the same whether it was just encoded or read back)."""
        found: list[PackedStates | None] = [self.cache.get(p.chunk_id) for p in passages]
        todo = [i for i, f in enumerate(found) if f is None]
        if todo and self.store is not None:
            for i, stored in zip(todo, self.store.get_many([self._text(passages[i]) for i in todo]), strict=True):
                if stored is not None:
                    self.cache.put(passages[i].chunk_id, stored)
                    found[i] = stored
            todo = [i for i in todo if found[i] is None]
        if todo:
            encoded = self.encoder.token_vectors([self._text(passages[i]) for i in todo], "passage")
            fresh = [PackedStates.pack(v) for v in encoded]
            for i, packed in zip(todo, fresh, strict=True):
                self.cache.put(passages[i].chunk_id, packed)
                found[i] = packed
            if self.store is not None:
                self.store.put_many((self._text(passages[i]), f) for i, f in zip(todo, fresh, strict=True))
        return [f.unpack() for f in found if f is not None]

    def _text(self, passage: Passage) -> str:
        return context_prefix(passage.title, self.chunk_context) + passage.text

    def rerank(self, query: str, passages: Sequence[Passage]) -> list[Passage]:
        head, tail = list(passages[: self.top]), list(passages[self.top :])
        if not head:
            return list(passages)
        # the question's own words: "query:" and "?" would match every passage alike
        q = self.query_tokens(query)
        scored: list[tuple[float, int, Passage]] = []
        for i, (p, toks) in enumerate(zip(head, self.passage_tokens(head), strict=True)):
            ms = maxsim(q, toks)
            combined = p.score + self.weight * ms
            scored.append((combined, i, p.model_copy(update={"score": combined, "scores": {**p.scores, "rerank": ms}})))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [p for _, _, p in scored] + tail
