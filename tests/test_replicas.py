"""Replicas (issue 15, part 4): each process's lexical index follows the store through the change
log (``index.changelog``, ``index.lexical_follow``). Two assistants with their own homes share one
chromadb store on disk (what two ``sanad serve`` replicas on one ``chroma run`` do over HTTP; the
shipped test does exactly that, ``tests/test_shipped_replicas.py``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import HashEmbedder

from index import changelog, lexical_follow
from index.changelog import ChangeLog, now_us, seconds_us
from index.lexical import LexicalIndex
from index.lexical_follow import LexicalFollower
from index.store import ChunkStore
from qa.assistant import Assistant
from qa.settings import Settings

LIBRARY = {
    "id": "oasis-library",
    "title": "مكتبة عامة جديدة في الواحة",
    "text": "افتتحت بلدية الواحة مكتبة عامة جديدة تضم خمسة وأربعين ألف كتاب. وتفتح المكتبة أبوابها يوميا.",
}
RAIN = {
    "id": "rain",
    "title": "أمطار غزيرة",
    "text": "هطلت الأمطار الغزيرة على المدينة طوال الليل. وأغلقت السلطات عددا من الطرق.",
}
LIBRARY_Q = "مكتبة الواحة"


class Replicas:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.a = self.replica("a")
        self.b = self.replica("b")

    def replica(self, name: str) -> Assistant:
        store = ChunkStore(HashEmbedder(), path=self.root / "chroma")
        return Assistant(Settings(home=self.root / name), embedder=HashEmbedder(), store=store)

    def close(self) -> None:
        for a in (self.a, self.b):
            a.close()


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[Replicas]:
    r = Replicas(tmp_path)
    r.a.ingest_records([RAIN])
    _ = r.b.lexical  # b's lexical index is open (and repaired) before a ingests anything more
    yield r
    r.close()


def caught_up(a: Assistant) -> lexical_follow.FollowReport:
    follower = a._follower
    assert follower is not None
    report = follower.catch_up(force=True)
    assert report is not None
    return report


def lexical_hits(a: Assistant, query: str) -> dict[str, float]:
    """Article id → best lexical rank among the hybrid search's passages."""
    out: dict[str, float] = {}
    for p in a.search(query):
        if "lexical_rank" in p.scores:
            out[p.article_id] = min(out.get(p.article_id, 1e9), p.scores["lexical_rank"])
    return out


def test_an_ingest_through_one_replica_reaches_the_others_lexical_leg(replicas: Replicas) -> None:
    a, b = replicas.a, replicas.b
    assert "oasis-library" not in b.lexical.article_hashes()
    a.ingest_records([LIBRARY])
    b._follower.interval = 0.0  # type: ignore[union-attr]  # the rate limit is tested on its own
    assert "oasis-library" in lexical_hits(b, LIBRARY_Q)  # b's BM25 leg has it, not only the dense leg
    assert b.lexical.article_hashes()["oasis-library"] == a.store.article_hash("oasis-library")


def test_an_edit_and_a_forget_reach_the_other_replica(replicas: Replicas) -> None:
    a, b = replicas.a, replicas.b
    a.ingest_records([LIBRARY])
    caught_up(b)
    edited = {**LIBRARY, "text": LIBRARY["text"] + " وتضم قاعة للأطفال."}
    a.ingest_records([edited])
    report = caught_up(b)
    assert report.indexed == ["oasis-library"] and not report.full
    assert b.lexical.article_hashes()["oasis-library"] == a.store.article_hash("oasis-library")
    assert b.lexical.search("للأطفال", 5)

    a.forget("oasis-library")
    report = caught_up(b)
    assert report.dropped == ["oasis-library"] and not report.full
    assert "oasis-library" not in b.lexical.article_hashes()
    assert b.lexical.search("للأطفال", 5) == []
    assert caught_up(b).entries == 0  # nothing new: entries read again are skipped by id


def test_stories_follow_the_other_replicas_ingests_and_forgets(replicas: Replicas) -> None:
    """The story cache is derived like the lexical index: a copy ingested through one replica joins
    its original's story in the other's, and a forget there splits it again."""
    a, b = replicas.a, replicas.b
    copy = {**LIBRARY, "id": "oasis-library-copy", "title": "نسخة"}
    a.ingest_records([LIBRARY])
    assert "oasis-library" in b.stories.story_ids()  # b opens its story cache
    b._follower.interval = 0.0  # type: ignore[union-attr]  # the rate limit is tested on its own
    a.ingest_records([copy])
    story = b.stories.story_ids()
    assert story.get("oasis-library-copy") == story["oasis-library"]
    assert [x.id for x in b.articles() if x.story == story["oasis-library"]] == ["oasis-library", "oasis-library-copy"]
    a.forget("oasis-library-copy")
    assert "oasis-library-copy" not in b.stories.story_ids()


def test_the_tail_is_rate_limited(replicas: Replicas) -> None:
    now = [100.0]
    follower = LexicalFollower(replicas.b.store, replicas.b.lexical, interval=0.25, clock=lambda: now[0])
    assert follower.catch_up() is not None
    now[0] += 0.1
    assert follower.catch_up() is None  # within the interval: the index is used as it is
    replicas.a.ingest_records([LIBRARY])
    now[0] += 0.2
    report = follower.catch_up()
    assert report is not None and report.indexed == ["oasis-library"]


def test_an_idle_tail_reads_nothing_once_the_newest_entry_has_stayed_newest(replicas: Replicas) -> None:
    now = [100.0]
    store = replicas.b.store
    follower = LexicalFollower(store, replicas.b.lexical, clock=lambda: now[0])
    read: list[int] = []
    since = store.changes.since

    def counted(seq: int, limit: int | None) -> list[changelog.Change]:
        got = since(seq, limit)
        read.append(len(got))
        return got

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(store.changes, "since", counted)
        replicas.a.ingest_records([LIBRARY])
        for step in (0.0, 1.0, changelog.VISIBLE_WITHIN_S, 1.0):
            now[0] += step
            follower.catch_up(force=True)
    # rain (the fixture's) and the library: read again while the library's entry is recent, not after
    assert read[:2] == [2, 2] and read[2:] == [0, 0], read


def test_a_replica_that_reads_the_entry_before_the_commit_applies_the_commit_later(replicas: Replicas) -> None:
    """The entry is written just before the records: a reader in between sees a change not made yet."""
    a, b = replicas.a, replicas.b
    store: Any = a.store
    real = store._articles.upsert
    seen: list[lexical_follow.FollowReport] = []

    def upsert_after_a_look(**kw: Any) -> None:
        seen.append(caught_up(b))
        real(**kw)

    store._articles.upsert = upsert_after_a_look
    a.ingest_records([LIBRARY])
    store._articles.upsert = real
    assert seen[0].unsettled == 1 and seen[0].indexed == []
    report = caught_up(b)
    assert report.indexed == ["oasis-library"] and report.unsettled == 0
    assert caught_up(b).entries == 0


def test_an_entry_whose_writer_died_before_the_commit_does_nothing_and_expires(replicas: Replicas) -> None:
    a, b = replicas.a, replicas.b
    a.store.changes.append([("ghost", "upsert", "deadbeef"), ("rain", "forget", "")])
    report = caught_up(b)
    assert report.unsettled == 2 and report.indexed == [] and report.dropped == []
    assert "rain" in b.lexical.article_hashes()  # the store still has it: the log is only a hint
    state = b.lexical.follow_state()
    assert state is not None
    old = next(e for e in a.store.changes.entries() if e.article_id == "ghost")
    assert state[1] < old.seq  # the cursor waits below what is not settled
    later = now_us() + seconds_us(changelog.SETTLE_S) + 1

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lexical_follow, "now_us", lambda: later)
        report = caught_up(b)
    assert report.unsettled == 0 and report.indexed == []
    assert caught_up(b).entries == 0  # settled: read again (inside the window), never checked again


def test_a_new_process_on_the_same_home_tails_from_its_cursor(replicas: Replicas) -> None:
    replicas.a.ingest_records([LIBRARY])
    replicas.b.close()
    again = replicas.replica("b")
    try:
        follower = LexicalFollower(again.store, LexicalIndex(replicas.root / "b" / "lexical" / "sanad"))
        report = follower.catch_up()
        assert report is not None and not report.full and report.indexed == ["oasis-library"]
        follower.lexical.close()
    finally:
        again.close()


@pytest.mark.parametrize("why", ["no cursor", "another log", "cursor too old", "too many entries"])
def test_a_full_repair_when_the_log_cannot_be_trusted(replicas: Replicas, why: str) -> None:
    a, b = replicas.a, replicas.b
    lexical = b.lexical
    state = lexical.follow_state()
    assert state is not None
    with lexical._sql() as db:  # what the tail cannot know: the index lost an article behind its back
        db.execute("DELETE FROM articles WHERE article_id = 'rain'")
    if why == "no cursor":
        with lexical._sql() as db:
            db.execute("DELETE FROM follow")
    elif why == "another log":
        lexical.set_follow_state("another-log", state[1])
    elif why == "cursor too old":
        lexical.set_follow_state(state[0], now_us() - seconds_us(changelog.RETAIN_S))
    with pytest.MonkeyPatch.context() as mp:
        if why == "too many entries":
            mp.setattr(lexical_follow, "MAX_TAIL", 1)
            a.ingest_records([LIBRARY, {**RAIN, "id": "rain-2", "text": RAIN["text"] + " مرة أخرى."}])
        report = caught_up(b)
    assert report.full and "rain" in report.indexed
    assert "rain" in lexical.article_hashes()
    after = lexical.follow_state()
    assert after is not None and after[0] == a.store.changes.log_id


def test_a_reset_store_starts_a_new_log(replicas: Replicas) -> None:
    store = replicas.a.store
    before = store.changes.log_id
    assert list(store.changes.entries())
    store.reset()
    assert store.changes.log_id != before and list(store.changes.entries()) == []


def test_two_writers_never_collide(tmp_path: Path) -> None:
    with ChunkStore(HashEmbedder(), path=tmp_path / "chroma") as store:
        collection: Any = store._client.get_collection(store.changes_name)
        logs = [ChangeLog(collection, store._guard) for _ in range(2)]

        def write(log: ChangeLog) -> None:
            for i in range(20):
                log.append([(f"a{i}", "upsert", "h"), (f"b{i}", "forget", "")])

        threads = [threading.Thread(target=write, args=(log,)) for log in logs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        entries = list(logs[0].entries())
        assert len(entries) == len({e.id for e in entries}) == 80
        for log in logs:
            mine = [e.seq for e in entries if e.writer == log.writer]
            assert len(mine) == 40 and len(set(mine)) == 40  # strictly increasing within a writer


def test_old_entries_are_trimmed(tmp_path: Path) -> None:
    with ChunkStore(HashEmbedder(), path=tmp_path / "chroma") as store:
        log = store.changes
        log.append([("old", "upsert", "h")])
        time.sleep(0.002)
        cut = now_us()
        time.sleep(0.002)
        (new,) = log.append([("new", "upsert", "h")])
        log.trim(cut)
        assert [e.article_id for e in log.entries()] == ["new"]
        with pytest.MonkeyPatch.context() as mp:  # a writer trims what is older than RETAIN_S
            mp.setattr(changelog, "now_us", lambda: new.seq + seconds_us(changelog.RETAIN_S) + 1)
            log._trimmed_at = None
            log.append([("newest", "upsert", "h")])
            log.maybe_trim()
        assert [e.article_id for e in log.entries()] == ["newest"]


def test_a_writer_trims_the_log_only_after_the_commit_it_announced(tmp_path: Path) -> None:
    """Trimming is housekeeping: it must not sit between an entry and its commit (a slow or failing
    delete there would leave an announced change uncommitted)."""
    from index.documents import Article
    from index.indexer import Indexer

    with ChunkStore(HashEmbedder(), path=tmp_path / "chroma") as store:
        seen: list[tuple[str, bool]] = []
        trim = store.changes.trim

        def spy(before: int) -> None:
            seen.append((what, "oasis-library" in store.article_hashes()))
            trim(before)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(store.changes, "trim", spy)
            what = "ingest"
            Indexer(HashEmbedder(), store, sentence_vectors=False).ingest([Article(**LIBRARY)])
            store.changes._trimmed_at = None
            what = "forget"
            store.delete_article("oasis-library")
        assert seen == [("ingest", True), ("forget", False)]


def test_a_repair_that_drops_most_of_the_index_builds_it_anew(replicas: Replicas) -> None:
    """After a reset (``sanad reindex``) every article is extra: one new generation, not a commit each."""
    a, b = replicas.a, replicas.b
    a.ingest_records([LIBRARY])
    caught_up(b)
    a.store.reset()
    deleted: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(LexicalIndex, "delete_article", lambda self, article_id: deleted.append(article_id))
        b.store.reset()  # b's client on the same collections (on a server it would be another client)
        report = caught_up(b)
    assert report.full and sorted(report.dropped) == ["oasis-library", "rain"] and deleted == []
    assert b.lexical.article_hashes() == {}
