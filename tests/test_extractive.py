"""The extractive answerer: best-supported sentences, exact offsets, and a typed 'sources do not say'."""

from __future__ import annotations

from collections.abc import Sequence

from index.documents import Passage, Span
from qa.extractive import ExtractiveAnswerer, Thresholds, terms
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
