"""ChunkStore over a real chromadb PersistentClient in a temporary folder, with the HashEmbedder fake."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fakes import HashEmbedder
from fixtures_store import ALL, ANKARA, BOOKFAIR, RAIN, UNDATED, chunk, vectors

from index.chroma_ef import SanadEmbeddingFunction
from index.documents import Article, Filters
from index.errors import ConfigError, EmbedderMismatchError, NotFoundError, RequestError, StoreError
from index.store import DEFAULT_EF_SEARCH, EMBEDDER_KEY, ChunkStore, chroma_where, number_date, parse_chroma_url


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def store(tmp_path: Path, embedder: HashEmbedder) -> Iterator[ChunkStore]:
    with ChunkStore(embedder, path=tmp_path / "chroma") as s:
        yield s


def ingest(store: ChunkStore, embedder: HashEmbedder, *articles: Article) -> None:
    for article in articles:
        chunks = chunk(article)
        store.upsert_article(article, chunks, vectors(embedder, chunks))


def ask(store: ChunkStore, embedder: HashEmbedder, text: str, k: int = 10, **filters: Any) -> list[str]:
    vector = embedder.embed([text], "query")[0]
    return [p.article_id for p in store.query(vector, k, Filters(**filters) if filters else None)]


# --- writing and reading back --------------------------------------------------------------------


def test_round_trip_of_articles_and_chunks(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, *ALL)
    assert store.count() == sum(len(chunk(a)) for a in ALL)
    for article in ALL:
        back = store.get_article(article.id)
        assert back == article  # every field, the Arabic text character for character
        assert back.text == article.text
        assert store.article_hash(article.id) == article.content_hash
    assert store.article_hashes() == {a.id: a.content_hash for a in ALL}

    by_id = {p.chunk_id: p for p in store.iter_passages()}
    for article in ALL:
        for c in chunk(article):
            p = by_id[c.id]
            assert (p.article_id, p.index, p.start, p.end, p.text) == (article.id, c.index, c.start, c.end, c.text)
            assert article.text[p.start : p.end] == p.text
            assert p.sentences == c.sentences
            assert (p.title, p.date, p.source, p.url) == (article.title, article.date, article.source, article.url)


def test_list_articles_newest_first_undated_last(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, *ALL)
    infos = store.list_articles()
    assert [i.id for i in infos] == ["bookfair", "ankara", "rain", "undated"]
    first = infos[0]
    assert first.title == BOOKFAIR.title and first.date == BOOKFAIR.date and first.source == "spa"
    assert first.chunks == len(chunk(BOOKFAIR)) and first.chars == len(BOOKFAIR.text)
    assert first.content_hash == BOOKFAIR.content_hash
    assert infos[-1].date is None


def test_query_finds_the_matching_chunk_with_cosine_score(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, *ALL)
    target = chunk(BOOKFAIR)[1]
    hits = store.query(embedder.embed([target.text], "query")[0], 3)
    assert hits[0].chunk_id == target.id
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)  # same text, same vector: cosine distance 0
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(-1.0 <= h.score <= 1.0 + 1e-6 for h in hits)
    assert len(hits) == 3


def test_k_larger_than_the_collection_and_empty_store(store: ChunkStore, embedder: HashEmbedder) -> None:
    query = embedder.embed(["أنقرة"], "query")[0]
    assert store.query(query, 5) == []  # nothing indexed yet
    ingest(store, embedder, ANKARA)
    hits = store.query(query, 1000)
    assert len(hits) == store.count() == len(chunk(ANKARA))
    assert store.query(query, 0) == []
    # a filter that leaves fewer chunks than k is no error either
    assert len(store.query(query, 50, Filters(sources=["anadolu"]))) == len(chunk(ANKARA))


# --- filters -------------------------------------------------------------------------------------


def test_filter_by_source(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, *ALL)
    assert set(ask(store, embedder, "المعرض", sources=["spa"])) == {"bookfair", "rain"}
    assert set(ask(store, embedder, "المعرض", sources=["anadolu"])) == {"ankara"}
    assert set(ask(store, embedder, "المعرض", sources=["anadolu", "spa"])) == {"ankara", "bookfair", "rain"}
    assert ask(store, embedder, "المعرض", sources=["nobody"]) == []


def test_filter_by_date_range_excludes_undated(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, *ALL)
    assert set(ask(store, embedder, "خبر")) == {"ankara", "bookfair", "rain", "undated"}
    assert set(ask(store, embedder, "خبر", since=dt.date(2024, 1, 1))) == {"ankara", "bookfair"}
    assert set(ask(store, embedder, "خبر", until=dt.date(2024, 3, 10))) == {"ankara", "rain"}  # bounds inclusive
    assert set(ask(store, embedder, "خبر", since=dt.date(2024, 3, 10), until=dt.date(2024, 3, 10))) == {"ankara"}
    assert ask(store, embedder, "خبر", since=dt.date(2025, 1, 1)) == []
    # a question's period (qa.time_filter) keeps the undated, which it cannot place in time
    assert set(ask(store, embedder, "خبر", until=dt.date(2024, 3, 10), undated=True)) == {"ankara", "rain", "undated"}


def test_combined_filters(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, *ALL)
    assert set(ask(store, embedder, "x", sources=["spa"], since=dt.date(2024, 1, 1))) == {"bookfair"}
    assert set(ask(store, embedder, "x", sources=["spa"], until=dt.date(2023, 12, 31))) == {"rain"}
    assert set(ask(store, embedder, "x", article_ids=["rain", "ankara"])) == {"rain", "ankara"}
    assert set(ask(store, embedder, "x", article_ids=["rain", "ankara"], sources=["anadolu"])) == {"ankara"}
    assert ask(store, embedder, "x", article_ids=["rain"], since=dt.date(2024, 1, 1)) == []


def test_where_clauses() -> None:
    assert chroma_where(None) is None
    assert chroma_where(Filters()) is None
    assert chroma_where(Filters(sources=["a", "a", "b"])) == {"source": {"$in": ["a", "b"]}}
    assert chroma_where(Filters(since=dt.date(2024, 1, 2))) == {"date": {"$gte": 20240102}}
    assert chroma_where(Filters(until=dt.date(2024, 1, 2))) == {
        "$and": [{"date": {"$gte": 1}}, {"date": {"$lte": 20240102}}]
    }
    where = chroma_where(Filters(sources=["s"], article_ids=["a"], since=dt.date(2020, 5, 6)))
    assert where == {"$and": [{"source": {"$in": ["s"]}}, {"article_id": {"$in": ["a"]}}, {"date": {"$gte": 20200506}}]}
    with pytest.raises(RequestError, match="after"):
        chroma_where(Filters(since=dt.date(2024, 2, 1), until=dt.date(2024, 1, 1)))
    window = {"$and": [{"date": {"$gte": 20240102}}, {"date": {"$lte": 20240105}}]}
    undated = Filters(sources=["s"], since=dt.date(2024, 1, 2), until=dt.date(2024, 1, 5), undated=True)
    assert chroma_where(undated) == {"$and": [{"source": {"$in": ["s"]}}, {"$or": [window, {"date": 0}]}]}


# --- replacing, deleting, crashing ----------------------------------------------------------------


def test_editing_an_article_replaces_only_its_chunks(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, ANKARA, BOOKFAIR)
    before = {p.chunk_id: p for p in store.iter_passages()}
    bookfair_ids = {cid for cid, p in before.items() if p.article_id == "bookfair"}

    edited = ANKARA.model_copy(update={"text": ANKARA.text.replace("ثلاث ساعات", "خمس ساعات")})
    ingest(store, embedder, edited)

    after = {p.chunk_id: p for p in store.iter_passages()}
    new_ids = {c.id for c in chunk(edited)}
    old_ids = {c.id for c in chunk(ANKARA)}
    assert {cid for cid, p in after.items() if p.article_id == "ankara"} == new_ids
    assert old_ids - new_ids and not (old_ids - new_ids) & set(after)  # the changed chunk is gone
    assert old_ids & new_ids  # unchanged chunks kept their ids
    assert {cid for cid, p in after.items() if p.article_id == "bookfair"} == bookfair_ids
    assert all(after[cid] == before[cid] for cid in bookfair_ids)
    assert store.count() == len(new_ids) + len(bookfair_ids)
    assert store.article_hash("ankara") == edited.content_hash != ANKARA.content_hash
    assert store.get_article("ankara").text == edited.text

    ingest(store, embedder, edited)  # the same again: nothing duplicated
    assert store.count() == len(new_ids) + len(bookfair_ids)


def test_shrinking_an_article_drops_its_extra_chunks(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, RAIN)
    short = RAIN.model_copy(update={"text": "Heavy rain fell on Riyadh on Monday."})
    ingest(store, embedder, short)
    assert [p.text for p in store.iter_passages()] == [short.text]
    assert store.list_articles()[0].chunks == 1


def test_delete_article(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, ANKARA, RAIN)
    assert store.delete_article("ankara") == len(chunk(ANKARA))
    assert {p.article_id for p in store.iter_passages()} == {"rain"}
    assert [a.id for a in store.list_articles()] == ["rain"]
    assert store.article_hash("ankara") is None
    with pytest.raises(NotFoundError) as err:
        store.get_article("ankara")
    assert err.value.data["article_id"] == "ankara" and err.value.status == 404
    with pytest.raises(NotFoundError):
        store.delete_article("ankara")
    assert ask(store, embedder, "أنقرة") == ["rain"] * len(chunk(RAIN))


def test_crash_before_the_article_record_leaves_it_unfinished(
    store: ChunkStore, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record is written last: dying before it leaves no hash, so the next ingest redoes the article."""
    ingest(store, embedder, BOOKFAIR)
    articles = store._articles

    def die(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(articles, "upsert", die)
    with pytest.raises(KeyboardInterrupt):
        ingest(store, embedder, ANKARA)
    edited = BOOKFAIR.model_copy(update={"title": "معرض الكتاب الدولي"})
    with pytest.raises(KeyboardInterrupt):
        ingest(store, embedder, edited)
    monkeypatch.undo()

    assert store.article_hash("ankara") is None  # chunks are there, but the article is not done
    assert "ankara" not in store.article_hashes()
    # Nothing uncommitted is visible: not the half-written article, and the half-edited one is seen
    # as committed (its chunks, the ones its record lists).
    assert {p.article_id for p in store.iter_passages()} == {"bookfair"}
    assert {p.chunk_id for p in store.iter_passages()} == {c.id for c in chunk(BOOKFAIR)}
    assert "ankara" not in {p.article_id for p in store.query(embedder.embed(["أنقرة"], "query")[0], 10)}
    assert store.article_hash("bookfair") == BOOKFAIR.content_hash  # the old hash: the edit is not done

    ingest(store, embedder, ANKARA, edited)  # the re-run completes both, duplicating nothing
    assert store.article_hashes() == {"ankara": ANKARA.content_hash, "bookfair": edited.content_hash}
    assert store.count() == len(chunk(ANKARA)) + len(chunk(edited))


def test_forget_cleans_chunks_left_by_a_crash(
    store: ChunkStore, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store._articles, "upsert", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(StoreError, match="disk full"):
        ingest(store, embedder, RAIN)
    monkeypatch.undo()
    assert store.count() == len(chunk(RAIN))
    assert store.delete_article("rain") == len(chunk(RAIN))
    assert store.count() == 0


def test_batches_respect_the_max_batch_size(store: ChunkStore, embedder: HashEmbedder) -> None:
    assert store.max_batch >= 100  # what chromadb reports (5461 on disk in 1.5.9)
    store._max_batch = 3  # force many small batches through the real chromadb calls
    long = Article(id="long", title="long", text=" ".join(f"Sentence number {i} here." for i in range(23)))
    chunks = chunk(long, per_chunk=1)
    store.upsert_article(long, chunks, vectors(embedder, chunks))
    assert store.count() == 23
    assert [p.chunk_id for p in store.get_passages([c.id for c in chunks])] == [c.id for c in chunks]
    assert len(list(store.iter_passages(batch_size=2))) == 23
    shorter = long.model_copy(update={"text": " ".join(f"Sentence number {i} here." for i in range(5))})
    ingest(store, embedder, shorter)
    assert store.count() == len(chunk(shorter))
    assert store.delete_article("long") == len(chunk(shorter))


def test_upsert_many_articles_at_once(
    store: ChunkStore, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(store, embedder, RAIN)
    edited = RAIN.model_copy(update={"text": "Light rain fell on Riyadh on Monday. Schools stayed open."})
    batch = [(a, chunk(a), vectors(embedder, chunk(a))) for a in (ANKARA, BOOKFAIR, edited, UNDATED)]
    monkeypatch.setattr("index.store.RECORD_BATCH_CHARS", 150)  # several record writes, split by text size
    store._max_batch = 4  # and several chunk writes
    store.upsert_articles(batch)
    assert store.article_hashes() == {a.id: a.content_hash for a, _, _ in batch}
    assert {p.chunk_id for p in store.iter_passages()} == {c.id for _, chunks, _ in batch for c in chunks}
    assert store.get_article("rain") == edited
    assert [p.article_id for p in store.query(embedder.embed([edited.text], "query")[0], 1)] == ["rain"]

    with pytest.raises(StoreError, match="twice"):
        store.upsert_articles([batch[0], batch[0]])
    other_dim = HashEmbedder(dim=32)
    with pytest.raises(StoreError, match="different sizes"):
        store.upsert_articles([batch[0], (RAIN, chunk(RAIN), vectors(other_dim, chunk(RAIN)))])
    store.upsert_articles([])
    assert store.article_hash("rain") == edited.content_hash


def test_a_batch_that_dies_before_its_records_is_redone(
    store: ChunkStore, embedder: HashEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(store, embedder, BOOKFAIR)
    edited = BOOKFAIR.model_copy(update={"source": "wam"})
    monkeypatch.setattr(store._articles, "upsert", lambda *a, **k: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(StoreError, match="killed"):
        store.upsert_articles([(a, chunk(a), vectors(embedder, chunk(a))) for a in (ANKARA, edited, RAIN)])
    monkeypatch.undo()
    assert store.article_hashes() == {"bookfair": BOOKFAIR.content_hash}  # nothing looks finished


def test_get_passages_keeps_order_skips_unknown(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, *ALL)
    ids = [c.id for a in reversed(ALL) for c in chunk(a)]
    got = store.get_passages([*ids, "no-such-chunk", ids[0]])
    assert [p.chunk_id for p in got] == ids
    assert store.get_passages([]) == []


def test_iter_passages_pages_through_everything(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, *ALL)
    every = [p.chunk_id for p in store.iter_passages(batch_size=1)]
    assert sorted(every) == sorted(c.id for a in ALL for c in chunk(a))
    assert len(set(every)) == len(every)


def test_bad_upserts_are_refused(store: ChunkStore, embedder: HashEmbedder) -> None:
    chunks = chunk(RAIN)
    with pytest.raises(StoreError, match="vectors of shape"):
        store.upsert_article(RAIN, chunks, vectors(embedder, chunks)[:1])
    with pytest.raises(StoreError, match="another article"):
        store.upsert_article(ANKARA, chunks, vectors(embedder, chunks))
    assert store.count() == 0


def test_article_without_date_source_or_url(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, UNDATED)
    back = store.get_article("undated")
    assert back.date is None and back.source == "" and back.url == "" and back.summary == ""
    assert all(p.date is None for p in store.iter_passages())
    assert store.list_articles()[0].date is None


# --- identity, reopening, reset --------------------------------------------------------------------


def test_reopen_persists(tmp_path: Path, embedder: HashEmbedder) -> None:
    with ChunkStore(embedder, path=tmp_path / "db") as first:
        ingest(first, embedder, *ALL)
        query = embedder.embed(["زوار معرض الكتاب"], "query")[0]
        hits = first.query(query, 4)
    with ChunkStore(HashEmbedder(), path=tmp_path / "db") as again:
        assert again.count() == sum(len(chunk(a)) for a in ALL)
        assert again.article_hashes() == {a.id: a.content_hash for a in ALL}
        assert again.get_article("ankara") == ANKARA
        assert [(h.chunk_id, round(h.score, 5)) for h in again.query(query, 4)] == [
            (h.chunk_id, round(h.score, 5)) for h in hits
        ]


def test_another_embedder_is_refused_with_a_rebuild_hint(tmp_path: Path, embedder: HashEmbedder) -> None:
    with ChunkStore(embedder, path=tmp_path / "db") as s:
        ingest(s, embedder, RAIN)
    other = HashEmbedder(dim=128, name="other")
    with pytest.raises(EmbedderMismatchError) as err:
        ChunkStore(other, path=tmp_path / "db")
    message = str(err.value)
    assert embedder.identity in message and other.identity in message
    assert "sanad reindex" in message and "delete" in message
    assert err.value.data["index_identity"] == embedder.identity
    assert err.value.data["embedder_identity"] == other.identity
    assert err.value.status == 409
    # the refusal changed nothing
    with ChunkStore(embedder, path=tmp_path / "db") as s:
        assert s.identity == embedder.identity and s.count() == len(chunk(RAIN))


def test_rebuild_with_another_embedder(tmp_path: Path, embedder: HashEmbedder) -> None:
    """What `sanad reindex` does: open despite the mismatch, read the articles back, reset, re-embed."""
    with ChunkStore(embedder, path=tmp_path / "db") as s:
        ingest(s, embedder, *ALL)
    other = HashEmbedder(dim=64, n=2, name="other")
    with ChunkStore(other, path=tmp_path / "db", allow_mismatch=True) as s:
        assert s.mismatched and s.indexed_identity == embedder.identity
        with pytest.raises(EmbedderMismatchError):
            s.query(other.embed(["مطر"], "query")[0], 3)
        with pytest.raises(EmbedderMismatchError):
            ingest(s, other, RAIN)
        articles = [s.get_article(info.id) for info in s.list_articles()]
        s.reset()
        assert not s.mismatched and s.indexed_identity == other.identity
        ingest(s, other, *articles)
        assert s.article_hashes() == {a.id: a.content_hash for a in ALL}
    with ChunkStore(other, path=tmp_path / "db") as s:
        assert ask(s, other, RAIN.text, k=1) == ["rain"]
    with pytest.raises(EmbedderMismatchError):
        ChunkStore(embedder, path=tmp_path / "db")


def test_another_collection_name_is_a_separate_index(tmp_path: Path, embedder: HashEmbedder) -> None:
    with ChunkStore(embedder, path=tmp_path / "db") as a:
        ingest(a, embedder, RAIN)
    other = HashEmbedder(name="other")
    with ChunkStore(other, path=tmp_path / "db", collection="sanad-other") as b:
        assert b.count() == 0 and b.list_articles() == []
        ingest(b, other, ANKARA)
        assert [i.id for i in b.list_articles()] == ["ankara"]


def test_reset_drops_everything_and_stays_usable(store: ChunkStore, embedder: HashEmbedder) -> None:
    ingest(store, embedder, *ALL)
    store.reset()
    assert store.count() == 0 and store.list_articles() == [] and store.article_hashes() == {}
    ingest(store, embedder, RAIN)
    assert [i.id for i in store.list_articles()] == ["rain"]


def test_collection_is_cosine_and_records_the_embedder(store: ChunkStore, embedder: HashEmbedder) -> None:
    config = store._chunks.configuration_json
    assert config["hnsw"]["space"] == "cosine"
    assert config["embedding_function"]["name"] == "sanad"
    assert config["embedding_function"]["config"] == {"identity": embedder.identity}
    assert (store._chunks.metadata or {})["sanad_embedder"] == embedder.identity


def test_hnsw_search_breadth_is_set_and_applied_to_existing_collections(tmp_path: Path, embedder: HashEmbedder) -> None:
    """chromadb's default ef_search (100) misses a quarter of the true top 50 on e5 vectors: ours is wider."""
    with ChunkStore(embedder, path=tmp_path / "chroma") as s:
        assert s._chunks.configuration_json["hnsw"]["ef_search"] == DEFAULT_EF_SEARCH
        ingest(s, embedder, ANKARA)
    with ChunkStore(embedder, path=tmp_path / "chroma", ef_search=300) as s:  # an existing index, reopened
        assert s._chunks.configuration_json["hnsw"]["ef_search"] == 300
        assert ask(s, embedder, "أنقرة")[0] == ANKARA.id
    with ChunkStore(embedder, path=tmp_path / "chroma") as s:
        assert s._chunks.configuration_json["hnsw"]["ef_search"] == DEFAULT_EF_SEARCH
    with pytest.raises(ConfigError, match="ef_search"):
        ChunkStore(embedder, path=tmp_path / "other", ef_search=0)


def test_embedding_function_uses_our_embedder(embedder: HashEmbedder) -> None:
    ef = SanadEmbeddingFunction(embedder)
    docs = ["مرحبا بالعالم", "hello"]
    assert np.allclose(np.stack(ef(docs)), embedder.embed(docs, "passage"))
    assert np.allclose(np.stack(ef.embed_query(docs)), embedder.embed(docs, "query"))
    assert [kind for kind, _ in embedder.calls] == ["passage", "passage", "query", "query"]
    rebuilt = SanadEmbeddingFunction.build_from_config(ef.get_config())
    assert rebuilt.identity == embedder.identity
    with pytest.raises(StoreError, match="ChunkStore"):
        rebuilt(docs)


# --- configuration ----------------------------------------------------------------------------------


def test_parse_chroma_url() -> None:
    assert parse_chroma_url("http://127.0.0.1:8001") == ("127.0.0.1", 8001, False)
    assert parse_chroma_url("https://chroma.example.org") == ("chroma.example.org", 443, True)
    assert parse_chroma_url("localhost:9000") == ("localhost", 9000, False)
    assert parse_chroma_url("http://h") == ("h", 8000, False)
    for bad in ("ftp://h:1", "http://h:1/path", "http://h:notaport", "http://"):
        with pytest.raises(ConfigError):
            parse_chroma_url(bad)


def test_store_needs_a_path_or_url_and_a_valid_name(embedder: HashEmbedder, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="path"):
        ChunkStore(embedder)
    for bad in ("x", "-sanad", "sanad news", "sanad/news"):
        with pytest.raises(ConfigError, match="collection name"):
            ChunkStore(embedder, path=tmp_path / "db", collection=bad)


def test_unreachable_server_is_a_store_error(embedder: HashEmbedder) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(StoreError, match=f"127.0.0.1:{port}"):
        ChunkStore(embedder, url=f"http://127.0.0.1:{port}")


def test_number_date_inverts_date_number() -> None:
    assert number_date(20240229) == dt.date(2024, 2, 29)
    assert number_date(0) is None and number_date(None) is None and number_date("x") is None


def test_the_refusal_shows_no_path_and_suggests_a_valid_setting(tmp_path: Path, embedder: HashEmbedder) -> None:
    """The 409 body reaches HTTP clients: no disk path in it; the value it suggests is a spec."""
    home = tmp_path / "secret-home-dir"
    with ChunkStore(HashEmbedder(name="e5-like"), path=home / "db") as s:
        s._chunks.modify(metadata={**(s._chunks.metadata or {}), EMBEDDER_KEY: "e5-small:st-torch-fp32"})
    with pytest.raises(EmbedderMismatchError) as err:
        ChunkStore(embedder, path=home / "db")
    body = json.dumps(err.value.to_dict())
    assert "secret-home-dir" not in body and str(tmp_path) not in body
    assert "SANAD_EMBEDDER=e5:fp32" in err.value.message


def test_reconcile_leaves_a_live_writer_alone(store: ChunkStore, embedder: HashEmbedder) -> None:
    """Another process (another `sanad serve` on the same index) is mid-write: its pending articles
    are not tidied under it; once it is gone they are."""
    import socket
    import subprocess
    import time

    from index.store_commit import PENDING_KEY

    chunks = chunk(RAIN)
    store._chunks.upsert(  # what a writer has written so far: chunks, no record yet
        ids=[c.id for c in chunks],
        embeddings=vectors(embedder, chunks),
        documents=[c.text for c in chunks],
        metadatas=[{"article_id": "rain", "content_hash": RAIN.content_hash} for _ in chunks],
    )
    writer = subprocess.Popen(["sleep", "60"])
    try:
        entry = ["rain", socket.gethostname(), writer.pid, time.time()]
        meta = {k: v for k, v in (store._articles.metadata or {}).items() if not k.startswith("hnsw:")}
        store._articles.modify(metadata={**meta, PENDING_KEY: json.dumps([entry])})
        assert store.reconcile() == [] and store._pending_ids() == ["rain"]
        assert store.count() == len(chunks)  # left alone: invisible, not deleted
        assert store.get_passages([c.id for c in chunks]) == []
    finally:
        writer.kill()
        writer.wait()
    assert store.reconcile() == ["rain"]
    assert store.count() == 0 and store._pending_ids() == []
