"""The answerer that needs no language model: it quotes the best-supported sentences.

Every candidate sentence of the retrieved passages is scored by its embedding similarity
to the question and by how much of the question's (normalised) vocabulary it contains.
The best ones become the answer's claims, each cited to its exact offsets in the article.
When nothing scores above the thresholds the outcome is ``insufficient_evidence``.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from index.documents import Passage, sentence_id
from index.embeddings import Embedder
from index.normalize import tokens

from .language import STOPWORDS, detect_language, insufficient_evidence_text
from .models import Answer, Citation, Claim

_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ف", "ب", "ل")


def terms(text: str) -> list[str]:
    """Content terms: normalised tokens, stop words dropped, common Arabic prefixes stripped."""
    out = []
    for tok in tokens(text):
        if tok in STOPWORDS or len(tok) < 2 or (tok[0] in "وف" and tok[1:] in STOPWORDS):
            continue
        for p in _PREFIXES:
            if tok.startswith(p) and len(tok) - len(p) >= 3:
                tok = tok[len(p) :]
                break
        out.append(tok)
    return out


@dataclass
class Candidate:
    passage: Passage
    start: int  # article offsets
    end: int
    text: str
    overlap: float = 0.0
    dense: float = 0.0

    @property
    def score(self) -> float:
        return self.dense + 0.5 * self.overlap + 0.01 * self.passage.score


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Every sentence of every passage once (chunks overlap by a sentence; articles retell each other)."""
    seen: set[tuple[str, int]] = set()
    seen_text: set[str] = set()
    out = []
    for p in passages:
        spans = p.sentences or []
        spans_t = [(p.start, p.end)] if not spans else [(s.start, s.end) for s in spans]
        for start, end in spans_t:
            key = (p.article_id, start)
            text = p.text[start - p.start : end - p.start]
            norm = " ".join(tokens(text))
            if key in seen or not norm or norm in seen_text:
                continue
            seen.add(key)
            seen_text.add(norm)
            out.append(Candidate(p, start, end, text))
    return out


class ExtractiveAnswerer:
    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        max_sentences: int = 3,
        min_overlap: float = 0.5,
        min_dense: float = 0.80,
        keep_ratio: float = 0.92,
        dense_candidates: int = 12,
        stored_vectors: Callable[[Sequence[str]], Mapping[str, NDArray[np.float32]]] | None = None,
    ) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.min_overlap = min_overlap
        self.min_dense = min_dense
        self.keep_ratio = keep_ratio
        self.dense_candidates = dense_candidates
        self.stored_vectors = stored_vectors

    def score(self, question: str, cands: list[Candidate]) -> None:
        """Lexical overlap for every candidate; embeddings only where words alone do not decide.

        Embedding sentences is the expensive part, so it is done for at most ``dense_candidates``
        sentences and only when no sentence shares enough of the question's vocabulary (a
        paraphrase, or a question in another language than the articles).
        """
        q_terms = set(terms(question))
        if q_terms and cands:
            df: Counter[str] = Counter()
            cand_terms = [set(terms(c.text)) for c in cands]
            for ts in cand_terms:
                df.update(ts & q_terms)
            n = len(cands)
            weight = {t: math.log(1 + n / (1 + df[t])) for t in q_terms}
            total = sum(weight.values()) or 1.0
            for c, ts in zip(cands, cand_terms, strict=True):
                c.overlap = sum(weight[t] for t in q_terms & ts) / total
        if self.embedder is None or not cands or max(c.overlap for c in cands) >= self.min_overlap:
            return
        # Candidates come in retrieval order (best passages first): score the first ones, with
        # the sentence vectors stored at ingest where there are some, embedding only the rest.
        chosen = cands[: self.dense_candidates]
        ids = [sentence_id(c.passage.article_id, c.start, c.end, c.text) for c in chosen]
        stored = self.stored_vectors(ids) if self.stored_vectors is not None else {}
        missing = [i for i, sid in enumerate(ids) if sid not in stored]
        fresh = self.embedder.embed([chosen[i].text for i in missing], "passage") if missing else None
        rows = []
        for i, sid in enumerate(ids):
            rows.append(stored[sid] if sid in stored else np.asarray(fresh, dtype=np.float32)[missing.index(i)])
        vecs = np.vstack(rows)
        q = self.embedder.embed([question], "query")[0]
        sims = vecs @ np.asarray(q, dtype=np.float32)
        for c, s in zip(chosen, sims, strict=True):
            c.dense = float(s)

    def supported(self, c: Candidate) -> bool:
        return c.overlap >= self.min_overlap or (self.embedder is not None and c.dense >= self.min_dense)

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        started = time.perf_counter()
        language = detect_language(question)
        cands = candidates(passages)
        self.score(question, cands)
        ranked = sorted(cands, key=lambda c: c.score, reverse=True)
        chosen: list[Candidate] = []
        if ranked and self.supported(ranked[0]):
            best = ranked[0].score
            for c in ranked:
                if len(chosen) >= self.max_sentences:
                    break
                if c.score >= self.keep_ratio * best and self.supported(c):
                    chosen.append(c)
        timings = {"answer": time.perf_counter() - started}
        if not chosen:
            return Answer(
                question=question,
                answer=insufficient_evidence_text(language),
                status="insufficient_evidence",
                language=language,
                mode="extractive",
                timings=timings,
            )
        # Present in reading order: by article, then by position.
        order = {p.article_id: i for i, p in enumerate(passages)}
        chosen.sort(key=lambda c: (order.get(c.passage.article_id, 0), c.start))
        citations: list[Citation] = []
        claims: list[Claim] = []
        for n, c in enumerate(chosen, 1):
            citations.append(
                Citation(
                    n=n,
                    article_id=c.passage.article_id,
                    title=c.passage.title,
                    chunk_id=c.passage.chunk_id,
                    start=c.start,
                    end=c.end,
                    quote=c.text,
                )
            )
            claims.append(Claim(text=c.text, citations=[n]))
        text = " ".join(f"{c.text} [{i}]" for i, c in enumerate(chosen, 1))
        return Answer(
            question=question,
            answer=text,
            status="answered",
            claims=claims,
            citations=citations,
            language=language,
            mode="extractive",
            timings={"answer": time.perf_counter() - started},
        )
