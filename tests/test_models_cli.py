"""`sanad models prepare` builds the e5 folder in SANAD_MODELS (shared by every home); SANAD_EMBEDDER=e5 uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.assistant import Assistant
from qa.cli import main
from qa.settings import Settings

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
pytestmark = pytest.mark.slow


def test_models_prepare_then_e5_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    monkeypatch.setenv("SANAD_MODELS", str(models))
    assert main(["models", "prepare", "--home", str(tmp_path / "home"), "--json"]) == 0
    folder = Path(json.loads(capsys.readouterr().out)["path"])
    assert folder.is_relative_to(models) and (folder / "model.safetensors").exists()
    assert not (tmp_path / "home").exists()  # nothing of the model lives in a home
    built = (folder / "model.safetensors").stat().st_mtime_ns
    with Assistant(Settings(home=tmp_path / "home", embedder="e5:fp32")) as assistant:
        assert assistant.embedder.identity.endswith("st-torch-fp32")
        assistant.ingest([SAMPLES / "book-fair.txt"])
        answer = assistant.ask("كم عدد دور النشر المشاركة في المعرض؟")
        assert answer.status == "answered"
        assert any("640" in c.quote for c in answer.citations)
        for c in answer.citations:
            assert assistant.article(c.article_id).text[c.start : c.end] == c.quote
    with Assistant(Settings(home=tmp_path / "other-home", embedder="e5:fp32")) as other:
        assert other.embedder.identity.endswith("st-torch-fp32")
    assert (folder / "model.safetensors").stat().st_mtime_ns == built  # the second home reused it
