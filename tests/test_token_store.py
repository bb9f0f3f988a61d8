"""The reranker's passage token states on disk (index.token_store): kept for the next process,
content-addressed, bounded, and a damaged file is only a cache miss."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
from fakes import HashTokenEmbedder

from index.documents import Passage
from index.rerank import MaxSimReranker
from index.token_store import TokenStore


def _passage(cid: str, text: str, score: float) -> Passage:
    return Passage(chunk_id=cid, article_id=cid, title=cid, start=0, end=len(text), text=text, score=score)


def test_states_round_trip_packed(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "t.sqlite", "model-a")
    states = np.random.default_rng(0).standard_normal((7, 16)).astype(np.float32)
    store.put_many([("نص المقطع", states)])
    got = store.get_many(["نص المقطع", "غير مخزن"])
    assert got[1] is None and got[0] is not None and got[0].unpack().shape == (7, 16)
    peak = np.abs(states).max(axis=1, keepdims=True)
    assert (np.abs(got[0].unpack() - states) <= peak / 254 + 1e-6).all()  # half a step of 1/127
    # another process (a new object on the same file) reads it; another identity does not
    assert TokenStore(tmp_path / "t.sqlite", "model-a").get_many(["نص المقطع"])[0] is not None
    assert TokenStore(tmp_path / "t.sqlite", "model-b").get_many(["نص المقطع"])[0] is None


def test_the_store_is_bounded_and_drops_the_oldest(tmp_path: Path) -> None:
    one = np.ones((10, 16), dtype=np.float32)  # 200 bytes packed
    store = TokenStore(tmp_path / "t.sqlite", "m", max_bytes=500)
    for text in ("a", "b", "c", "d"):
        store.put_many([(text, one)])
    assert store.nbytes() <= 500
    got = store.get_many(["a", "b", "c", "d"])
    assert got[0] is None and got[3] is not None
    store.put_many([("huge", np.ones((1000, 8), dtype=np.float32))])  # larger than the whole store
    assert store.get_many(["huge"])[0] is None
    off = TokenStore(tmp_path / "off.sqlite", "m", max_bytes=0)
    off.put_many([("a", one)])
    assert off.get_many(["a"]) == [None] and not (tmp_path / "off.sqlite").exists()


def test_a_damaged_file_is_a_miss_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    path.write_bytes(b"not a database at all " * 100)
    store = TokenStore(path, "m")
    assert store.get_many(["a"]) == [None]
    store.put_many([("a", np.ones((3, 4), dtype=np.float32))])
    assert store.get_many(["a"])[0] is not None


def test_the_float16_table_of_an_older_sanad_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE tokens (key TEXT PRIMARY KEY, dim INTEGER NOT NULL, data BLOB NOT NULL, written REAL)")
    old.execute("INSERT INTO tokens VALUES ('k', 4, ?, 0)", (np.ones((3, 4), dtype=np.float16).tobytes(),))
    old.commit()
    old.close()
    store = TokenStore(path, "m")
    assert store.get_many(["a"]) == [None] and store.nbytes() == 0
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"states"}


def test_a_row_that_does_not_decode_is_a_miss(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "t.sqlite", "m")
    store.put_many([("a", np.ones((3, 4), dtype=np.float32))])
    db = sqlite3.connect(tmp_path / "t.sqlite")
    db.execute("UPDATE states SET data = ?", (b"\x00" * 7,))  # not a whole number of rows
    db.commit()
    assert store.get_many(["a"]) == [None]


def test_a_new_reranker_reads_the_states_the_last_one_stored(tmp_path: Path) -> None:
    passages = [_passage("a", "alpha beta", 0.9), _passage("b", "gamma delta", 0.8)]
    first_enc = HashTokenEmbedder()
    first = MaxSimReranker(first_enc, top=5, store=TokenStore(tmp_path / "t.sqlite", first_enc.identity))
    ranked = first.rerank("gamma", passages)
    assert first_enc.token_calls == [("query", 1), ("passage", 2)]
    second_enc = HashTokenEmbedder()  # a new process: empty memory cache
    second = MaxSimReranker(second_enc, top=5, store=TokenStore(tmp_path / "t.sqlite", second_enc.identity))
    again = second.rerank("gamma", passages)
    assert second_enc.token_calls == [("query", 1)]  # no passage encoded
    assert [p.chunk_id for p in again] == [p.chunk_id for p in ranked]
    assert [round(p.scores["rerank"], 2) for p in again] == [round(p.scores["rerank"], 2) for p in ranked]
    # an edited passage (same chunk id, other text) is encoded afresh, never read stale
    edited = [_passage("a", "alpha beta omega", 0.9)]
    third_enc = HashTokenEmbedder()
    MaxSimReranker(third_enc, top=5, store=TokenStore(tmp_path / "t.sqlite", third_enc.identity)).rerank("x", edited)
    assert third_enc.token_calls == [("query", 1), ("passage", 1)]
