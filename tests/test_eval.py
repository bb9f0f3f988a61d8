"""`sanad eval` on a small SQuAD-format fixture: isolated index, per-method metrics, parallel questions."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import HashEmbedder

from index.documents import Passage
from index.embeddings import EMBEDDERS, register_embedder
from qa.cli import main
from qa.evaluate import Question, contains, evaluate, f1, is_gold, load_squad
from qa.settings import Settings

CONTEXTS = [
    (
        "أنقرة",
        "وصل وفد سوري إلى أنقرة. وشارك في اللقاء وزير الخارجية التركي هاكان فيدان.",
        [
            ("q1", "من شارك في اللقاء من الجانب التركي؟", "Who took part for Turkey?", "هاكان فيدان"),
        ],
    ),
    (
        "الكتاب",
        "استقبل معرض الكتاب مئتي ألف زائر. وتشارك في المعرض 640 دار نشر.",
        [
            ("q2", "كم دار نشر تشارك في معرض الكتاب؟", "How many publishers take part?", "640"),
        ],
    ),
    (
        "المياه",
        "افتتحت البلدية محطة لتحلية مياه البحر. وتبلغ طاقتها 12.5 ألف متر مكعب يومياً.",
        [
            ("q3", "ما طاقة محطة تحلية مياه البحر؟", "What is the plant's capacity?", "12.5 ألف متر مكعب"),
        ],
    ),
]


def _squad(path: Path, lang: int) -> Path:
    data = {
        "data": [
            {
                "title": title,
                "paragraphs": [
                    {
                        "context": ctx,
                        "qas": [
                            {
                                "id": qid,
                                "question": (q_ar, q_en)[lang],
                                "answers": [{"text": ans, "answer_start": ctx.index(ans)}],
                            }
                            for qid, q_ar, q_en, ans in qas
                        ],
                    }
                ],
            }
            for title, ctx, qas in CONTEXTS
        ]
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def fake_embedder() -> Iterator[None]:
    register_embedder("testhash", lambda arg, options: HashEmbedder(name=arg or "hash"))
    yield
    EMBEDDERS.pop("testhash", None)


def test_load_squad_and_parallel_questions(tmp_path: Path) -> None:
    ar, en = _squad(tmp_path / "ar.json", 0), _squad(tmp_path / "en.json", 1)
    data = load_squad(ar, questions_from=en)
    assert len(data.contexts) == 3 and len(data.questions) == 3
    assert data.questions[0].question == "Who took part for Turkey?"
    assert data.questions[0].context_id == data.contexts[0]["id"]


def test_evaluate_reports_every_method(tmp_path: Path) -> None:
    ar = _squad(tmp_path / "ar.json", 0)
    settings = Settings(home=tmp_path / "home", embedder="testhash")
    report = evaluate(ar, settings=settings, methods=["dense", "lexical", "hybrid"], k=3)
    by_method = {m.method: m.as_dict() for m in report.methods}
    assert set(by_method) == {"dense", "lexical", "hybrid"}
    assert by_method["lexical"]["R@1"] == 1.0 and by_method["hybrid"]["R@1"] == 1.0
    for d in by_method.values():
        assert 0.0 <= d["MRR@10"] <= 1.0 and d["questions"] == 3
    assert report.articles == 3 and report.answers["questions"] == 3
    assert report.answers["cited_passage_has_gold"] == 1.0
    # The user's index is untouched: eval builds its own in a temporary folder.
    assert not (tmp_path / "home" / "chroma").exists()
    # A second run reuses every passage embedding.
    again = evaluate(ar, settings=settings, methods=["dense"], k=3)
    assert again.cache["hits"] > 0


def test_eval_command_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ar = _squad(tmp_path / "ar.json", 0)
    out = tmp_path / "report.json"
    code = main(
        [
            "eval",
            str(ar),
            "--methods",
            "lexical,hybrid",
            "--embedder",
            "testhash",
            "--home",
            str(tmp_path / "home"),
            "--json",
            str(out),
        ]
    )
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [m["method"] for m in report["methods"]] == ["lexical", "hybrid"]
    assert "MRR@10" in capsys.readouterr().out


def test_bad_dataset_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["eval", str(bad), "--embedder", "testhash", "--home", str(tmp_path / "h")]) == 2


def test_f1_uses_arabic_normalisation() -> None:
    assert f1("هاكان فيدان [1]", "هاكان فيدان") == 1.0
    assert f1("إبراهيم قالن", "ابراهيم قالن") == 1.0
    assert f1("شيء آخر", "هاكان فيدان") == 0.0


def test_distractors_from_a_zip_up_to_a_limit(tmp_path: Path) -> None:
    """Distractors are read like `sanad ingest` reads them (zips too), errors skipped, capped at N distinct
    texts (a copy under another URL is indexed too: the story index groups the two)."""
    ar = _squad(tmp_path / "ar.json", 0)
    news = [{"url": f"http://paper.example/{i}", "title": f"خبر {i}", "content": f"خبر رقم {i} عن الطقس في المدينة."}
            for i in range(6)]  # fmt: skip
    news.insert(1, {"url": "http://paper.example/empty", "title": "فارغ", "content": ""})
    news.insert(3, {"url": "http://paper.example/again", "title": "مكرر", "content": news[0]["content"]})
    archive = tmp_path / "news.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("day.json", json.dumps(news, ensure_ascii=False))
    settings = Settings(home=tmp_path / "home", embedder="testhash")
    report = evaluate(ar, settings=settings, distractors=[archive], distractor_limit=4, methods=["lexical"], k=3)
    assert report.articles == 3 and report.distractor_articles == 5
    assert report.distractor_chunks == 5 and report.chunks == 8
    # the gold context still wins for its question: distractors share no terms with the questions
    assert report.methods[0].as_dict()["R@1"] == 1.0
    unlimited = evaluate(ar, settings=settings, distractors=[archive], methods=["lexical"], k=3)
    assert unlimited.distractor_articles == 7  # six texts, one of them twice


def test_distractor_limit_must_be_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ar = _squad(tmp_path / "ar.json", 0)
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", str(ar), "--distractors", str(tmp_path), "--distractor-limit", "0"])
    assert exit_info.value.code == 2
    assert "at least 1" in capsys.readouterr().err


def test_gold_is_the_context_or_a_passage_holding_the_answer() -> None:
    """The issue's rule, with whole tokens: "19" is not found inside "1990"."""
    q = Question("q", "متى؟", ["عام 1990", "1990"], "ctx-a")

    def passage(article: str, text: str) -> Passage:
        return Passage(chunk_id="c", article_id=article, index=0, start=0, end=len(text), text=text)

    assert is_gold(passage("ctx-a", "نص لا يذكر الجواب."), q)
    assert is_gold(passage("news-1", "وفي عامِ ١٩٩٠ افتُتح المبنى."), q)  # normalised: diacritics, digits
    assert not is_gold(passage("news-2", "في عام 19901 شيء آخر."), q)
    assert contains("افتتح سنة 1990.", "1990") and not contains("افتتح سنة 1990.", "19")
    assert contains("زار لندن وباريس.", "باريس") and contains("في الجامعة.", "جامعة")
    assert not contains("العلاقات المصرية", "مصر")
