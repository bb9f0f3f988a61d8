"""The answerer that needs no language model: the sentence that answers, and the short answer in it.

1. A question that asks nothing of the articles (:func:`qa.question_intent.asks_nothing`:
   punctuation only, an instruction to the system) is refused with ``insufficient_evidence``.
2. Every sentence of the retrieved passages is ranked by every signal Sanad has
   (:mod:`qa.sentence_rank`: lexical overlap on normalised terms, the stored sentence vectors,
   sentence-level late interaction, the passage's fused rank, the neighbouring sentence).
3. The best sentence must be supported: it shares enough of the question's vocabulary
   (``min_overlap``), or its cosine and late-interaction score stand out from the other
   candidates' (``min_standout`` deviations above their median: a threshold relative to the
   question, not one absolute cosine); across languages, where cosines are compressed and a small
   index's on-topic candidates barely stand out, also when its late-interaction and dense scores clear
   floors few best candidates reach once the gold context is gone. Otherwise: ``insufficient_evidence``.
4. The answer cites the best sentence first (and the one before it when it leans on it), then
   up to ``max_sentences`` others that score nearly as well; the short answer
   (:mod:`qa.short_answer`) is a span of a cited sentence, shown first, framed in the question's
   language (:mod:`qa.language`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from index.documents import Passage
from index.embeddings import Embedder

from .citations import cited_dates
from .language import (
    according_to,
    detect_language,
    insufficient_evidence_text,
    nothing_asked_text,
    short_answer_line,
)
from .models import Answer, Citation, Claim, ShortAnswer
from .question_intent import answer_kind, asks_nothing, terms
from .sentence_rank import (
    Candidate,
    LateScorer,
    StoredVectors,
    Weights,
    candidates,
    combine,
    dense_similarity,
    lexical_overlap,
    refers_back,
    standout,
)
from .short_answer import SpanSource, find_short_answer, has_typed_span

__all__ = ["Candidate", "ExtractiveAnswerer", "Thresholds", "candidates", "terms"]


@dataclass(frozen=True)
class Thresholds:
    """When the best sentence counts as support (chosen with ``sanad eval`` and ``--unanswerable``)."""

    min_overlap: float = 0.5  # share of the question's (rarity-weighted) terms in the sentence
    min_standout: float = 2.5  # else: its cosine this many deviations above the other candidates' median …
    min_late_standout: float = 1.0  # … and its late-interaction score this many …
    min_dense: float = 0.82  # … over a floor (e5 cosine) that a small index's lead sentence alone does not pass
    sure_dense: float = 0.85  # a same-language cosine this high is support by itself
    # A question in another language than the sentences: cosines are compressed, token matches say more.
    cross_standout: float = 1.5
    cross_late_standout: float = 2.0
    # … or, across languages, a late-interaction score and a cosine that few best candidates reach when the
    # gold context is gone (e5-small, XQuAD en→ar, questions 0-300 to choose, 300-600 to check: the first
    # cited sentence holds gold for 7 + 8 more questions, 0 + 4 more of the 600 answered without gold context).
    cross_late_floor: float = 0.77
    cross_dense_floor: float = 0.79
    keep_gap: float = 0.15  # further sentences: at most this far below the best score

    def admits(self, e: Evidence) -> bool:
        """Whether the best sentence, as ``e`` describes it, counts as support."""
        if e.overlap >= self.min_overlap or e.dense is None:
            return e.overlap >= self.min_overlap
        dense_min, late_min, floor = (
            (self.cross_standout, self.cross_late_standout, -1.0)
            if e.cross
            else (self.min_standout, self.min_late_standout, self.min_dense)
        )
        if not e.cross and e.dense >= self.sure_dense:
            return True
        late_ok = e.late is None or e.late_standout >= late_min
        if e.dense_standout >= dense_min and late_ok and e.dense >= floor:
            return True
        # The other language's cosines are compressed, and a small index's on-topic candidates stand out
        # from one another little: the late-interaction and dense scores themselves say more there.
        return e.cross and e.late is not None and e.late >= self.cross_late_floor and e.dense >= self.cross_dense_floor


@dataclass(frozen=True)
class Evidence:
    """What the gate reads of the best sentence: its overlap with the question's terms, its cosine
    and late-interaction score (None without an embedder / a late scorer), how far each stands out
    from the other candidates' (:func:`~qa.sentence_rank.standout`), and whether it is in another
    language than the question."""

    overlap: float
    dense: float | None
    late: float | None
    dense_standout: float
    late_standout: float
    cross: bool


class ExtractiveAnswerer:
    def __init__(
        self,
        embedder: Embedder | None = None,
        *,
        max_sentences: int = 2,
        stored_vectors: StoredVectors | None = None,
        late: LateScorer | None = None,
        weights: Weights | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.stored_vectors = stored_vectors
        self.late = late
        self.weights = weights or Weights()
        self.thresholds = thresholds or Thresholds()

    def rank(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        """Every sentence of ``passages``, scored, best first."""
        return self._rank(question, passages)[0]

    def _rank(self, question: str, passages: Sequence[Passage]) -> tuple[list[Candidate], dict[str, float]]:
        cands = candidates(passages)
        weights = lexical_overlap(question, cands)
        if self.embedder is not None:
            dense_similarity(question, cands, self.embedder, self.stored_vectors)
        if self.late is not None and cands:
            scores = self.late(question, passages)
            for c in cands:
                c.late = scores.get(c.key, 0.0)
        kind = answer_kind(question)
        if kind is not None:
            for c in cands:
                c.typed = has_typed_span(kind, c.text)
        combine(cands, self.weights)
        return sorted(cands, key=lambda c: c.score, reverse=True), weights

    def evidence(self, cands: Sequence[Candidate], best: Candidate, language: str) -> Evidence:
        """What the gate (:meth:`Thresholds.admits`) reads of ``best`` for a question in ``language``."""
        return Evidence(
            overlap=best.overlap,
            dense=best.dense if self.embedder is not None else None,
            late=best.late if self.late is not None else None,
            dense_standout=standout(cands, best),
            late_standout=standout(cands, best, "late") if self.late is not None else 0.0,
            cross=detect_language(best.text) != language,
        )

    def supported(self, cands: Sequence[Candidate], best: Candidate, language: str) -> bool:
        """Whether ``best`` answers a question in ``language`` (see :class:`Thresholds`)."""
        return self.thresholds.admits(self.evidence(cands, best, language))

    def choose(self, ranked: Sequence[Candidate], language: str) -> list[Candidate]:
        """The best sentence (with the one before it when it refers back), then near-equals."""
        if not ranked or not self.supported(ranked, ranked[0], language):
            return []
        best = ranked[0]
        chosen = [best]
        if refers_back(best.text):
            previous = next(
                (
                    c
                    for c in ranked
                    if c.passage.article_id == best.passage.article_id and c.position == best.position - 1
                ),
                None,
            )
            if previous is not None:
                chosen.insert(0, previous)
        for c in ranked[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if c not in chosen and c.score >= best.score - self.thresholds.keep_gap and c.matched:
                chosen.append(c)
        return chosen

    def answer(self, question: str, passages: Sequence[Passage]) -> Answer:
        started = time.perf_counter()
        language = detect_language(question)
        if asks_nothing(question):
            return _refusal(question, language, nothing_asked_text(language), started)
        ranked, term_weights = self._rank(question, passages)
        chosen = self.choose(ranked, language)
        if not chosen:
            return _refusal(question, language, insufficient_evidence_text(language), started)
        citations = [
            Citation(
                n=n,
                article_id=c.passage.article_id,
                title=c.passage.title,
                chunk_id=c.passage.chunk_id,
                start=c.start,
                end=c.end,
                quote=c.text,
                dates=cited_dates(c.passage, c.start, c.end),
            )
            for n, c in enumerate(chosen, 1)
        ]
        claims = [Claim(text=c.text, citations=[n]) for n, c in enumerate(chosen, 1)]
        best_first = sorted(range(len(chosen)), key=lambda i: -chosen[i].score)
        found = find_short_answer(
            question,
            answer_kind(question),
            [SpanSource(chosen[i].text, chosen[i].start, i + 1) for i in best_first],
            term_weights,
        )
        short = None
        if found is not None:
            # a date span takes the day or period its mention resolves to (the citation's dates)
            mention = next(
                (d for d in citations[found.citation - 1].dates if d.start < found.end and found.start < d.end), None
            )
            short = ShortAnswer(
                text=found.text,
                start=found.start,
                end=found.end,
                citation=found.citation,
                date=mention.date if mention else None,
                range=mention.range if mention else None,
            )
        quotes = " ".join(f"{c.text} [{n}]" for n, c in enumerate(chosen, 1))
        text = according_to(language, quotes)
        if short is not None:
            text = f"{short_answer_line(language, short)}\n\n{text}"
        return Answer(
            question=question,
            answer=text,
            status="answered",
            short_answer=short,
            claims=claims,
            citations=citations,
            language=language,
            mode="extractive",
            timings={"answer": time.perf_counter() - started},
        )


def _refusal(question: str, language: str, text: str, started: float) -> Answer:
    return Answer(
        question=question,
        answer=text,
        status="insufficient_evidence",
        language=language,
        mode="extractive",
        timings={"answer": time.perf_counter() - started},
    )
