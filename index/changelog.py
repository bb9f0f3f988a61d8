"""The change log: every article upsert and forget, kept in chromadb beside the articles.

The lexical index lives in each process's ``SANAD_HOME``; chromadb (on disk or a ``chroma run``
server shared by many ``sanad serve`` replicas) is the truth. So that every replica's lexical
index can follow the store cheaply, the store appends one entry per article it is about to
commit to the collection ``<collection>_changes``: ``{seq, article_id, op, content_hash,
writer}``. :mod:`index.lexical_follow` tails it.

An entry is a *hint*, never the truth: "look at this article". It is written just *before* the
commit it announces (the article records for an upsert, the record delete for a forget), so every
committed change has an entry; a writer that dies between the two leaves an entry for a change
that never happened, and the reader, which always reads the article's state from the store and
applies that, does nothing for it (``op`` and ``content_hash`` only say when an entry is
*settled*: the store shows what it announced).

Sequence numbers. ``seq`` is the writer's wall clock in microseconds (below 2**53, exact in any
JSON reader), strictly increasing within one writer; ids are ``<seq, 17 digits>.<writer>.<n>`` with
a random writer token, so two writers never collide, even on an equal ``seq``. Reading
``max + 1`` under a retry was the alternative, but chromadb has no conditional write: two writers
could both read the same max and both write it. Clock order is not commit order across writers:
an entry becomes visible one chromadb write after its ``seq`` was taken, and two machines' clocks
differ by a little. A reader therefore never moves its cursor closer than :data:`VISIBLE_WITHIN_S`
to the newest entry it has read (entries of the last seconds are read again, and skipped by id),
nor past an entry whose change it has not seen committed yet (for at most :data:`SETTLE_S`). Once
the newest entry a reader has read has stayed the newest for :data:`VISIBLE_WITHIN_S` of the
reader's time, it reads from that entry on (an idle tail reads nothing). What this assumes: the
writers' clocks differ by less than :data:`VISIBLE_WITHIN_S` less the time an entry's write takes
(NTP keeps clocks within milliseconds; one writer alone may be off by any amount), and after a
full repair, which starts from the reader's own clock less :data:`SETTLE_S`, reader and writers
agree within that.

Trimming. Entries older than :data:`RETAIN_S` (a day) are deleted by writers after a commit, at most
once every :data:`TRIM_EVERY_S` per process (:meth:`ChangeLog.maybe_trim`). A day, rather than the
last N entries, because what a reader needs depends on how long it was away, not on how busy the
writers were: any replica that searched in the last half day only tails; one whose cursor is older
than half of it (or that has none, or that followed another log: a reset or another server) does the
full repair it did on every open before (compare every article hash with the store's). The log of a
busy day stays small: one entry of ~150 bytes per article change.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Op = Literal["upsert", "forget"]
Guard = Callable[[str], contextlib.AbstractContextManager[None]]

CHANGES_SUFFIX = "_changes"
"""The change log collection is ``<collection>_changes``."""

RETAIN_S = 24 * 3600.0
"""Entries older than this are trimmed; a reader whose cursor is older than half of it repairs in full."""
TRIM_EVERY_S = 600.0
"""A writer trims the log at most this often."""
VISIBLE_WITHIN_S = 10.0
"""An entry is visible to readers within this many seconds of its ``seq`` (one write, clock skew)."""
SETTLE_S = 120.0
"""How long a reader keeps re-checking an entry whose change it has not seen committed (the writer
commits one chromadb write after the entry; one that is gone this long died in between)."""

PAGE = 1000
"""Entries read per chromadb ``get``."""
_US = 1_000_000


def now_us() -> int:
    """This machine's wall clock in microseconds: the unit of ``seq``."""
    return time.time_ns() // 1000


def seconds_us(seconds: float) -> int:
    return int(seconds * _US)


@dataclass(frozen=True)
class Change:
    """One entry of the log (see the module's notes)."""

    id: str
    seq: int
    article_id: str
    op: Op
    content_hash: str
    writer: str


def _change(entry_id: str, meta: Any) -> Change | None:
    meta = meta or {}
    try:
        op = str(meta["op"])
        if op not in ("upsert", "forget"):
            return None
        return Change(
            id=entry_id,
            seq=int(meta["seq"]),
            article_id=str(meta["article_id"]),
            op="upsert" if op == "upsert" else "forget",
            content_hash=str(meta.get("content_hash") or ""),
            writer=str(meta.get("writer") or ""),
        )
    except (KeyError, TypeError, ValueError):
        return None  # not an entry of ours: ignored


class ChangeLog:
    """The ``<collection>_changes`` collection: :meth:`append` (writers), :meth:`since` (readers), :meth:`trim`."""

    def __init__(self, collection: Any, guard: Guard) -> None:
        self._collection = collection
        self._guard = guard
        self.writer = uuid.uuid4().hex[:12]
        self._last = 0
        self._n = 0
        self._lock = threading.Lock()
        self._trimmed_at: float | None = None

    @property
    def log_id(self) -> str:
        """Which log this is (the collection's id): a new one after a reset, another on another server."""
        return str(self._collection.id)

    def _next(self) -> tuple[int, str]:
        with self._lock:
            seq = max(now_us(), self._last + 1)
            self._last, self._n = seq, self._n + 1
            return seq, f"{seq:017d}.{self.writer}.{self._n}"

    def append(self, changes: Sequence[tuple[str, Op, str]]) -> list[Change]:
        """Write one entry per ``(article_id, op, content_hash)``, in one call; returns them."""
        if not changes:
            return []
        entries = []
        for article_id, op, content_hash in changes:
            seq, entry_id = self._next()
            entries.append(Change(entry_id, seq, article_id, op, content_hash, self.writer))
        with self._guard("append to the change log"):
            self._collection.upsert(
                ids=[e.id for e in entries],
                embeddings=np.ones((len(entries), 1), dtype=np.float32),
                metadatas=[
                    {
                        "seq": e.seq,
                        "article_id": e.article_id,
                        "op": e.op,
                        "content_hash": e.content_hash,
                        "writer": e.writer,
                    }
                    for e in entries
                ],
            )
        return entries

    def since(self, seq: int, limit: int | None) -> list[Change]:
        """Entries with ``seq`` above this one, oldest first; at most ``limit`` (then which ones is
        chromadb's choice) or, with ``None``, all of them (read :data:`PAGE` at a time)."""
        out: list[Change] = []
        offset = 0
        while limit is None or len(out) < limit:
            size = PAGE if limit is None else min(PAGE, limit - len(out))
            with self._guard("read the change log"):
                got = self._collection.get(
                    where={"seq": {"$gt": int(seq)}}, limit=size, offset=offset, include=["metadatas"]
                )
            ids = list(got["ids"])
            metas = got["metadatas"] or [None] * len(ids)
            out.extend(c for c in (_change(i, m) for i, m in zip(ids, metas, strict=True)) if c is not None)
            if len(ids) < size:
                break
            offset += size
        out.sort(key=lambda c: (c.seq, c.id))
        return out

    def trim(self, before: int) -> None:
        """Delete the entries with ``seq`` below ``before``."""
        with self._guard("trim the change log"):
            self._collection.delete(where={"seq": {"$lt": int(before)}})

    def maybe_trim(self) -> None:
        """Trim what is older than :data:`RETAIN_S`, at most once every :data:`TRIM_EVERY_S`. A writer
        calls it after the commit its entries announced, never between the two."""
        now = time.monotonic()
        if self._trimmed_at is not None and now - self._trimmed_at < TRIM_EVERY_S:
            return
        self._trimmed_at = now
        self.trim(now_us() - seconds_us(RETAIN_S))

    def entries(self) -> Iterator[Change]:
        """Every entry (tests, diagnostics), oldest first."""
        yield from self.since(-1, None)
