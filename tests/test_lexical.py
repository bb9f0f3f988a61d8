"""The persistent lexical index (tantivy + SQLite sidecar), on a temporary folder."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from index.documents import Chunk, Filters, Passage
from index.lexical import LexicalIndex, fingerprint
from index.stemming import script_counts, words

ARTICLES = {
    "ankara": (
        "وكالة",
        date(2025, 10, 1),
        ["عقد وزير الخارجية التركي محادثات أمنية في أنقرة.", "ناقش الوزيران أمن الحدود."],
    ),
    "damascus": ("صحيفة", date(2025, 10, 5), ["أعلنت دمشق عن اتفاق تجاري جديد مع بغداد.", "يشمل الاتفاق النفط."]),
    "football": ("وكالة", date(2025, 11, 2), ["فاز المنتخب السعودي بالمباراة النهائية.", "سجّل اللاعبون ثلاثة أهداف."]),
    "nodate": ("مدونة", None, ["المحادثات الأمنية مستمرة بين البلدين."]),
}


def passages_of(article_id: str, texts: list[str] | None = None) -> list[Passage]:
    source, day, default = ARTICLES[article_id]
    out, pos = [], 0
    for i, text in enumerate(texts or default):
        out.append(
            Passage(
                chunk_id=f"{article_id}-{i}-{abs(hash(text)) % 10_000}",
                article_id=article_id,
                index=i,
                start=pos,
                end=pos + len(text),
                text=text,
                source=source,
                date=day,
            )
        )
        pos += len(text) + 1
    return out


def all_passages() -> list[Passage]:
    return [p for aid in ARTICLES for p in passages_of(aid)]


@pytest.fixture
def index(tmp_path: Path) -> LexicalIndex:
    ix = LexicalIndex(tmp_path / "lexical")
    ix.upsert(all_passages(), content_hashes={aid: f"h-{aid}" for aid in ARTICLES})
    return ix


def articles(hits: list[tuple[str, float]]) -> list[str]:
    return [cid.split("-")[0] for cid, _ in hits]


def test_search_finds_variant_spellings(index: LexicalIndex) -> None:
    # no hamza, ta marbuta as ha, different affixes: still the Ankara talks first
    hits = index.search("محادثات امنيه في انقره", 3)
    assert articles(hits)[:2] == ["ankara", "nodate"]
    assert all(score > 0 for _, score in hits)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_persists_and_reopens(tmp_path: Path) -> None:
    ix = LexicalIndex(tmp_path / "lexical")
    ix.upsert(all_passages())
    before = ix.search("اتفاق تجاري", 5)
    count, hashes = ix.count(), ix.article_hashes()
    ix.close()
    again = LexicalIndex(tmp_path / "lexical")
    assert again.count() == count == 7
    assert again.article_hashes() == hashes
    assert again.search("اتفاق تجاري", 5) == before
    assert again.recovered is None


def test_upsert_replaces_an_articles_chunks(index: LexicalIndex) -> None:
    old_ids = {p.chunk_id for p in passages_of("football")}
    new = passages_of("football", ["خسر الفريق المباراة الودية."])
    index.upsert(new, content_hashes={"football": "h2"})
    assert index.count() == 6
    found = {cid for cid, _ in index.search("فاز المنتخب السعودي بالمباراة النهائية وسجل اللاعبون أهداف الودية", 10)}
    assert not found & old_ids
    assert new[0].chunk_id in found
    assert index.search("الودية", 5)[0][0] == new[0].chunk_id
    assert index.article_hashes()["football"] == "h2"


def test_delete_article(index: LexicalIndex) -> None:
    index.delete_article("damascus")
    assert index.count() == 5
    assert "damascus" not in articles(index.search("دمشق بغداد النفط", 10))
    assert "damascus" not in index.article_hashes()
    index.delete_article("damascus")  # unknown now: nothing happens
    assert index.count() == 5


def test_filters_source_dates_and_articles(index: LexicalIndex) -> None:
    query = "المحادثات الأمنية المباراة اتفاق"
    assert set(articles(index.search(query, 10, Filters(sources=["وكالة"])))) == {"ankara", "football"}
    assert set(articles(index.search(query, 10, Filters(since=date(2025, 10, 2))))) == {"damascus", "football"}
    assert set(articles(index.search(query, 10, Filters(until=date(2025, 10, 3))))) == {"ankara"}
    assert set(articles(index.search(query, 10, Filters(article_ids=["nodate", "damascus"])))) == {"nodate", "damascus"}
    both = Filters(sources=["وكالة"], since=date(2025, 10, 2))
    assert set(articles(index.search(query, 10, both))) == {"football"}
    # a time window that keeps the undated articles (a question's period: qa.time_filter)
    window = Filters(until=date(2025, 10, 3), undated=True)
    assert set(articles(index.search(query + " نص", 10, window))) == {"ankara", "nodate"}


def test_coverage_and_bound(index: LexicalIndex) -> None:
    assert index.query_coverage("محادثات أنقرة") == 1.0
    assert index.query_coverage("What did the ministers discuss in Ankara?") == 0.0
    assert index.query_coverage("محادثات xylophone") == 0.5
    assert index.query_coverage("") == 0.0
    stats = index.query_stats("محادثات أنقرة")
    best = index.search("محادثات أنقرة", 1)[0][1]
    assert 0 < best <= stats.bound


def test_empty_and_stopword_queries(index: LexicalIndex) -> None:
    assert index.search("", 5) == []
    assert index.search("في من على", 5) == []
    assert index.search("أنقرة", 0) == []


def test_bare_chunks_get_a_fingerprint(tmp_path: Path) -> None:
    ix = LexicalIndex(tmp_path / "lexical")
    chunks = [
        Chunk(id="c1", article_id="a", index=0, start=0, end=5, text="أنقرة"),
        Chunk(id="c2", article_id="a", index=1, start=6, end=10, text="دمشق"),
    ]
    ix.upsert(chunks)
    assert ix.article_hashes() == {"a": fingerprint(["c2", "c1"])}
    assert articles(ix.search("دمشق", 1)) == ["c2"]


def test_diff_against_the_store(index: LexicalIndex) -> None:
    store = {f"{aid}": f"h-{aid}" for aid in ARTICLES}
    assert index.diff(store).clean
    store["ankara"] = "changed"
    store["new"] = "h-new"
    del store["nodate"]
    d = index.diff(store)
    assert (d.missing, d.stale, d.extra) == (["new"], ["ankara"], ["nodate"])
    assert d.to_index == ["new", "ankara"]


def test_rebuild_replaces_everything_atomically(index: LexicalIndex, tmp_path: Path) -> None:
    n = index.rebuild(passages_of("ankara") + passages_of("football"), content_hashes={"ankara": "x"})
    assert n == 4
    assert set(index.article_hashes()) == {"ankara", "football"}
    assert index.article_hashes()["ankara"] == "x"
    gens = sorted(p.name for p in (tmp_path / "lexical").glob("gen-*"))
    assert len(gens) == 1 and (tmp_path / "lexical" / "CURRENT").read_text().strip() == gens[0]
    index.close()
    assert LexicalIndex(tmp_path / "lexical").count() == 4


def test_a_half_done_rebuild_is_discarded(index: LexicalIndex, tmp_path: Path) -> None:
    class Boom(RuntimeError):
        pass

    def dying() -> Iterator[Passage]:
        yield from passages_of("ankara")
        raise Boom

    with pytest.raises(Boom):
        index.rebuild(dying())
    assert index.count() == 7
    assert len(list((tmp_path / "lexical").glob("gen-*"))) == 1


def _die_mid_upsert(path: str) -> None:
    """In a child process: commit the chunks of one article, then die before its hash is recorded."""
    ix = LexicalIndex(Path(path))

    def crash(*_: object, **__: object) -> None:
        os._exit(3)

    ix._sql = crash  # type: ignore[method-assign,assignment]
    ix.upsert(passages_of("football", ["مباراة جديدة في الدوري."]), content_hashes={"football": "h-new"})


def test_crash_between_chunks_and_hash_is_detected_and_repaired(tmp_path: Path) -> None:
    path = tmp_path / "lexical"
    ix = LexicalIndex(path)
    ix.upsert(all_passages(), content_hashes={aid: f"h-{aid}" for aid in ARTICLES})
    ix.close()
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_die_mid_upsert, args=(str(path),))
    child.start()
    child.join(60)
    assert child.exitcode == 3
    again = LexicalIndex(path)
    store = {aid: f"h-{aid}" for aid in ARTICLES} | {"football": "h-new"}
    diff = again.diff(store)
    assert diff.stale == ["football"]  # the store has the new version; we still record the old hash
    again.upsert(passages_of("football", ["مباراة جديدة في الدوري."]), content_hashes={"football": "h-new"})
    assert again.diff(store).clean
    assert articles(again.search("الدوري", 3)) == ["football"]


def test_an_index_from_another_analyser_is_emptied(tmp_path: Path) -> None:
    ix = LexicalIndex(tmp_path / "lexical", ngram=0)
    ix.upsert(all_passages())
    ix.close()
    other = LexicalIndex(tmp_path / "lexical")
    assert other.recovered is not None
    assert other.count() == 0 and other.article_hashes() == {}


def test_a_corrupt_sidecar_is_replaced(tmp_path: Path) -> None:
    ix = LexicalIndex(tmp_path / "lexical")
    ix.upsert(all_passages())
    ix.close()
    gen = next((tmp_path / "lexical").glob("gen-*"))
    for f in gen.glob("lexical.sqlite3*"):
        f.write_bytes(b"not a database")
    again = LexicalIndex(tmp_path / "lexical")
    assert again.recovered is not None and again.article_hashes() == {}
    with pytest.raises(sqlite3.Error):
        sqlite3.connect(gen / "lexical.sqlite3").execute("SELECT 1 FROM articles").fetchall()


def test_two_handles_see_each_others_writes_and_rebuilds(tmp_path: Path) -> None:
    writer, reader = LexicalIndex(tmp_path / "lexical"), LexicalIndex(tmp_path / "lexical")
    writer.upsert(passages_of("ankara"))
    assert reader.count() == 2
    assert articles(reader.search("أنقرة", 1)) == ["ankara"]
    reader.upsert(passages_of("damascus"))  # the writer lock is released after each write
    assert writer.count() == 4
    writer.rebuild(passages_of("football"))
    assert reader.count() == 2 and set(reader.article_hashes()) == {"football"}
    assert articles(reader.search("المنتخب", 1)) == ["football"]


def test_coverage_is_discounted_when_the_corpus_is_hardly_in_the_questions_script(tmp_path: Path) -> None:
    ix = LexicalIndex(tmp_path / "lexical")
    arabic = "التقى وزير الخارجية التركي نظيره السوري في أنقرة لبحث أمن الحدود والتعاون الاقتصادي بين البلدين"
    ix.upsert([Passage(chunk_id="c1", article_id="a", start=0, end=10, text=arabic + " Ankara")])
    stats = ix.query_stats("What did the ministers discuss in Ankara?")
    assert stats.words_found == 1 / 3  # ministers, discuss, ankara: one found
    arabic_words, _ = script_counts(words(arabic))
    assert stats.script_share == 1 / (arabic_words + 1)  # one Latin word ("ankara") in the corpus
    assert stats.coverage == pytest.approx(stats.words_found * stats.script_share / 0.5)
    assert ix.query_coverage("ماذا ناقش الوزير في أنقرة؟") == pytest.approx(
        ix.query_stats("ماذا ناقش الوزير في أنقرة؟").words_found
    )
    english = "The talks in Ankara covered border security and trade between the two countries"
    ix.upsert([Passage(chunk_id="c2", article_id="b", start=0, end=10, text=english + " " + english)])
    now = ix.query_stats("What did the ministers discuss in Ankara?")
    assert now.script_share > 0.5  # half the corpus is English now: the lexical leg gets its full weight
    assert now.coverage == pytest.approx(now.words_found) == pytest.approx(1 / 3)


def test_the_title_context_indexes_each_chunk_with_its_articles_title(tmp_path: Path) -> None:
    """Under ``chunk_context="title"`` a chunk is found by a word of its article's title that its own
    text lacks; without it, not. The context is part of the analyser: switching it starts afresh."""
    titled = [p.model_copy(update={"title": "قمة الرياض الاقتصادية"}) for p in passages_of("damascus")]
    plain = LexicalIndex(tmp_path / "plain")
    plain.upsert(titled)
    assert plain.search("الرياض", 5) == []
    plain.close()
    ix = LexicalIndex(tmp_path / "plain", chunk_context="title")
    assert ix.article_hashes() == {}  # built with another analyser: not reused
    ix.upsert(titled)
    assert set(articles(ix.search("الرياض", 5))) == {"damascus"}
    assert ix.search("الرياض", 5)[0][1] > 0
    ix.close()
