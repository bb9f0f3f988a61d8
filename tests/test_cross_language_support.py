"""Issue 14: when the best sentence of another language than the question counts as support.

Across languages e5's cosines are compressed, and over a small on-topic index no candidate stands
out from the others; the cross-language floors (``Thresholds.cross_late_floor`` /
``cross_dense_floor``) let a sentence whose own late-interaction and dense scores are high answer,
and nothing else changes: the same scores in the question's own language, or without the
late-interaction signal, are still no support."""

from __future__ import annotations

from index.documents import Passage
from qa.extractive import ExtractiveAnswerer, Thresholds
from qa.sentence_rank import Candidate

ARABIC = [  # our own sentences
    "وشارك في الاجتماع من جانب البلدية رئيسها سمير حداد.",
    "ونشرت البلدية صورة من الاجتماع.",
    "وتبلغ كلفة المشروع 38 مليون دولار.",
    "وأعلنت الوزارة موعد الافتتاح.",
    "وقال المتحدث إن الأعمال بدأت.",
    "وزار الوفد الموقع أمس.",
    "واستمر الاجتماع ساعتين.",
]


def cands(texts: list[str], best_dense: float, best_late: float) -> list[Candidate]:
    out = []
    for i, text in enumerate(texts):
        p = Passage(chunk_id=f"c{i}", article_id="a", title="t", start=0, end=len(text), text=text)
        # all candidates alike (nothing stands out), the first one as high as asked
        dense, late = (best_dense, best_late) if i == 0 else (best_dense - 0.005 * (i % 3), best_late - 0.004 * (i % 2))
        out.append(Candidate(p, 0, len(text), text, dense=dense, late=late))
    return out


def answerer(late: bool = True) -> ExtractiveAnswerer:
    def scorer(question: str, passages: object) -> dict[tuple[str, int], float]:
        return {}

    return ExtractiveAnswerer(object(), late=scorer if late else None)  # type: ignore[arg-type]


def test_high_scores_across_languages_are_support_though_nothing_stands_out() -> None:
    t = Thresholds()
    ranked = cands(ARABIC, t.cross_dense_floor + 0.01, t.cross_late_floor + 0.01)
    assert answerer().supported(ranked, ranked[0], "en")


def test_below_either_floor_is_no_support() -> None:
    t = Thresholds()
    low_late = cands(ARABIC, t.cross_dense_floor + 0.01, t.cross_late_floor - 0.01)
    low_dense = cands(ARABIC, t.cross_dense_floor - 0.01, t.cross_late_floor + 0.01)
    assert not answerer().supported(low_late, low_late[0], "en")
    assert not answerer().supported(low_dense, low_dense[0], "en")


def test_the_floors_are_for_the_other_language_only_and_need_late_interaction() -> None:
    t = Thresholds()
    ranked = cands(ARABIC, t.cross_dense_floor + 0.01, t.cross_late_floor + 0.01)
    assert not answerer().supported(ranked, ranked[0], "ar")  # same language: below min_dense, no standout
    assert not answerer(late=False).supported(ranked, ranked[0], "en")
