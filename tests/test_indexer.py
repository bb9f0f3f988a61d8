"""Incremental ingest: unchanged articles are skipped, changed ones have only their chunks replaced."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from fakes import HashEmbedder, HashPassageEncoder

from index.documents import Article, sentence_id
from index.embeddings import l2_normalise
from index.indexer import LOCAL_LAYERS, Indexer, SentencePass
from index.store import ChunkStore
from index.token_codec import packed_nbytes

ARTICLE_A = (
    "اجتماع أمني في أنقرة\n\n"
    "وصل وفد سوري رفيع المستوى إلى أنقرة اليوم الأحد. وشارك في اللقاء وزير الخارجية التركي هاكان فيدان.\n"
    "وبحث الجانبان ضبط الحدود ومكافحة الإرهاب؟ نعم، بحسب وكالة الأناضول.\n"
)
ARTICLE_B = "معرض الكتاب\n\nتجاوز عدد زوار معرض الكتاب مئتي ألف زائر. وتشارك في المعرض 640 دار نشر من 32 دولة.\n"


def _indexer(home: Path) -> tuple[Indexer, ChunkStore]:
    embedder = HashEmbedder()
    store = ChunkStore(embedder, path=home / "chroma")
    return Indexer(embedder, store, chunk_tokens=20), store


def test_reingest_adds_nothing_and_edit_replaces_only_that_article(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(ARTICLE_A, encoding="utf-8")
    (corpus / "b.txt").write_text(ARTICLE_B, encoding="utf-8")
    indexer, store = _indexer(tmp_path)

    first = indexer.ingest_paths([corpus])
    assert len(first.added) == 2 and not first.skipped
    chunks_before = {p.chunk_id: p.article_id for p in store.iter_passages()}
    assert first.chunks == len(chunks_before) == store.count()

    again = indexer.ingest_paths([corpus])
    assert again.added == [] and again.updated == [] and len(again.unchanged) == 2
    assert store.count() == len(chunks_before)

    (corpus / "a.txt").write_text(ARTICLE_A.replace("اليوم الأحد", "أمس السبت"), encoding="utf-8")
    edited = indexer.ingest_paths([corpus])
    assert len(edited.updated) == 1 and len(edited.unchanged) == 1
    chunks_after = {p.chunk_id: p.article_id for p in store.iter_passages()}
    a_id = edited.updated[0]
    # Article B's chunks are untouched; A's changed chunks replaced, with no leftovers.
    assert {c for c, art in chunks_before.items() if art != a_id} == {
        c for c, art in chunks_after.items() if art != a_id
    }
    assert {c for c, art in chunks_after.items() if art == a_id} != {
        c for c, art in chunks_before.items() if art == a_id
    }
    a_text = store.get_article(a_id).text
    for p in store.iter_passages():
        if p.article_id == a_id:
            assert a_text[p.start : p.end] == p.text
    assert "أمس السبت" in a_text


def test_bad_inputs_are_reported_and_the_rest_is_ingested(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(ARTICLE_B, encoding="utf-8")
    (corpus / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    lines = [
        json.dumps({"id": "j1", "title": "خبر", "text": "نص الخبر الأول عن الاقتصاد."}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "j2", "title": "خبر", "text": "نص الخبر الثاني عن الرياضة."}, ensure_ascii=False),
    ]
    (corpus / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    indexer, store = _indexer(tmp_path)
    report = indexer.ingest_paths([corpus])
    assert len(report.added) == 3
    reasons = {(Path(s.path).name, s.line) for s in report.skipped}
    assert ("empty.txt", None) in reasons
    assert ("binary.txt", None) in reasons
    assert ("feed.jsonl", 2) in reasons
    assert len(store.list_articles()) == 3


def test_duplicate_text_under_another_id_is_kept_as_a_copy(tmp_path: Path) -> None:
    """Five outlets running one wire are five articles (index.stories groups them into one story)."""
    records = [
        {"id": "x1", "title": "أ", "text": "خبر مكرر عن الطقس في الرياض."},
        {"id": "x2", "title": "ب", "text": "خبر  مكرر عن الطقس في الرياض."},
    ]
    feed = tmp_path / "dup.jsonl"
    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    indexer, _store = _indexer(tmp_path)
    report = indexer.ingest_paths([feed])
    assert report.added == ["x1", "x2"] and not report.skipped


def test_limit_stops_after_n_distinct_articles_counting_unchanged_ones(tmp_path: Path) -> None:
    records = [{"id": f"n{i}", "title": "خبر", "text": f"خبر رقم {i} عن الطقس في الرياض."} for i in range(5)]
    records.insert(1, {"id": "again", "title": "مكرر", "text": records[0]["text"]})  # a copy: indexed, not counted
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    indexer, store = _indexer(tmp_path)
    first = indexer.ingest_paths([feed], limit=2)
    assert first.added == ["n0", "again", "n1"] and not first.skipped
    second = indexer.ingest_paths([feed], limit=3)
    assert second.unchanged == ["n0", "again", "n1"] and second.added == ["n2"]
    assert {a.id for a in store.list_articles()} == {"n0", "again", "n1", "n2"}


def test_forget_removes_article_and_chunks(tmp_path: Path) -> None:
    corpus = tmp_path / "a.txt"
    corpus.write_text(ARTICLE_A, encoding="utf-8")
    indexer, store = _indexer(tmp_path)
    report = indexer.ingest_paths([corpus])
    (article_id,) = report.added
    n = store.count()
    assert indexer.forget(article_id) == n
    assert store.count() == 0 and store.list_articles() == []


def test_the_report_has_one_item_per_input_in_order(tmp_path: Path) -> None:
    from index.readers import articles_from_records

    indexer, store = _indexer(tmp_path)
    indexer.ingest(articles_from_records([{"id": "b", "title": "معرض", "text": ARTICLE_B}], origin="api"))
    records = [
        {"id": "a", "title": "اجتماع", "text": ARTICLE_A},  # new
        {"title": "بلا نص"},  # refused by the reader
        {"id": "b", "title": "معرض", "text": ARTICLE_B},  # already indexed
        {"id": "c", "title": "نسخة", "text": ARTICLE_A},  # same text as "a" under another id: a copy, indexed
        {"id": "a", "title": "مكرر", "text": "نص آخر تماما."},  # the same id again
    ]
    report = indexer.ingest(articles_from_records(records, origin="api"))
    got = [(i.index, i.article_id, i.status) for i in report.items]
    assert got == [
        (0, "a", "added"),
        (1, None, "skipped"),
        (2, "b", "unchanged"),
        (3, "c", "added"),
        (4, None, "skipped"),
    ]
    reasons = [i.reason for i in report.items]
    assert reasons[0] is None and reasons[2] is None and reasons[3] is None
    assert "text" in str(reasons[1]) and not str(reasons[1]).startswith("[")  # the reason alone, no "[1]:" prefix
    assert "duplicate id" in str(reasons[4])
    assert report.as_dict()["items"][0] == {"index": 0, "id": "a", "status": "added", "reason": None}
    store.close()


def _stored_sentences(store: ChunkStore, article_id: str) -> dict[tuple[int, int], np.ndarray]:
    """Each stored sentence vector of the article, by its (start, end) in the article text."""
    spans = sorted({(s.start, s.end) for p in store.iter_passages() if p.article_id == article_id for s in p.sentences})
    text = store.get_article(article_id).text
    ids = {sentence_id(article_id, a, b, text[a:b]): (a, b) for a, b in spans}
    return {ids[k]: v for k, v in store.sentence_vectors(list(ids)).items()}


def test_pooled_sentence_vectors_come_from_the_chunk_pass(tmp_path: Path) -> None:
    """One pass: each sentence's vector is its pooled row, the mean over the chunks that hold it
    (chunks overlap by a sentence); nothing is embedded on its own, and the pass's token states
    go to the token sink."""
    embedder = HashPassageEncoder()
    store = ChunkStore(embedder, path=tmp_path / "chroma")
    told: list[tuple[str, np.ndarray]] = []
    indexer = Indexer(
        embedder, store, chunk_tokens=20, sentence_pass="pooled", token_sink=told.extend, token_budget=10**9
    )
    report = indexer.ingest([Article(id="a", text=ARTICLE_A)])
    assert report.added == ["a"] and set(report.stages) >= {"read", "chunk", "embed", "store"}
    assert embedder.calls == []  # no embed() at all: chunks and sentences came from encode_passages
    passages = list(store.iter_passages())
    assert len(passages) >= 2
    stored = _stored_sentences(store, "a")
    for (a, b), vector in stored.items():
        holders = [p for p in passages if any((s.start, s.end) == (a, b) for s in p.sentences)]
        rows = [embedder._vector("pooled " + ARTICLE_A[a:b]) for _ in holders]
        expected = l2_normalise(np.sum(rows, axis=0, keepdims=True))[0]
        assert np.allclose(vector, expected, atol=1e-5)
    assert sorted(t for t, _ in told) == sorted(p.text for p in passages)


def test_local_sentence_pass_asks_the_chunk_pass_for_local_rows(tmp_path: Path) -> None:
    """``local``: still one pass (nothing embedded alone), its sentence rows asked with the last
    LOCAL_LAYERS layers run sentence-local; pooled and separate ask for none."""
    embedder = HashPassageEncoder()
    store = ChunkStore(embedder, path=tmp_path / "chroma")
    Indexer(embedder, store, chunk_tokens=20, sentence_pass="local").ingest([Article(id="a", text=ARTICLE_A)])
    assert embedder.calls == [] and embedder.local_layers and set(embedder.local_layers) == {LOCAL_LAYERS}
    stored = _stored_sentences(store, "a")
    assert stored and all(
        np.allclose(v, embedder._vector(f"local{LOCAL_LAYERS} " + ARTICLE_A[a:b]), atol=1e-5)
        for (a, b), v in stored.items()
    )
    others: tuple[SentencePass, ...] = ("pooled", "separate")
    for other in others:
        embedder.local_layers.clear()
        Indexer(embedder, ChunkStore(embedder, path=tmp_path / other), chunk_tokens=20, sentence_pass=other).ingest(
            [Article(id="a", text=ARTICLE_A)]
        )
        assert set(embedder.local_layers) == {0}


def test_a_sentence_the_pass_did_not_reach_is_embedded_alone(tmp_path: Path) -> None:
    """A span with no token in the pass (truncated away) gets its own embedding."""
    embedder = HashPassageEncoder(max_chars=0)  # every span past the pass
    store = ChunkStore(embedder, path=tmp_path / "chroma")
    Indexer(embedder, store, chunk_tokens=20, sentence_pass="pooled").ingest([Article(id="a", text=ARTICLE_A)])
    stored = _stored_sentences(store, "a")
    assert stored and all(np.allclose(v, embedder._vector(ARTICLE_A[a:b]), atol=1e-5) for (a, b), v in stored.items())


def test_separate_sentence_pass_embeds_each_sentence_once(tmp_path: Path) -> None:
    embedder = HashPassageEncoder()
    store = ChunkStore(embedder, path=tmp_path / "chroma")
    Indexer(embedder, store, chunk_tokens=20, sentence_pass="separate").ingest([Article(id="a", text=ARTICLE_A)])
    stored = _stored_sentences(store, "a")
    assert all(n == 0 for call in embedder.pass_calls for n in call)  # no spans asked of the pass
    assert sum(n for kind, n in embedder.calls if kind == "passage") == len(stored)
    assert all(np.allclose(v, embedder._vector(ARTICLE_A[a:b]), atol=1e-5) for (a, b), v in stored.items())


def test_the_token_sink_stops_at_its_budget(tmp_path: Path) -> None:
    embedder = HashPassageEncoder()
    store = ChunkStore(embedder, path=tmp_path / "chroma")
    told: list[tuple[str, np.ndarray]] = []
    one = packed_nbytes(12, embedder.dim)  # the bytes a 12-token chunk's states take packed
    indexer = Indexer(embedder, store, chunk_tokens=20, token_sink=told.extend, token_budget=one)
    indexer.ingest([Article(id="a", text=ARTICLE_A), Article(id="b", text=ARTICLE_B)])
    assert told and sum(packed_nbytes(*states.shape) for _, states in told) <= one
    # the budget is per run: a later ingest (e.g. through a long-running server) tells again
    before = len(told)
    indexer.ingest([Article(id="c", text=ARTICLE_B.replace("الكتاب", "الفنون"))])
    assert len(told) > before


def test_an_embedder_without_a_pass_still_gets_sentence_vectors(tmp_path: Path) -> None:
    """A plain Embedder (no encode_passages) asked for pooled vectors embeds sentences alone."""
    embedder = HashEmbedder()
    store = ChunkStore(embedder, path=tmp_path / "chroma")
    Indexer(embedder, store, chunk_tokens=20, sentence_pass="pooled").ingest([Article(id="a", text=ARTICLE_A)])
    stored = _stored_sentences(store, "a")
    assert stored and all(np.allclose(v, embedder._vector(ARTICLE_A[a:b]), atol=1e-5) for (a, b), v in stored.items())


def test_a_chunk_is_embedded_after_its_title_under_the_title_context(tmp_path: Path) -> None:
    """``chunk_context="title"``: the embedder reads the title and the chunk, the store keeps the
    chunk's own text and offsets, pooled sentence rows are still the sentences', and the pass's token
    states reach the reranker's sink under the text encoded (the reranker reads a passage so)."""
    embedder = HashPassageEncoder()
    store = ChunkStore(embedder, path=tmp_path / "chroma")
    told: list[tuple[str, np.ndarray]] = []
    title = "اجتماع   أمني\nفي أنقرة"
    article = Article(id="a", title=title, text=ARTICLE_B)
    Indexer(
        embedder,
        store,
        chunk_tokens=20,
        sentence_pass="pooled",
        chunk_context="title",
        token_sink=told.extend,
        token_budget=10**9,
    ).ingest([article])
    passages = list(store.iter_passages())
    assert passages and all(ARTICLE_B[p.start : p.end] == p.text for p in passages)
    for p in passages:  # each chunk's stored vector is the one of its title and text
        (hit,) = store.query(embedder._vector("اجتماع أمني في أنقرة\n" + p.text), 1)
        assert hit.chunk_id == p.chunk_id and hit.score > 0.999, hit
    stored = _stored_sentences(store, "a")
    assert stored and all(
        np.allclose(v, embedder._vector("pooled " + ARTICLE_B[a:b]), atol=1e-5) for (a, b), v in stored.items()
    )
    assert sorted(t for t, _ in told) == sorted("اجتماع أمني في أنقرة\n" + p.text for p in passages)
