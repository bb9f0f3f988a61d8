"""Fusion of the dense and lexical legs, diversity, and merging neighbouring chunks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.documents import Passage, Span
from index.fusion import diversify, fuse, merge_neighbours, sentence_scores, to_passages

ARTICLE = "الجملة الأولى هنا. الجملة الثانية هناك. الجملة الثالثة. الجملة الرابعة والأخيرة."


def dense(*pairs: tuple[str, float]) -> list[Passage]:
    return [Passage(chunk_id=c, article_id=c[0], start=0, end=1, text="x", score=s) for c, s in pairs]


def test_lexical_evidence_lifts_a_chunk_when_the_question_matches_the_corpus() -> None:
    d = dense(("a1", 0.86), ("b1", 0.85), ("c1", 0.80))
    lex = [("b1", 12.0), ("c1", 3.0)]
    assert [f.chunk_id for f in fuse(d, lex, coverage=1.0)] == ["b1", "a1", "c1"]


def test_no_coverage_means_the_dense_order() -> None:
    d = dense(("a1", 0.86), ("b1", 0.85), ("c1", 0.80))
    lex = [("c1", 12.0), ("z9", 11.0)]  # noise from an English question over Arabic text
    fused = fuse(d, lex, coverage=0.0)
    assert [f.chunk_id for f in fused][:3] == ["a1", "b1", "c1"]
    assert fused[-1].chunk_id == "z9"  # lexical-only hit sits at the dense floor


def test_lexical_only_hits_enter_the_ranking_with_the_dense_floor() -> None:
    d = dense(("a1", 0.90), ("b1", 0.80))
    fused = fuse(d, [("n1", 10.0)], coverage=1.0, lexical_bound=10.0, lexical_weight=0.2)
    assert [f.chunk_id for f in fused] == ["n1", "a1", "b1"]
    top = fused[0]
    assert top.score == 0.80 + 0.2
    assert top.scores == {"coverage": 1.0, "lexical": 10.0, "lexical_rank": 1.0}


def test_scores_record_both_legs_and_k_truncates() -> None:
    d = dense(("a1", 0.9), ("b1", 0.8))
    fused = fuse(d, [("a1", 5.0)], coverage=0.5, k=1)
    assert len(fused) == 1
    assert fused[0].scores == {"coverage": 0.5, "dense": 0.9, "dense_rank": 1.0, "lexical": 5.0, "lexical_rank": 1.0}


def test_sentence_scores_reorder_close_calls() -> None:
    d = dense(("a1", 0.86), ("b1", 0.85))
    fused = fuse(d, [], sentence={"a1": 0.70, "b1": 0.90}, sentence_weight=0.7)
    assert [f.chunk_id for f in fused] == ["b1", "a1"]
    assert fused[0].scores["sentence"] == 0.90


def test_rrf_method() -> None:
    d = dense(("a1", 0.9), ("b1", 0.8), ("c1", 0.7))
    lex = [("b1", 9.0), ("c1", 8.0)]
    fused = fuse(d, lex, method="rrf", lexical_weight=1.0, coverage=1.0, rrf_k=60)
    assert [f.chunk_id for f in fused] == ["b1", "c1", "a1"]
    assert fused[0].score == 1 / 62 + 1 / 61
    assert [f.chunk_id for f in fuse(d, lex, method="rrf", coverage=0.0)] == ["a1", "b1", "c1"]


def test_empty_inputs() -> None:
    assert fuse([], []) == []
    assert [f.chunk_id for f in fuse([], [("x", 1.0)])] == ["x"]


def test_to_passages_keeps_order_and_sets_scores() -> None:
    d = dense(("a1", 0.9), ("b1", 0.8))
    fused = fuse(d, [("b1", 10.0)], coverage=1.0)
    out = to_passages(fused, {p.chunk_id: p for p in d})
    assert [p.chunk_id for p in out] == [f.chunk_id for f in fused]
    assert out[0].score == fused[0].score and "lexical" in out[0].scores
    assert d[1].scores == {}  # inputs are not modified
    assert to_passages(fused, {}) == []


def passage(article: str, idx: int, rank_score: float, doc: str = ARTICLE, size: int = 2) -> Passage:
    """Chunk ``idx`` of ``doc``: sentences idx..idx+size-1 (one sentence of overlap between neighbours)."""
    bounds = [0]
    for i, ch in enumerate(doc):
        if ch == "." and i + 1 < len(doc):
            bounds.append(i + 2)
    bounds.append(len(doc))
    spans = [(bounds[i], bounds[i + 1] - (1 if i + 1 < len(bounds) - 1 else 0)) for i in range(len(bounds) - 1)]
    first, last = spans[idx], spans[min(idx + size - 1, len(spans) - 1)]
    start, end = first[0], last[1]
    return Passage(
        chunk_id=f"{article}{idx}",
        article_id=article,
        index=idx,
        start=start,
        end=end,
        text=doc[start:end],
        sentences=[Span(start=s, end=e) for s, e in spans[idx : idx + size]],
        score=rank_score,
    )


def test_diversify_caps_chunks_per_article() -> None:
    ps = [passage("a", 0, 0.9), passage("a", 1, 0.8), passage("b", 0, 0.7), passage("a", 2, 0.6)]
    assert [p.chunk_id for p in diversify(ps, 2)] == ["a0", "a1", "b0"]
    assert [p.chunk_id for p in diversify(ps, 1, k=1)] == ["a0"]
    assert len(diversify(ps, 0)) == 4


def test_merge_overlapping_neighbours() -> None:
    ps = [passage("a", 1, 0.9), passage("b", 0, 0.8), passage("a", 0, 0.7), passage("a", 2, 0.6)]
    merged = merge_neighbours(ps)
    assert [p.article_id for p in merged] == ["a", "b"]
    a = merged[0]
    assert a.text == ARTICLE[a.start : a.end]
    assert (a.start, a.end) == (0, len(ARTICLE))
    assert a.chunk_id == "a1" and a.score == 0.9  # the best member's identity
    assert [(s.start, s.end) for s in a.sentences] == sorted(
        {(s.start, s.end) for p in ps[::2] + ps[3:] for s in p.sentences}
    )


def test_no_merge_across_a_gap() -> None:
    ps = [passage("a", 0, 0.9, size=1), passage("a", 2, 0.8, size=1)]
    assert [p.chunk_id for p in merge_neighbours(ps)] == ["a0", "a2"]


@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 3), st.floats(0, 1)),
        min_size=1,
        max_size=6,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_merged_text_is_always_the_article_slice(specs: list[tuple[int, int, float]]) -> None:
    ps = [passage("a", i, s, size=n).model_copy(update={"chunk_id": f"a{i}.{n}"}) for i, n, s in specs]
    merged = merge_neighbours(ps)
    for p in merged:
        assert p.text == ARTICLE[p.start : p.end]
    covered = {c for p in ps for c in range(p.start, p.end)}
    assert covered == {c for p in merged for c in range(p.start, p.end)}
    assert len(merged) <= len(ps)


def test_sentence_scores_take_each_chunks_best_sentence() -> None:
    vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    best = sentence_scores(np.array([0.6, 0.8], dtype=np.float32), vectors, ["c1", "c1", "c2"])
    assert best == pytest.approx({"c1": 1.0, "c2": 0.8})
    assert sentence_scores(np.array([1.0, 0.0], dtype=np.float32), vectors[:0], []) == {}
    with pytest.raises(ValueError, match="2 chunk ids for 3"):
        sentence_scores(np.array([1.0, 0.0], dtype=np.float32), vectors, ["c1", "c2"])
