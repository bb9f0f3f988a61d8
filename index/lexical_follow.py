"""The lexical index as a derived cache that follows the store: tailing the change log.

Each process keeps its own tantivy index (in its ``SANAD_HOME``); the store (chromadb, perhaps a
``chroma run`` server many replicas share) is the truth and keeps a change log
(:mod:`index.changelog`). :class:`LexicalFollower` reads the entries after its cursor — one small
chromadb ``get`` with a ``where`` on ``seq``, at most once every :data:`FOLLOW_INTERVAL_S` — and,
for the articles they name, reads the store's state and applies it: an article whose record
is gone is dropped, one whose committed hash differs from the indexed one is re-read (its
visible chunks) and upserted. Applying the store's state, not the entry's, makes every step
idempotent, and a writer's entry without a commit (it died in between) harmless.

The cursor (with the log's id) is kept in the lexical index's own sidecar
(:meth:`~index.lexical.LexicalIndex.set_follow_state`, one SQLite transaction), written after
what it covers is applied. It means: every entry up to here is settled. An entry is *settled*
once the store shows what it announced (that hash, or no record), once the same writer has a
later entry for the article, or :data:`~index.changelog.SETTLE_S` after its ``seq``; until then
it is checked again on every tail (from memory) and the cursor on disk stays below it. A read
starts at the newest entry read less :data:`~index.changelog.VISIBLE_WITHIN_S` (an entry taken
just before it may still appear; the writers' clocks, so the reader's own does not matter), and
at the newest entry itself once that has stayed the newest for as long (so an idle tail reads
nothing); entries read again are skipped by id. See :mod:`index.changelog` for the clocks.

A full repair (:func:`index.retrieval.reconcile`: every article hash compared with the store's)
replaces the tail when the index has no cursor (new, rebuilt, or built before the log), when it
followed another log (the store was reset, or it is another server), when its cursor is older than
half of :data:`~index.changelog.RETAIN_S` (entries may have been trimmed), or when more than
:data:`MAX_TAIL` entries wait. After it, the entries of the last :data:`~index.changelog.SETTLE_S`
(by this machine's clock) are read once, all of them, and checked like any others.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .changelog import RETAIN_S, SETTLE_S, VISIBLE_WITHIN_S, Change, now_us, seconds_us
from .lexical import LexicalIndex
from .retrieval import reconcile
from .store import ChunkStore

FOLLOW_INTERVAL_S = 0.25
"""A follower reads the log at most this often (a search in between uses the index as it is)."""
MAX_TAIL = 20_000
"""More entries than this in one read: a full repair (it reads every article hash of the store once)
instead of reading and checking them all."""


@dataclass
class FollowReport:
    """What one :meth:`LexicalFollower.catch_up` did."""

    full: bool = False  # a full repair instead of a tail
    entries: int = 0  # log entries read (new ones, not seen before)
    indexed: list[str] = field(default_factory=list)  # articles (re-)indexed from the store
    dropped: list[str] = field(default_factory=list)  # articles removed from the lexical index
    unsettled: int = 0  # entries whose change is not committed yet (checked again next time)
    seconds: float = 0.0


class LexicalFollower:
    """Keeps ``lexical`` in step with ``store`` through the store's change log; thread-safe."""

    def __init__(
        self,
        store: ChunkStore,
        lexical: LexicalIndex,
        *,
        interval: float = FOLLOW_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.lexical = lexical
        self.interval = interval
        self._clock = clock
        self._checked: float | None = None
        self._floor: int | None = None  # no read starts below this (the cursor this process began at)
        self._high: int | None = None  # the newest seq read
        self._high_at = 0.0  # when it was first read (this process's clock)
        self._settled: dict[str, int] = {}  # entry id → seq, for entries read again in the window
        self._unsettled: dict[str, Change] = {}  # checked again on every tail until settled
        self._lock = threading.Lock()

    def catch_up(self, *, force: bool = False) -> FollowReport | None:
        """Apply the store's changes since the last call; ``None`` when the last read was under
        :attr:`interval` ago (unless ``force``)."""
        if not force and self._recent():
            return None
        with self._lock:
            if not force and self._recent():  # another thread has just done it
                return None
            started = time.perf_counter()
            report = self._catch_up()
            self._checked = self._clock()
            report.seconds = time.perf_counter() - started
            return report

    def _recent(self) -> bool:
        return self._checked is not None and self._clock() - self._checked < self.interval

    def _catch_up(self) -> FollowReport:
        log = self.store.changes
        now = now_us()
        state = self.lexical.follow_state()
        if state is None or state[0] != log.log_id or now - state[1] > seconds_us(RETAIN_S / 2):
            return self._full(now)
        if self._floor is None:  # the first tail of this process: from the cursor on disk
            self._floor = state[1]
        report = self._tail(log.since(self._window(), MAX_TAIL + 1), now)
        if report is None:
            return self._full(now)
        cursor = min([self._window(), *(e.seq - 1 for e in self._unsettled.values())])
        if cursor > state[1]:
            self.lexical.set_follow_state(log.log_id, cursor)
        return report

    def _window(self) -> int:
        """Where the next read starts: the newest entry read, less :data:`VISIBLE_WITHIN_S` until
        it has stayed the newest for that long (an entry taken before it may still appear)."""
        assert self._floor is not None
        if self._high is None:
            return self._floor
        quiet = self._clock() - self._high_at >= VISIBLE_WITHIN_S
        return max(self._floor, self._high if quiet else self._high - seconds_us(VISIBLE_WITHIN_S))

    def _tail(self, entries: list[Change], now: int, *, limit: bool = True) -> FollowReport | None:
        """Apply the store's state for what these entries (and those not settled before) name;
        ``None`` when there are more than :data:`MAX_TAIL` (and ``limit``)."""
        if limit and len(entries) > MAX_TAIL:
            return None
        fresh = [e for e in entries if e.id not in self._settled and e.id not in self._unsettled]
        check = [*fresh, *self._unsettled.values()]
        report = FollowReport(entries=len(fresh))
        truth = self._apply({e.article_id for e in check}, report) if check else {}
        latest: dict[tuple[str, str], int] = {}
        for e in check:
            latest[e.writer, e.article_id] = max(e.seq, latest.get((e.writer, e.article_id), e.seq))
        self._unsettled = {e.id: e for e in check if not _settled(e, truth, latest, now)}
        self._settled.update((e.id, e.seq) for e in check if e.id not in self._unsettled)
        report.unsettled = len(self._unsettled)
        newest = max((e.seq for e in entries), default=None)  # the writers' clocks, not this one's
        if newest is not None and (self._high is None or newest > self._high):
            self._high, self._high_at = newest, self._clock()
        start = self._window()
        self._settled = {i: seq for i, seq in self._settled.items() if seq > start}  # never read again
        return report

    def _full(self, now: int) -> FollowReport:
        """The repair on open, for when the log cannot be trusted to cover what is missing."""
        diff = reconcile(self.store, self.lexical)
        # Entries of the last SETTLE_S may announce commits the repair did not see yet: they are
        # read once now (however many: a repair is never repeated for them), and settled.
        floor = now - seconds_us(SETTLE_S)
        self._floor, self._high, self._settled, self._unsettled = floor, None, {}, {}
        log = self.store.changes
        tail = self._tail(log.since(floor, None), now, limit=False)
        assert tail is not None
        self.lexical.set_follow_state(log.log_id, min([self._window(), *(e.seq - 1 for e in self._unsettled.values())]))
        return FollowReport(
            full=True,
            entries=tail.entries,
            indexed=[*diff.to_index, *tail.indexed],
            dropped=[*diff.extra, *tail.dropped],
            unsettled=tail.unsettled,
        )

    def _apply(self, article_ids: set[str], report: FollowReport) -> dict[str, str]:
        """Make the lexical index hold these articles as the store commits them; the store's
        hashes (articles without a record are left out)."""
        ids = sorted(article_ids)
        truth = self.store.hashes_of(ids)
        mine = self.lexical.hashes_of(ids)
        for article_id in ids:
            if article_id not in truth and article_id in mine:
                self.lexical.delete_article(article_id)
                report.dropped.append(article_id)
        stale = [a for a in ids if a in truth and mine.get(a) != truth[a]]
        if stale:
            got = self.store.committed_passages(stale)
            for article_id, (content_hash, passages) in got.items():
                truth[article_id] = content_hash  # as read with its chunks (it may have changed since)
                if not passages and article_id in mine:
                    self.lexical.delete_article(article_id)
            hashes = {a: h for a, (h, passages) in got.items() if passages}
            self.lexical.upsert([p for _, ps in got.values() for p in ps], content_hashes=hashes)  # one commit
            report.indexed.extend(got)
        return truth


def _settled(entry: Change, truth: dict[str, str], latest: dict[tuple[str, str], int], now: int) -> bool:
    """Need ``entry`` be checked again? Not once the store shows what it announced (``truth``: the
    committed hashes), nor when its writer has a later entry for the article (that one carries
    on), nor :data:`~index.changelog.SETTLE_S` after it (its writer died before the commit, or a
    later change replaced it: that has an entry of its own)."""
    if entry.op == "upsert" and truth.get(entry.article_id) == entry.content_hash:
        return True
    if entry.op == "forget" and entry.article_id not in truth:
        return True
    return now - entry.seq > seconds_us(SETTLE_S) or latest[entry.writer, entry.article_id] > entry.seq
