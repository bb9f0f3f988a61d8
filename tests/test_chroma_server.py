"""The store against a real ``chroma run`` server on 127.0.0.1 (chromadb's own server, url mode)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import HashEmbedder
from fixtures_store import ALL, ANKARA, BOOKFAIR, RAIN, chunk, vectors
from procs import chroma_run

from index.documents import Filters
from index.errors import EmbedderMismatchError, NotFoundError
from index.indexer import Indexer
from index.retrieval import DenseRetriever
from index.store import ChunkStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_run(tmp_path_factory.mktemp("chroma") / "db") as (url, seconds):
        print(f"\nchroma run answered its heartbeat after {seconds:.2f}s")
        yield url


def test_store_over_http(server: str) -> None:
    embedder = HashEmbedder()
    with ChunkStore(embedder, url=server, collection="http-store") as store:
        assert store.max_batch > 0
        for article in ALL:
            chunks = chunk(article)
            store.upsert_article(article, chunks, vectors(embedder, chunks))
        n = sum(len(chunk(a)) for a in ALL)
        assert store.count() == n
        assert [a.id for a in store.list_articles()] == ["bookfair", "ankara", "rain", "undated"]
        assert store.get_article("ankara") == ANKARA  # the Arabic text comes back character for character
        assert store.article_hashes() == {a.id: a.content_hash for a in ALL}

        target = chunk(BOOKFAIR)[0]
        hits = store.query(embedder.embed([target.text], "query")[0], 1000)
        assert len(hits) == n and hits[0].chunk_id == target.id
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)
        spa_2024 = Filters(sources=["spa"], since=dt.date(2024, 1, 1))
        assert {p.article_id for p in store.query(embedder.embed(["x"], "query")[0], 10, spa_2024)} == {"bookfair"}

        ids = [c.id for c in chunk(RAIN)][::-1]
        assert [p.chunk_id for p in store.get_passages(ids)] == ids
        assert len(list(store.iter_passages(batch_size=3))) == n

        edited = RAIN.model_copy(update={"text": RAIN.text.replace("north", "south")})
        store.upsert_article(edited, chunk(edited), vectors(embedder, chunk(edited)))
        assert {p.chunk_id for p in store.iter_passages() if p.article_id == "rain"} == {c.id for c in chunk(edited)}
        assert store.count() == n - len(chunk(RAIN)) + len(chunk(edited))

        assert store.delete_article("ankara") == len(chunk(ANKARA))
        with pytest.raises(NotFoundError):
            store.get_article("ankara")
        assert "ankara" not in {a.id for a in store.list_articles()}

    # a second client sees what the first wrote: the state lives in the server
    with ChunkStore(HashEmbedder(), url=server, collection="http-store") as again:
        assert {a.id for a in again.list_articles()} == {"bookfair", "rain", "undated"}
        with pytest.raises(EmbedderMismatchError, match="on the server"):
            ChunkStore(HashEmbedder(name="other"), url=server, collection="http-store")
        again.reset()
        assert again.count() == 0 and again.list_articles() == []


def test_ingest_retrieve_forget_through_the_indexer(server: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for article in (ANKARA, BOOKFAIR):
        (corpus / f"{article.id}.txt").write_text(f"{article.title}\n\n{article.text}\n", encoding="utf-8")
    embedder = HashEmbedder()
    with ChunkStore(embedder, url=server, collection="http-indexer") as store:
        indexer = Indexer(embedder, store, chunk_tokens=20)
        report = indexer.ingest_paths([corpus])
        assert len(report.added) == 2 and not report.skipped and report.chunks == store.count()
        assert not indexer.ingest_paths([corpus]).added  # re-ingest adds nothing

        retriever = DenseRetriever(embedder, store)
        best = retriever.retrieve("كم عدد زوار معرض الكتاب", 3)
        assert best and "زوار" in best[0].text
        article_id = best[0].article_id
        assert indexer.forget(article_id) > 0
        assert all(p.article_id != article_id for p in retriever.retrieve("معرض الكتاب", 10))


def test_index_survives_a_server_restart(tmp_path: Path) -> None:
    data = tmp_path / "db"
    embedder = HashEmbedder()
    with chroma_run(data) as (url, _), ChunkStore(embedder, url=url) as store:
        store.upsert_article(RAIN, chunk(RAIN), vectors(embedder, chunk(RAIN)))
    with chroma_run(data) as (url, _), ChunkStore(embedder, url=url) as store:
        assert store.get_article("rain") == RAIN
        assert store.count() == len(chunk(RAIN))
