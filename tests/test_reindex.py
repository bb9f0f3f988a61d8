"""An index refuses another embedder with a clear error; `reindex` rebuilds it from the stored texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import HashEmbedder

from index.errors import EmbedderMismatchError
from qa.assistant import Assistant
from qa.settings import Settings

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def test_other_embedder_is_refused_until_reindexed(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with Assistant(settings, embedder=HashEmbedder(name="first")) as first:
        report = first.ingest([SAMPLES])
        assert len(report.added) == 2
        chunks = report.chunks

    with Assistant(settings, embedder=HashEmbedder(name="second", dim=128)) as second:
        with pytest.raises(EmbedderMismatchError) as info:
            second.search("محطة تحلية المياه")
        assert "fake:first" in info.value.message and "fake:second" in info.value.message
        assert "reindex" in info.value.message

        rebuilt = second.reindex()
        assert len(rebuilt.added) == 2 and rebuilt.chunks == chunks
        hits = second.search("محطة تحلية المياه", k=2)
        assert hits and hits[0].article_id in {a.id for a in second.articles()}
        assert second.store.identity == "fake:second-3gram:128"


def test_another_chunk_context_is_refused_until_reindexed(tmp_path: Path) -> None:
    """Chunks embedded without their titles do not mix with chunks embedded with them."""
    with Assistant(Settings(home=tmp_path), embedder=HashEmbedder()) as plain:
        assert len(plain.ingest([SAMPLES]).added) == 2
    titled = Settings(home=tmp_path, ingest={"context": "title"})
    with Assistant(titled, embedder=HashEmbedder()) as second:
        with pytest.raises(EmbedderMismatchError) as info:
            second.search("محطة تحلية المياه")
        assert "'none'" in info.value.message and "SANAD_INGEST_CONTEXT" in info.value.message
        assert "reindex" in info.value.message
        assert len(second.reindex().added) == 2
        assert second.search("محطة تحلية المياه", k=2)
    with Assistant(titled, embedder=HashEmbedder()) as again:  # the rebuilt index records its context
        assert again.search("محطة تحلية المياه", k=2)
