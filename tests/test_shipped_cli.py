"""The product as shipped, from the command line: a fresh ``SANAD_HOME``, default settings (the
default embedder, chromadb on disk, the extractive answerer), the installed ``sanad`` command and
``python -m qa``. Nothing is injected."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from procs import PROMPT, SAMPLES, Terminal, run_sanad, sanad_cmd, user_env

pytestmark = pytest.mark.shipped

DESAL_Q = "كم تبلغ الطاقة الإنتاجية لمحطة تحلية المياه؟"
FOLLOW_UP = "وكم بلغت كلفة المشروع؟"
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in SAMPLES.iterdir()}


def in_a_sample(quote: str) -> bool:
    return any(quote in text for text in TEXTS.values())


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = user_env(tmp_path_factory.mktemp("shipped-cli-home"), shipped=True)
    report = json.loads(run_sanad(env, "ingest", str(SAMPLES), "--json").stdout)
    assert report["added"] == 2 and report["skipped"] == [], report
    return env


def test_ingest_is_incremental(env: dict[str, str]) -> None:
    again = run_sanad(env, "ingest", str(SAMPLES))
    assert "unchanged" in again.stdout and "Traceback" not in again.stderr
    report = json.loads(run_sanad(env, "ingest", str(SAMPLES), "--json").stdout)
    assert report["added"] == 0 and report["unchanged"] == 2 and report["chunks"] == 0
    assert [item["status"] for item in report["items"]] == ["unchanged", "unchanged"]


def check_answer(answer: dict[str, Any]) -> None:
    assert answer["status"] == "answered", answer
    assert answer["mode"] == "extractive" and answer["language"] == "ar"
    assert answer["citations"] and all(in_a_sample(c["quote"]) for c in answer["citations"])
    assert any("12.5" in c["quote"] for c in answer["citations"]), answer["citations"]


def test_ask_json(env: dict[str, str]) -> None:
    check_answer(json.loads(run_sanad(env, "ask", DESAL_Q, "--json").stdout))


def test_python_m_qa_ask(env: dict[str, str]) -> None:
    check_answer(json.loads(run_sanad(env, "ask", DESAL_Q, "--json", python_m=True).stdout))


def imported(stderr: str) -> set[str]:
    """The modules ``PYTHONPROFILEIMPORTTIME=1`` reports as imported (``import time: … | name``)."""
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


HEAVY = {"torch", "transformers", "sentence_transformers", "chromadb", "openai", "tantivy", "fastapi"}


def test_help_imports_no_model_store_or_sdk(env: dict[str, str]) -> None:
    """``sanad -h`` and a command's ``-h`` only parse: no torch, chromadb, openai (cold start)."""
    for args in (("-h",), ("ask", "-h"), ("ingest", "-h"), ("dates", "-h")):
        proc = run_sanad(env, *args, extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
        assert "usage: sanad" in proc.stdout
        assert not imported(proc.stderr) & HEAVY, (args, imported(proc.stderr) & HEAVY)


def test_ask_runs_without_transformers_or_the_openai_sdk(env: dict[str, str]) -> None:
    """With no LLM configured a question runs the e5 encoder without ``transformers`` /
    ``sentence_transformers`` or ``openai``; once the reranker's token states are on disk, without torch."""
    proc = run_sanad(env, "ask", DESAL_Q, "--json", extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
    check_answer(json.loads(proc.stdout))
    names = imported(proc.stderr)
    assert "chromadb" in names
    assert not names & {"transformers", "sentence_transformers", "openai"}, names & {"transformers", "openai"}
    # the next process finds the passages' token states on disk and encodes only the question,
    # in numpy: no torch at all
    again = run_sanad(env, "ask", DESAL_Q, "--json", extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
    check_answer(json.loads(again.stdout))
    assert "torch" not in imported(again.stderr)


def test_the_first_ask_after_ingest_imports_no_torch(tmp_path: Path) -> None:
    """Ingest keeps the chunks' token states from its own forward pass (the reranker's store on
    disk), so even the first question after it encodes only the question, in numpy."""
    env = user_env(tmp_path / "home", shipped=True)
    assert json.loads(run_sanad(env, "ingest", str(SAMPLES), "--json").stdout)["added"] == 2
    proc = run_sanad(env, "ask", DESAL_Q, "--json", extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
    check_answer(json.loads(proc.stdout))
    assert "torch" not in imported(proc.stderr)


def test_ask_prints_the_answer_and_its_references(env: dict[str, str]) -> None:
    shown = run_sanad(env, "ask", DESAL_Q).stdout
    assert "12.5" in shown and "المراجع / References:" in shown and "[1]" in shown


def test_search_json(env: dict[str, str]) -> None:
    passages = json.loads(run_sanad(env, "search", "محطة تحلية المياه بالطاقة الشمسية", "--json", "-k", "3").stdout)
    assert 1 <= len(passages) <= 3
    top = passages[0]
    assert "12.5" in top["text"] and in_a_sample(top["text"])


def test_articles(env: dict[str, str]) -> None:
    infos = json.loads(run_sanad(env, "articles", "--json").stdout)
    assert len(infos) == 2 and all(i["chunks"] >= 1 for i in infos)
    assert any(i["title"] == "افتتاح محطة لتحلية المياه تعمل بالطاقة الشمسية في مدينة ساحلية" for i in infos)
    table = run_sanad(env, "articles").stdout
    assert "معرض الكتاب" in table and "2025-03-14" in table


def test_chat_in_a_terminal(env: dict[str, str]) -> None:
    t = Terminal([*sanad_cmd(), "chat"], {**env, "TERM": "xterm-256color"})
    try:
        assert t.converse([DESAL_Q, FOLLOW_UP, "/sources 1", "/quit"]) == 0
    finally:
        t.close()
    shown = t.plain
    assert "Traceback" not in shown and "error:" not in shown
    assert shown.count("المراجع / References:") == 2
    first, second = shown.split(PROMPT + FOLLOW_UP)
    assert "12.5" in first
    answer_two = second.split("/sources 1")[0]
    assert "38 مليون" in answer_two  # the follow-up is answered about the same project
    # /sources 1 shows the cited sentence inside its article
    assert "38 مليون دولار" in second.split("/sources 1")[1]


def test_hostile_inputs_are_reported_and_the_rest_ingested(tmp_path: Path) -> None:
    """A lone surrogate in one JSONL line, a symlink to /dev/zero and a FIFO in the folder: each is
    reported with its reason, the good lines are ingested, nothing hangs or crashes."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = [
        {"id": "good-1", "title": "خبر أول", "text": "افتتحت البلدية حديقة عامة جديدة في الحي الشمالي."},
        {"id": "good-2", "title": "خبر ثان", "text": "تجاوز عدد زوار معرض الكتاب مئتي ألف زائر هذا العام."},
    ]
    bad = '{"id": "bad", "text": "نص فيه \\ud800 حرف مكسور"}'
    (corpus / "feed.jsonl").write_text(f"{json.dumps(good[0])}\n{bad}\n{json.dumps(good[1])}\n", encoding="utf-8")
    (corpus / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(corpus / "pipe.md")
    env = user_env(tmp_path / "home", shipped=True)
    proc = run_sanad(env, "ingest", str(corpus), "--json", check=False, timeout=300)
    assert proc.returncode == 1, proc.stderr  # some input was skipped
    report = json.loads(proc.stdout)
    assert report["added"] == 2
    reasons = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert set(reasons) == {"feed.jsonl", "zero.txt", "pipe.md"}
    assert "surrogate" in reasons["feed.jsonl"] and "device" in reasons["zero.txt"] and "FIFO" in reasons["pipe.md"]
    # An undecodable byte in the command line arrives as a lone surrogate: exit 2 with the reason.
    asked = run_sanad(env, "ask", "محطة \udcff", check=False)
    assert asked.returncode == 2 and "surrogate" in asked.stderr and "Traceback" not in asked.stderr


def test_forget_killed_half_way_is_invisible_and_finished_by_a_second_forget(tmp_path: Path) -> None:
    """``sanad forget`` ended after the record went and before the chunks did (a named crash
    point, like kill -9): the article is gone from articles *and* search at once; a second forget
    finishes it (exit 0); nothing of it is left."""
    env = user_env(tmp_path / "home", shipped=True)
    run_sanad(env, "ingest", str(SAMPLES))
    infos = json.loads(run_sanad(env, "articles", "--json").stdout)
    target = next(i for i in infos if "تحلية" in i["title"])
    crashed = run_sanad(env, "forget", target["id"], check=False, extra_env={"SANAD_CRASH_AT": "forget:record"})
    assert crashed.returncode == 86, crashed.stderr
    assert target["id"] not in {i["id"] for i in json.loads(run_sanad(env, "articles", "--json").stdout)}
    hits = json.loads(run_sanad(env, "search", "محطة تحلية المياه بالطاقة الشمسية", "--json").stdout)
    assert hits and target["id"] not in {h["article_id"] for h in hits}
    again = run_sanad(env, "forget", target["id"], check=False)
    assert again.returncode == 0, again.stderr
    third = run_sanad(env, "forget", target["id"], check=False)
    assert third.returncode == 2 and "no article" in third.stderr  # now it is simply unknown


def test_ingest_of_a_missing_path_fails_at_once(tmp_path: Path) -> None:
    """A typo in a path is an error (exit 2) found before any model is loaded or index opened."""
    env = user_env(tmp_path / "home", shipped=True)
    proc = run_sanad(env, "ingest", str(tmp_path / "nowhere"), str(SAMPLES), check=False, timeout=60)
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr and "nowhere" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "home" / "chroma").exists()  # nothing was opened, nothing ingested
