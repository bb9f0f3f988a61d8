"""The late-interaction reranker: MaxSim scoring, reordering, its cache, and how retrieval uses it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder, HashTokenEmbedder

from index.documents import Article, Passage
from index.embed_cache import CachedEmbedder
from index.errors import ConfigError
from index.indexer import Indexer
from index.lexical import LexicalIndex
from index.rerank import MaxSimReranker, Reranker, TokenCache, TokenEmbedder, maxsim, token_embedder
from index.retrieval import HybridRetriever
from index.store import ChunkStore
from qa.assistant import Assistant
from qa.settings import Settings


def _passage(cid: str, text: str, score: float) -> Passage:
    return Passage(chunk_id=cid, article_id=cid, title=cid, start=0, end=len(text), text=text, score=score)


def test_maxsim_is_the_mean_best_match_of_the_query_tokens() -> None:
    e = np.eye(4, dtype=np.float32)
    assert maxsim(e[:2], e) == pytest.approx(1.0)
    assert maxsim(e[:2], e[1:2]) == pytest.approx(0.5)  # token 0 matches nothing (cos 0), token 1 exactly
    assert maxsim(np.zeros((0, 4), np.float32), e) == 0.0
    assert maxsim(e, np.zeros((0, 4), np.float32)) == 0.0


def test_rerank_lifts_the_passage_that_holds_the_question_words() -> None:
    enc = HashTokenEmbedder()
    passages = [
        _passage("a", "the stock market fell sharply today", 0.52),
        _passage("b", "the desalination plant produces water daily", 0.50),
        _passage("c", "rain fell over the mountains", 0.49),
    ]
    out = MaxSimReranker(enc, top=3, weight=1.0).rerank("desalination plant water", passages)
    assert out[0].chunk_id == "b"
    assert all("rerank" in p.scores for p in out)
    assert out[0].score == pytest.approx(0.50 + out[0].scores["rerank"])
    assert {p.chunk_id for p in out} == {"a", "b", "c"}


def test_rerank_only_rescores_the_head_and_keeps_the_tail_below() -> None:
    enc = HashTokenEmbedder()
    passages = [_passage(f"p{i}", f"filler words number {i}", 1.0 - i / 10) for i in range(5)]
    passages.append(_passage("exact", "desalination plant water", 0.1))  # past top: stays last
    out = MaxSimReranker(enc, top=3).rerank("desalination plant water", passages)
    assert [p.chunk_id for p in out[3:]] == ["p3", "p4", "exact"]
    assert "rerank" not in out[-1].scores
    assert enc.token_calls == [("query", 1), ("passage", 3)]


def test_the_query_is_scored_by_its_words_not_its_punctuation() -> None:
    enc = HashTokenEmbedder()
    passages = [_passage("marks", "? ? ? ?", 0.55), _passage("words", "desalination plant", 0.50)]
    out = MaxSimReranker(enc, top=2).rerank("? ? ? desalination", passages)
    assert out[0].chunk_id == "words"  # with the three "?" counted, "marks" would score 0.55 + 0.75
    assert out[0].scores["rerank"] == pytest.approx(1.0)
    assert out[1].scores["rerank"] < 0.5


def test_weight_zero_keeps_the_fused_order() -> None:
    passages = [_passage("a", "alpha beta", 0.9), _passage("b", "gamma delta", 0.8)]
    out = MaxSimReranker(HashTokenEmbedder(), weight=0.0).rerank("gamma delta", passages)
    assert [p.chunk_id for p in out] == ["a", "b"]


def test_passage_token_states_are_cached_by_chunk_id() -> None:
    enc = HashTokenEmbedder()
    rr = MaxSimReranker(enc, top=5)
    passages = [_passage("a", "alpha beta", 0.9), _passage("b", "gamma delta", 0.8)]
    rr.rerank("alpha", passages)
    rr.rerank("gamma", [*passages, _passage("c", "epsilon", 0.1)])
    assert enc.token_calls == [("query", 1), ("passage", 2), ("query", 1), ("passage", 1)]
    assert rr.cache.hits == 2 and len(rr.cache) == 3


def test_token_cache_is_bounded_in_bytes_and_evicts_the_oldest() -> None:
    one = np.ones((10, 16), dtype=np.float32)  # 200 bytes packed: (16 + 4) a row
    cache = TokenCache(max_bytes=400)
    for key in ("a", "b", "c"):
        cache.put(key, one)
    assert len(cache) == 2 and cache.nbytes <= 400
    assert cache.get("a") is None and cache.get("c") is not None
    cache.put("huge", np.ones((1000, 8), dtype=np.float32))  # larger than the whole cache: not kept
    assert cache.get("huge") is None


def test_bad_top_is_refused() -> None:
    with pytest.raises(ValueError, match="top"):
        MaxSimReranker(HashTokenEmbedder(), top=0)


def test_token_embedder_sees_through_the_embedding_cache(tmp_path: Path) -> None:
    enc = HashTokenEmbedder()
    assert isinstance(enc, TokenEmbedder)
    assert token_embedder(CachedEmbedder(enc, tmp_path / "cache.sqlite")) is enc
    assert token_embedder(HashEmbedder()) is None
    assert token_embedder(CachedEmbedder(HashEmbedder(), tmp_path / "cache2.sqlite")) is None


class Reverse:
    """A Reranker that reverses its input (to see that retrieval applies it before the article cap)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def rerank(self, query: str, passages: Sequence[Passage]) -> list[Passage]:
        self.seen.append(query)
        return list(reversed(passages))


NEWS = [
    Article(id="border", title="الحدود", text="بحث وزيرا الدفاع ضبط الحدود بين سوريا وتركيا في أنقرة.", source="wire"),
    Article(id="books", title="الكتاب", text="استقبل معرض الكتاب مئتي ألف زائر في أسبوعه الأول.", source="daily"),
    Article(id="water", title="المياه", text="افتتحت البلدية محطة لتحلية مياه البحر بالطاقة الشمسية.", source="daily"),
]


def test_hybrid_retrieval_applies_the_reranker(tmp_path: Path) -> None:
    embedder = HashTokenEmbedder()
    store = ChunkStore(embedder, path=tmp_path / "chroma")
    lexical = LexicalIndex(tmp_path / "lexical")
    Indexer(embedder, store, lexical=lexical).ingest(NEWS)
    plain = [p.article_id for p in HybridRetriever(embedder, store, lexical).retrieve("معرض الكتاب", 3)]
    reverse = Reverse()
    assert isinstance(reverse, Reranker)
    reranked = HybridRetriever(embedder, store, lexical, reranker=reverse).retrieve("معرض الكتاب", 3)
    assert reverse.seen == ["معرض الكتاب"]
    assert [p.article_id for p in reranked] == list(reversed(plain))
    real = HybridRetriever(embedder, store, lexical, reranker=MaxSimReranker(embedder)).retrieve("معرض الكتاب", 3)
    assert real[0].article_id == "books" and "rerank" in real[0].scores
    store.close()


def test_assistant_builds_the_reranker_the_settings_ask_for(tmp_path: Path) -> None:
    def assistant(embedder: HashEmbedder, mode: str) -> Assistant:
        settings = Settings(home=tmp_path, retrieval={"rerank": mode, "rerank_top": 7, "rerank_weight": 0.5})
        return Assistant(settings, embedder=embedder)

    built = assistant(HashTokenEmbedder(), "auto").reranker
    assert isinstance(built, MaxSimReranker) and (built.top, built.weight) == (7, 0.5)
    assert assistant(HashEmbedder(), "auto").reranker is None  # cannot: auto means off
    assert assistant(HashTokenEmbedder(), "none").reranker is None
    with pytest.raises(ConfigError, match="token states"):
        _ = assistant(HashEmbedder(), "maxsim").reranker


def test_an_unknown_setting_value_is_an_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.settings import load_settings

    monkeypatch.setenv("SANAD_RETRIEVAL_RERANK", "cross-encoder")
    monkeypatch.setenv("SANAD_RETRIEVAL_METHOD", "bm25")
    with pytest.raises(ConfigError) as err:
        load_settings()
    message = str(err.value)
    assert "SANAD_RETRIEVAL_RERANK='cross-encoder'" in message and "'auto', 'maxsim' or 'none'" in message
    assert "SANAD_RETRIEVAL_METHOD='bm25'" in message and "'hybrid', 'dense' or 'lexical'" in message


def test_only_the_first_ask_reports_loading(tmp_path: Path) -> None:
    assistant = Assistant(Settings(home=tmp_path), embedder=HashTokenEmbedder())
    src = tmp_path / "a.txt"
    src.write_text("معرض الكتاب\n\nافتتح معرض الكتاب أبوابه اليوم في الرياض.", encoding="utf-8")
    assistant.ingest([src])
    fresh = Assistant(Settings(home=tmp_path), embedder=HashTokenEmbedder())
    first, second = fresh.ask("متى افتتح معرض الكتاب؟"), fresh.ask("أين معرض الكتاب؟")
    assert "load" in first.timings and "load" not in second.timings
    assert first.timings["total"] >= first.timings["load"] + first.timings["retrieve"]
    assistant.close()
    fresh.close()


def test_under_the_title_context_a_passage_is_read_after_its_title(tmp_path: Path) -> None:
    """The reranker asks the token store for what the ingest pass told it (title and chunk), and a
    title word of the question finds its passage's title rows."""
    from index.token_store import TokenStore

    enc = HashTokenEmbedder()
    store = TokenStore(tmp_path / "tokens.sqlite", enc.identity, max_bytes=10**8)
    text = "gamma delta"
    told = enc.token_vectors(["omega\n" + text], "passage")[0]
    store.put_many([("omega\n" + text, told)])
    enc.token_calls.clear()
    rr = MaxSimReranker(enc, top=5, store=store, chunk_context="title")
    ranked = rr.rerank("omega", [_passage("x", "alpha beta", 0.9), _passage("omega", text, 0.8)])
    assert enc.token_calls == [("query", 1), ("passage", 1)]  # only the untold passage was encoded
    assert ranked[0].chunk_id == "omega"
