"""The main job through the real `sanad` entry point, the real default embedder and chromadb on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from procs import SAMPLES, run_sanad, user_env

pytestmark = pytest.mark.slow


def sanad(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run_sanad(user_env(home), *args, check=check)


def as_json(proc: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    report = as_json(sanad(home, "ingest", str(SAMPLES), "--json"))
    assert report["added"] == 2 and report["skipped"] == []
    return home


def test_ask_returns_cited_answer_with_exact_offsets(home: Path) -> None:
    answer = as_json(sanad(home, "ask", "كم تبلغ الطاقة الإنتاجية لمحطة تحلية المياه؟", "--json"))
    assert answer["status"] == "answered" and answer["mode"] == "extractive" and answer["language"] == "ar"
    assert answer["citations"], answer
    ids = {a["id"] for a in as_json(sanad(home, "articles", "--json"))}
    assert {c["article_id"] for c in answer["citations"]} <= ids
    sources = {p.name: p.read_text(encoding="utf-8") for p in SAMPLES.iterdir()}
    quotes_found = [any(c["quote"] in text for text in sources.values()) for c in answer["citations"]]
    assert all(quotes_found)
    assert any("12.5" in c["quote"] for c in answer["citations"])
    assert set(answer["timings"]) >= {"load", "retrieve", "answer", "total"}  # a one-shot ask loads the model
    assert answer["timings"]["total"] >= answer["timings"]["load"] + answer["timings"]["retrieve"]


def test_citation_offsets_point_into_the_stored_article(home: Path) -> None:
    from qa.assistant import Assistant
    from qa.settings import Settings

    assistant = Assistant(Settings(home=home))
    answer = assistant.ask("كم دار نشر تشارك في معرض الكتاب هذا العام؟")
    assert answer.status == "answered"
    for c in answer.citations:
        assert assistant.article(c.article_id).text[c.start : c.end] == c.quote
    assert any("640" in c.quote for c in answer.citations)


def test_unanswerable_question_says_so(home: Path) -> None:
    answer = as_json(sanad(home, "ask", "ما هي نتيجة مباراة كرة القدم أمس؟", "--json"))
    assert answer["status"] == "insufficient_evidence" and answer["citations"] == []


def test_reingest_adds_nothing(home: Path) -> None:
    report = as_json(sanad(home, "ingest", str(SAMPLES), "--json"))
    assert report["added"] == 0 and report["updated"] == 0 and report["unchanged"] == 2


def test_bad_file_exits_1_and_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"id": "ok", "title": "t", "text": "نص سليم عن الطقس."}\n{oops\n', encoding="utf-8")
    proc = sanad(tmp_path / "h", "ingest", str(bad), "--json", check=False)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert report["added"] == 1
    assert report["skipped"][0]["line"] == 2 and "broken.jsonl" in report["skipped"][0]["path"]


def test_forget_and_unknown_article(tmp_path: Path) -> None:
    home = tmp_path / "h"
    sanad(home, "ingest", str(SAMPLES / "book-fair.txt"))
    (info,) = as_json(sanad(home, "articles", "--json"))
    assert info["chunks"] >= 1
    sanad(home, "forget", info["id"])
    assert as_json(sanad(home, "articles", "--json")) == []
    proc = sanad(home, "forget", info["id"], check=False)
    assert proc.returncode == 2 and "error" in proc.stderr


def test_help_and_module_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "qa", "-h"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for command in ("ingest", "ask", "search", "articles", "forget"):
        assert command in proc.stdout
