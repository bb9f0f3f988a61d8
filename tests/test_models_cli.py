"""`sanad models prepare` builds the e5 folder in SANAD_HOME, and SANAD_EMBEDDER=e5 answers with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.assistant import Assistant
from qa.cli import main
from qa.settings import Settings

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
pytestmark = pytest.mark.slow


def test_models_prepare_then_e5_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "prepare", "--home", str(tmp_path), "--json"]) == 0
    folder = Path(json.loads(capsys.readouterr().out)["path"])
    assert folder.is_relative_to(tmp_path) and (folder / "model.safetensors").exists()
    with Assistant(Settings(home=tmp_path, embedder="e5:fp32")) as assistant:
        assert assistant.embedder.identity.endswith("st-torch-fp32")
        assistant.ingest([SAMPLES / "book-fair.txt"])
        answer = assistant.ask("كم عدد دور النشر المشاركة في المعرض؟")
        assert answer.status == "answered"
        assert any("640" in c.quote for c in answer.citations)
        for c in answer.citations:
            assert assistant.article(c.article_id).text[c.start : c.end] == c.quote
