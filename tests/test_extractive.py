"""The extractive answerer: best-supported sentences, exact offsets, and a typed 'sources do not say'."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from index.documents import Passage, Span
from qa.extractive import Evidence, ExtractiveAnswerer, Thresholds, terms
from qa.language import insufficient_evidence_text

ARTICLE = (
    "وصل وفد سوري إلى أنقرة. "
    "وشارك في اللقاء من الجانب التركي وزير الخارجية هاكان فيدان ووزير الدفاع يشار غولر. "
    "وبحث الجانبان ضبط الحدود."
)


def _passage(article_id: str, text: str, offset: int = 0) -> Passage:
    spans, pos = [], 0
    for sentence in text.split(". "):
        start = text.index(sentence, pos)
        end = start + len(sentence) + (1 if text[start + len(sentence) : start + len(sentence) + 1] == "." else 0)
        spans.append(Span(start=offset + start, end=offset + end))
        pos = end
    return Passage(
        chunk_id=f"{article_id}-c0",
        article_id=article_id,
        title="t",
        start=offset,
        end=offset + len(text),
        text=text,
        sentences=spans,
    )


def test_terms_fold_prefixes_and_stopwords() -> None:
    assert terms("وشارك في اللقاء") == ["شارك", "لقاء"]
    assert terms("في") == []
    assert terms("ومن قاد الجانب التركي") == ["قاد", "جانب", "تركي"]


def test_answer_quotes_the_supporting_sentence_with_exact_offsets() -> None:
    passage = _passage("a1", ARTICLE, offset=100)
    answer = ExtractiveAnswerer(None).answer("من شارك في اللقاء من الجانب التركي؟", [passage])
    assert answer.status == "answered" and answer.mode == "extractive" and answer.language == "ar"
    first = answer.citations[0]
    article_text = " " * 100 + ARTICLE
    assert article_text[first.start : first.end] == first.quote
    assert "هاكان فيدان" in first.quote
    assert "[1]" in answer.answer
    assert all(claim.citations for claim in answer.claims)


def test_unrelated_question_is_insufficient_evidence() -> None:
    passage = _passage("a1", ARTICLE)
    answer = ExtractiveAnswerer(None).answer("كم يبلغ سعر النفط في البرازيل؟", [passage])
    assert answer.status == "insufficient_evidence"
    assert answer.citations == [] and answer.claims == []


def test_no_passages_is_insufficient_evidence_in_english() -> None:
    answer = ExtractiveAnswerer(None).answer("Who led the delegation?", [])
    assert answer.status == "insufficient_evidence" and answer.language == "en"
    assert answer.answer == insufficient_evidence_text("en")


def test_retold_sentence_is_cited_once() -> None:
    same = "وشارك في اللقاء من الجانب التركي وزير الخارجية هاكان فيدان."
    answer = ExtractiveAnswerer(None).answer("من شارك في اللقاء؟", [_passage("a1", same), _passage("a2", same)])
    assert len(answer.citations) == 1


def test_stored_sentence_vectors_spare_embedding_at_question_time() -> None:
    import numpy as np
    from fakes import HashEmbedder

    from index.documents import sentence_id

    embedder = HashEmbedder()
    passage = _passage("a1", ARTICLE)
    spans = [(s.start, s.end, ARTICLE[s.start : s.end]) for s in passage.sentences]
    store = {sentence_id("a1", a, b, t): embedder.embed([t], "passage")[0] for a, b, t in spans}
    asked: list[list[str]] = []

    def lookup(ids: Sequence[str]) -> dict[str, np.ndarray]:
        asked.append(list(ids))
        return {i: store[i] for i in ids if i in store}

    embedder.calls.clear()
    # An English question shares no words with the article: the dense fallback decides.
    answer = ExtractiveAnswerer(
        embedder, stored_vectors=lookup, thresholds=Thresholds(min_standout=-9.0, cross_standout=-9.0)
    ).answer("Who attended the talks?", [passage])
    assert asked and set(asked[0]) == set(store)
    assert embedder.calls == [("query", 1)]
    assert answer.status == "answered"


def test_the_gate_reads_the_evidence_it_is_given() -> None:
    """``Thresholds.admits``, the one gate (the answerer and benchmarks/answer_gate.py both call it):
    enough shared terms admit alone; a same-language cosine needs a standout over its floor unless it
    is sure; across languages the late-interaction and dense floors admit without a standout."""
    t = Thresholds()
    plain = Evidence(overlap=0.0, dense=0.5, late=0.5, dense_standout=0.0, late_standout=0.0, cross=False)
    assert not t.admits(plain)
    assert t.admits(replace(plain, overlap=t.min_overlap))
    assert t.admits(replace(plain, dense=t.sure_dense))
    assert not t.admits(replace(plain, dense=t.sure_dense, cross=True))
    standing = replace(plain, dense=t.min_dense, dense_standout=t.min_standout, late_standout=t.min_late_standout)
    assert t.admits(standing)
    assert not t.admits(replace(standing, late_standout=t.min_late_standout - 0.1))
    assert not t.admits(replace(standing, dense=t.min_dense - 0.01))
    assert t.admits(replace(standing, late=None, late_standout=0.0))  # no late scorer: the cosine decides
    floors = replace(plain, cross=True, late=t.cross_late_floor, dense=t.cross_dense_floor)
    assert t.admits(floors)
    assert not t.admits(replace(floors, late=t.cross_late_floor - 0.01))
    assert not t.admits(replace(floors, dense=None))  # no embedder: only the overlap counts
