"""Time-aware questions and ``sanad timeline`` as shipped: the installed ``sanad`` command in real
processes, a fresh ``SANAD_HOME``, default settings (e5, hybrid retrieval, the extractive answerer),
over the dated fixture corpus (tests/fixtures/news_dated, written for Sanad). Nothing is injected."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from procs import run_sanad, user_env

from index.readers import read_paths

pytestmark = pytest.mark.shipped

CORPUS = Path(__file__).parent / "fixtures" / "news_dated"
TEXTS = {a.id: a.text for a in read_paths([CORPUS], max_bytes=1_000_000, max_article_chars=1_000_000)}  # type: ignore[union-attr]
TOPIC = "محطة تحلية المياه في الواحة"


def name(article_id: str) -> str:
    return article_id.rsplit("-", 1)[0]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = user_env(tmp_path_factory.mktemp("shipped-timeline-home"), shipped=True)
    report = json.loads(run_sanad(env, "ingest", str(CORPUS), "--json").stdout)
    assert report["added"] == len(TEXTS) and report["skipped"] == [], report
    return env


def sanad_json(env: dict[str, str], *args: str) -> Any:
    return json.loads(run_sanad(env, *args, "--json").stdout)


def test_timeline_lists_dated_events_in_order_with_verified_quotes(env: dict[str, str]) -> None:
    timeline = sanad_json(env, "timeline", TOPIC, "--as-of", "2025-10-12")
    events = timeline["events"]
    assert [(e["date"], name(e["article_id"])) for e in events] == [
        ("2025-09-01", "desal-plan"),  # "أمس الاثنين" in the article of 2 September
        ("2025-09-19", "desal-digging"),  # "أمس الجمعة", 20 September
        ("2025-10-02", name(events[2]["article_id"])),  # "يوم الخميس الماضي", 5 October, and its wire copy
        ("2025-10-11", "desal-opening"),  # "اليوم السبت"
    ]
    for e in events:
        text = TEXTS[e["article_id"]]
        assert text[e["start"] : e["end"]] == e["quote"]
        assert text[e["mention_start"] : e["mention_end"]] == e["when"]
    contract = events[2]
    assert contract["corroboration"] == 2
    assert {name(contract["article_id"])} | {name(c["article_id"]) for c in contract["copies"]} == {
        "desal-contract", "desal-contract-wire"
    }  # fmt: skip
    bounded = sanad_json(env, "timeline", TOPIC, "--since", "2025-09-15", "--until", "2025-10-05")
    assert [e["date"] for e in bounded["events"]] == ["2025-09-19", "2025-10-02"]


def test_timeline_table(env: dict[str, str]) -> None:
    shown = run_sanad(env, "timeline", TOPIC, "--as-of", "2025-10-12")
    lines = [line for line in shown.stdout.splitlines() if "2025-" in line]
    days = [d for d in ("2025-09-01", "2025-09-19", "2025-10-02", "2025-10-11") if any(d in line for line in lines)]
    assert days == ["2025-09-01", "2025-09-19", "2025-10-02", "2025-10-11"]
    assert shown.stderr == "" or "Traceback" not in shown.stderr


def test_a_question_with_a_period(env: dict[str, str]) -> None:
    question = "ماذا حدث لمحطة تحلية المياه في الواحة الأسبوع الماضي؟"
    passages = sanad_json(env, "search", question, "--as-of", "2025-10-12")
    dated = {name(p["article_id"]) for p in passages if p["date"]}
    assert dated == {"desal-contract", "desal-contract-wire"}
    answer = sanad_json(env, "ask", question, "--as-of", "2025-10-12")
    assert answer["time"]["since"] == "2025-09-29" and answer["time"]["until"] == "2025-10-05"
    assert {name(c["article_id"]) for c in answer["citations"]} <= {
        "desal-contract",
        "desal-contract-wire",
        "water-history",
    }
    shown = run_sanad(env, "ask", question, "--as-of", "2025-10-12").stdout
    assert "period 2025-09-29 – 2025-10-05 (الأسبوع الماضي); as of 2025-10-12" in shown


def test_latest_prefers_the_newest(env: dict[str, str]) -> None:
    question = "ما آخر أخبار محطة تحلية المياه في الواحة؟"
    passages = sanad_json(env, "search", question, "--as-of", "2025-10-12")
    assert name(passages[0]["article_id"]) == "desal-opening"
    days = [p["date"] for p in passages if p["article_id"].startswith("desal")]
    assert days == sorted(days, reverse=True)
    before = sanad_json(env, "search", question, "--as-of", "2025-10-06")
    assert all(date.fromisoformat(p["date"]) <= date(2025, 10, 6) for p in before if p["date"])


def test_no_time_words_no_change(env: dict[str, str]) -> None:
    question = "كم تنتج محطة تحلية المياه في الواحة يوميا؟"
    today = sanad_json(env, "search", question)
    other_day = sanad_json(env, "search", question, "--as-of", "2025-10-06")
    assert [(p["chunk_id"], p["score"]) for p in today] == [(p["chunk_id"], p["score"]) for p in other_day]
    assert sanad_json(env, "ask", question, "--as-of", "2025-10-06")["time"] is None


def test_bad_as_of_exits_2(env: dict[str, str]) -> None:
    proc = run_sanad(env, "timeline", TOPIC, "--as-of", "2025-13-01", check=False)
    assert proc.returncode == 2 and "not a date" in proc.stderr and "Traceback" not in proc.stderr


def test_timeline_help_imports_no_model_or_store(env: dict[str, str]) -> None:
    proc = run_sanad(env, "timeline", "-h", extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert "usage: sanad timeline" in proc.stdout and "--as-of" in proc.stdout and "exit status" in proc.stdout
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert not names & {"torch", "chromadb", "openai", "numpy"}, names & {"torch", "chromadb", "openai", "numpy"}


def test_a_when_question_is_answered_with_the_absolute_date_first(env: dict[str, str]) -> None:
    """Issue 13: the short answer of a "when" question opens with the day its words resolve to."""
    question = "متى وقعت بلدية الواحة عقد تشغيل محطة تحلية المياه؟"
    answer = sanad_json(env, "ask", question)
    short = answer["short_answer"]
    assert short is not None and short["date"] == "2025-10-02", answer  # "يوم الخميس الماضي", 5 October
    assert answer["answer"].startswith(f"الإجابة المختصرة: 2025-10-02 ({short['text']}) [{short['citation']}]")
    cited = next(c for c in answer["citations"] if c["n"] == short["citation"])
    assert TEXTS[cited["article_id"]][short["start"] : short["end"]] == short["text"]
    terminal = run_sanad(env, "ask", question).stdout
    assert terminal.splitlines()[0].startswith("الإجابة المختصرة: 2025-10-02 (")
