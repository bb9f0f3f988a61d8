"""Retrievers: one Protocol (``retrieve``), a dense one over the chunk store, and the seam for hybrid."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from .documents import Filters, Passage, passage_sentences
from .embeddings import Embedder
from .errors import RequestError
from .fusion import diversify, fuse, sentence_scores, to_passages
from .lexical import Diff, LexicalIndex
from .rerank import Reranker
from .store import ChunkStore
from .stories import collapse_copies


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


class LexicalRetriever:
    """BM25 alone (for evaluation and comparison); passages are read back from the store."""

    def __init__(self, store: ChunkStore, lexical: LexicalIndex) -> None:
        self.store = store
        self.lexical = lexical

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        query = check_query(query, k)
        hits = self.lexical.search(query, k, filters)
        by_id = {p.chunk_id: p for p in self.store.get_passages([cid for cid, _ in hits])}
        out = []
        for rank, (cid, score) in enumerate(hits, 1):
            p = by_id.get(cid)
            if p is not None:
                out.append(p.model_copy(update={"score": score, "scores": {"lexical": score, "lexical_rank": rank}}))
        return out


class HybridRetriever:
    """Dense and lexical legs fused (see :mod:`index.fusion`), at most ``max_per_article`` per article.

    The lexical leg's weight is scaled by how much of the question's vocabulary the corpus has,
    so an English question over Arabic articles ranks as the dense leg alone would. With
    ``sentences``, each candidate chunk's best single-sentence cosine (vectors stored at ingest)
    is averaged into its dense score: a short fact in a long chunk, or a question in another
    language, is found far more often (see ``benchmarks/retrieval_lab.py``). A ``reranker``
    (:mod:`index.rerank`) reorders the head of the fused ranking before the per-article cap.
    Near-duplicate passages of other articles (wire copies) fold into the better-ranked hit's
    ``copies`` (:func:`index.stories.collapse_copies`), so the top ``k`` is distinct content.
    """

    def __init__(
        self,
        embedder: Embedder,
        store: ChunkStore,
        lexical: LexicalIndex,
        *,
        fetch_k: int = 50,
        max_per_article: int = 3,
        sentences: bool = True,
        reranker: Reranker | None = None,
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.lexical = lexical
        self.fetch_k = fetch_k
        self.max_per_article = max_per_article
        self.sentences = sentences
        self.reranker = reranker

    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        query = check_query(query, k)
        fetch = max(self.fetch_k, k)
        vector = self.embedder.embed([query], "query")[0]
        dense = self.store.query(vector, fetch, filters)
        stats = self.lexical.query_stats(query)
        lexical = self.lexical.search(query, fetch, filters) if stats.coverage > 0 else []
        by_id = {p.chunk_id: p for p in dense}
        missing = [cid for cid, _ in lexical if cid not in by_id]
        by_id.update({p.chunk_id: p for p in self.store.get_passages(missing)})
        sentence = self._sentence_scores(vector, by_id.values()) if self.sentences else None
        fused = fuse(dense, lexical, coverage=stats.coverage, lexical_bound=stats.bound or None, sentence=sentence)
        ranked = to_passages(fused, by_id)
        if self.reranker is not None:
            ranked = self.reranker.rerank(query, ranked)
        return diversify(collapse_copies(ranked), self.max_per_article, k)

    def _sentence_scores(self, vector: NDArray[np.float32], passages: Iterable[Passage]) -> dict[str, float] | None:
        """Best cosine of the question with one sentence of each candidate chunk (stored at ingest)."""
        pairs = [(p.chunk_id, sid) for p in passages for sid, _ in passage_sentences(p)]
        stored = self.store.sentence_vectors([sid for _, sid in pairs])
        found = [(cid, sid) for cid, sid in pairs if sid in stored]
        if not found:
            return None
        return sentence_scores(vector, np.vstack([stored[sid] for _, sid in found]), [cid for cid, _ in found])


def reconcile(store: ChunkStore, lexical: LexicalIndex) -> Diff:
    """Bring the lexical index in line with the store (the source of truth), e.g. after a crash.

    Articles the lexical side lacks or holds with another content hash are re-read from the
    store; articles it holds that the store does not are dropped. Returns what was repaired.
    """
    hashes = store.article_hashes()
    diff = lexical.diff(hashes)
    if diff.clean:
        return diff
    todo = set(diff.to_index)
    if len(todo) + len(diff.extra) > len(hashes) // 2:  # most of it (e.g. the store was reset): anew
        lexical.rebuild(store.iter_passages(), content_hashes=hashes)
        return diff
    for article_id in diff.extra:  # one tantivy commit each
        lexical.delete_article(article_id)
    if todo:  # only these articles' chunks are read, and indexed in one commit
        got = store.committed_passages(sorted(todo))
        passages = [p for _, chunks in got.values() for p in chunks]
        lexical.upsert(passages, content_hashes={a: h for a, (h, chunks) in got.items() if chunks})
    return diff
