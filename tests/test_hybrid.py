"""Hybrid retrieval over a real store and lexical index, and their repair after a crash between writes."""

from __future__ import annotations

from pathlib import Path

from fakes import HashEmbedder

from index.documents import Article, Filters
from index.indexer import Indexer
from index.lexical import LexicalIndex
from index.retrieval import HybridRetriever, LexicalRetriever, reconcile
from index.store import ChunkStore

NEWS = [
    Article(id="border", title="الحدود", text="بحث وزيرا الدفاع ضبط الحدود بين سوريا وتركيا في أنقرة.", source="wire"),
    Article(id="books", title="الكتاب", text="استقبل معرض الكتاب مئتي ألف زائر في أسبوعه الأول.", source="daily"),
    Article(id="water", title="المياه", text="افتتحت البلدية محطة لتحلية مياه البحر بالطاقة الشمسية.", source="daily"),
]


def _open(home: Path) -> tuple[ChunkStore, LexicalIndex, Indexer]:
    embedder = HashEmbedder()
    store = ChunkStore(embedder, path=home / "chroma")
    lexical = LexicalIndex(home / "lexical")
    return store, lexical, Indexer(embedder, store, lexical=lexical)


def test_hybrid_finds_by_words_and_filters_both_legs(tmp_path: Path) -> None:
    store, lexical, indexer = _open(tmp_path)
    indexer.ingest(NEWS)
    hybrid = HybridRetriever(indexer.embedder, store, lexical)
    hits = hybrid.retrieve("معرض الكتاب", 3)
    assert hits[0].article_id == "books"
    assert "lexical" in hits[0].scores and "dense" in hits[0].scores
    only_daily = hybrid.retrieve("الحدود", 3, Filters(sources=["daily"]))
    assert only_daily and {p.article_id for p in only_daily} <= {"books", "water"}
    lexical_only = LexicalRetriever(store, lexical).retrieve("تحلية", 2)
    assert [p.article_id for p in lexical_only] == ["water"]
    store.close()


def test_forget_removes_from_both_legs(tmp_path: Path) -> None:
    store, lexical, indexer = _open(tmp_path)
    indexer.ingest(NEWS)
    indexer.forget("books")
    assert LexicalRetriever(store, lexical).retrieve("معرض الكتاب", 3) == []
    assert "books" not in lexical.article_hashes() and "books" not in store.article_hashes()
    assert reconcile(store, lexical).clean
    store.close()


def test_crash_between_store_and_lexical_writes_is_repaired_on_open(tmp_path: Path) -> None:
    store, lexical, indexer = _open(tmp_path)
    indexer.ingest(NEWS[:2])
    # A run that dies after the store write and before the lexical one:
    indexer.lexical = None
    indexer.ingest([NEWS[2]])
    # … and a forget that died half-way (store done, lexical not):
    store.delete_article("border")
    lexical.close()
    store.close()

    store, lexical, _ = _open(tmp_path)
    diff = reconcile(store, lexical)
    assert diff.missing == ["water"] and diff.extra == ["border"]
    assert reconcile(store, lexical).clean
    assert [p.article_id for p in LexicalRetriever(store, lexical).retrieve("تحلية", 2)] == ["water"]
    assert LexicalRetriever(store, lexical).retrieve("ضبط الحدود", 2) == []
    store.close()


def test_sentence_vectors_are_stored_replaced_and_forgotten(tmp_path: Path) -> None:
    from index.documents import passage_sentences

    store, lexical, indexer = _open(tmp_path)
    indexer.ingest(NEWS)
    passages = list(store.iter_passages())
    ids = [sid for p in passages for sid, _ in passage_sentences(p)]
    assert ids and set(store.sentence_vectors(ids)) == set(ids)
    # Editing an article replaces its sentence vectors; forgetting removes them.
    edited = NEWS[0].model_copy(update={"text": NEWS[0].text + " واتفقا على لقاء جديد."})
    indexer.ingest([edited])
    border = [p for p in store.iter_passages() if p.article_id == "border"]
    new_ids = {sid for p in border for sid, _ in passage_sentences(p)}
    old_ids = {sid for p in passages if p.article_id == "border" for sid, _ in passage_sentences(p)}
    assert set(store.sentence_vectors(list(new_ids))) == new_ids
    assert not set(store.sentence_vectors(list(old_ids - new_ids)))
    indexer.forget("border")
    assert store.sentence_vectors(list(new_ids)) == {}
    # The hybrid ranking carries each leg's evidence, the sentence leg included.
    hits = HybridRetriever(indexer.embedder, store, lexical).retrieve("محطة لتحلية مياه البحر", 2)
    assert hits[0].article_id == "water" and "sentence" in hits[0].scores
    store.close()
