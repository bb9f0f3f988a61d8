"""Which sentence of the retrieved passages answers the question: every signal Sanad already has.

Each sentence of the passages is a :class:`Candidate` (once: chunks overlap by a sentence and
articles retell each other). Its signals:

* ``overlap`` — the share of the question's content terms (:func:`qa.question_intent.terms`,
  normalised and prefix-stripped) the sentence contains, each weighted by its rarity among the
  candidates (a term every sentence has decides nothing);
* ``dense`` — the cosine of the question with the sentence vector stored at ingest (embedded
  now only where none is stored);
* ``late`` — late interaction at sentence level: the question's token states against the
  sentence's own token states, sliced from the chunk's pass the reranker already made
  (:meth:`index.rerank.MaxSimReranker.sentence_maxsim`), when a reranker is given;
* ``prior`` — the passage's place in the fused ranking;
* ``typed`` — the sentence holds a span of the kind the question asks for (a date for "متى").

Cosines are not comparable across questions (a question in another language than the articles
sits lower everywhere), so the dense and late signals enter relative to the question: as the
margin over the median candidate. A sentence that opens with a back-reference ("وأضاف أن…",
"He said…") also gets a share of its previous sentence's score, so an answer that spans two
sentences is found by either half. The weights were chosen on the visible sets with
``sanad eval`` (see the README's extractive section).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from index.documents import Passage, sentence_id
from index.embeddings import Embedder
from index.normalize import tokens

from .question_intent import terms

StoredVectors = Callable[[Sequence[str]], Mapping[str, NDArray[np.float32]]]
LateScorer = Callable[[str, Sequence[Passage]], Mapping[tuple[str, int], float]]
"""Given the question and the passages: the late-interaction score of each sentence, keyed by
(article id, sentence start)."""


MIN_OTHERS = 5
"""Candidates a sentence must stand out from before its cosine alone counts as support."""


@dataclass(frozen=True)
class Weights:
    """Chosen on the visible sets (``benchmarks``-style grid over XQuAD ar / en→ar and MLQA: the top
    sentence holds a gold answer .75 on XQuAD ar against .69 dense alone, .71 late, .68 overlap; .64 on
    XQuAD en→ar against .53 / .58 / .54)."""

    overlap: float = 0.5
    dense: float = 2.0
    late: float = 5.0
    prior: float = 0.2
    neighbour: float = 0.3
    typed: float = 0.1  # the sentence holds a span of the kind the question asks (a date for "when")


@dataclass
class Candidate:
    passage: Passage
    start: int  # article offsets
    end: int
    text: str
    rank: int = 0  # the passage's place in the retrieval order (0 = first)
    position: int = 0  # the sentence's place among the candidates, in reading order of its passage
    overlap: float = 0.0
    dense: float = 0.0
    late: float = 0.0
    typed: bool = False
    score: float = 0.0
    matched: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> tuple[str, int]:
        return (self.passage.article_id, self.start)


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Every sentence of every passage once (chunks overlap by a sentence; articles retell each other)."""
    seen: set[tuple[str, int]] = set()
    seen_text: set[str] = set()
    out: list[Candidate] = []
    for rank, p in enumerate(passages):
        spans = [(s.start, s.end) for s in p.sentences] or [(p.start, p.end)]
        for start, end in spans:
            text = p.text[start - p.start : end - p.start]
            norm = " ".join(tokens(text))
            if (p.article_id, start) in seen or not norm or norm in seen_text:
                continue
            seen.add((p.article_id, start))
            seen_text.add(norm)
            out.append(Candidate(p, start, end, text, rank=rank, position=len(out)))
    return out


def lexical_overlap(question: str, cands: Sequence[Candidate]) -> dict[str, float]:
    """``overlap`` and ``matched`` of every candidate: rarity-weighted share of the question's terms.
    Returns the weight of each question term (rarer among the candidates: heavier)."""
    q_terms = set(terms(question))
    if not q_terms or not cands:
        return {}
    cand_terms = [set(terms(c.text)) for c in cands]
    df: Counter[str] = Counter()
    for ts in cand_terms:
        df.update(ts & q_terms)
    n = len(cands)
    weight = {t: math.log(1 + n / (1 + df[t])) for t in q_terms}
    total = sum(weight.values()) or 1.0
    for c, ts in zip(cands, cand_terms, strict=True):
        c.matched = frozenset(q_terms & ts)
        c.overlap = sum(weight[t] for t in c.matched) / total
    return weight


def dense_similarity(
    question: str, cands: Sequence[Candidate], embedder: Embedder, stored: StoredVectors | None
) -> None:
    """``dense`` of every candidate: the stored sentence vectors, the missing ones embedded now."""
    if not cands:
        return
    ids = [sentence_id(c.passage.article_id, c.start, c.end, c.text) for c in cands]
    found = stored(ids) if stored is not None else {}
    missing = [i for i, sid in enumerate(ids) if sid not in found]
    fresh = (
        np.asarray(embedder.embed([cands[i].text for i in missing], "passage"), dtype=np.float32) if missing else None
    )
    rows = [found.get(sid) for sid in ids]
    if fresh is not None:
        for j, i in enumerate(missing):
            rows[i] = fresh[j]
    vecs = np.vstack([np.asarray(r, dtype=np.float32) for r in rows if r is not None])
    q = np.asarray(embedder.embed([question], "query")[0], dtype=np.float32)
    for c, s in zip(cands, vecs @ q, strict=True):
        c.dense = float(s)


_BACK_REFERENCE = frozenset(
    tokens(
        """
        واضاف واكد واوضح وتابع وقال واشار ولفت وبين واعتبر واضافت واكدت واوضحت وقالت واشارت
        he she it they this these his her its their
        """
    )
)


def refers_back(text: str) -> bool:
    """A sentence that leans on the one before it (opens with "وأضاف", "He", "This"…)."""
    toks = tokens(text)
    return bool(toks) and toks[0] in _BACK_REFERENCE


def _relative(values: Sequence[float]) -> list[float]:
    """Each value's margin over the median of all (the question's own scale)."""
    if not values:
        return []
    median = float(np.median(np.asarray(values, dtype=np.float32)))
    return [v - median for v in values]


def combine(cands: Sequence[Candidate], weights: Weights = Weights()) -> None:
    """``score`` of every candidate from its signals (see the module docstring)."""
    dense = _relative([c.dense for c in cands])
    late = _relative([c.late for c in cands])
    own = [
        weights.overlap * c.overlap
        + weights.dense * d
        + weights.late * lt
        + weights.prior / (1 + c.rank)
        + weights.typed * c.typed
        for c, d, lt in zip(cands, dense, late, strict=True)
    ]
    for i, c in enumerate(cands):
        previous = cands[i - 1] if i else None
        bonus = 0.0
        if previous is not None and previous.passage.article_id == c.passage.article_id and refers_back(c.text):
            bonus = weights.neighbour * max(0.0, own[i - 1])
        c.score = own[i] + bonus


def standout(cands: Sequence[Candidate], best: Candidate, signal: str = "dense") -> float:
    """How many standard deviations the best candidate's ``dense`` (or ``late``) score stands above
    the median of the others' (0 with fewer than ``MIN_OTHERS`` others: too few to stand out from).
    Scale-free, so one threshold holds for questions in either language and for any embedder."""
    others = np.asarray([float(getattr(c, signal)) for c in cands if c is not best], dtype=np.float32)
    if len(others) < MIN_OTHERS:
        return 0.0
    return (float(getattr(best, signal)) - float(np.median(others))) / (float(others.std()) + 1e-6)
