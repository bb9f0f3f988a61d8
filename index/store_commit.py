"""The commit model of the chunk store: the pending mark, reconcile, and what is visible.

An article's record is its commit: it lists the chunk ids that count (``chunk_ids``), and a chunk
is visible only while a committed record lists it (records written before chunk ids were listed
fall back to the chunk's own ``content_hash``). Writers name the articles they are about to
touch in the *pending* mark (a JSON list in the articles collection's metadata) and clear it when
done; :meth:`CommittedStore.reconcile`, run when the index is opened, tidies what a crashed
writer left of exactly those articles (bounded by the mark, not by the size of the index), and
leaves a *tombstone* for each article it found without a record, so that a repeated forget
succeeds. :class:`~index.store.ChunkStore` builds on this class. Part of :mod:`index.store`.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .chroma_store import ChromaStore
from .store_records import committed_chunks

PENDING_KEY = "sanad_pending"
"""Articles collection metadata: a JSON list of the article ids a writer is changing."""

TOMBSTONES_KEY = "sanad_tombstones"
"""Articles collection metadata: ids whose interrupted forget :meth:`CommittedStore.reconcile` finished."""
MAX_TOMBSTONES = 200

STALE_PENDING_S = 3600.0
"""A pending entry this old is a dead writer's, whatever its host (one group of articles is
written in seconds to minutes)."""

PendingEntry = tuple[str, str, int, float]
"""(article id, writer's host, writer's pid, when it was marked)."""


def _writer_gone(entry: PendingEntry) -> bool:
    """Has the writer of this pending entry stopped? (So that what it left may be tidied.)"""
    _, host, pid, when = entry
    if not host or time.time() - when > STALE_PENDING_S:
        return True
    if host != socket.gethostname():
        return False  # another machine's writer (a shared chroma server): trust it until stale
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


@dataclass(frozen=True)
class Commit:
    """What an article's record commits: its content hash and, when listed, its chunk ids."""

    content_hash: str
    chunk_ids: frozenset[str] | None

    def shows(self, chunk_id: str, meta: Mapping[str, Any] | None) -> bool:
        """Is this chunk part of the committed article? (Records written before chunk ids were
        listed fall back to the chunk's own hash, and chunks without one count as current.)"""
        if self.chunk_ids is not None:
            return chunk_id in self.chunk_ids
        chunk_hash = (meta or {}).get("content_hash")
        return chunk_hash is None or str(chunk_hash) == self.content_hash


class CommittedStore(ChromaStore):
    """The chromadb collections with the commit model above (see the module's notes)."""

    # --- the pending mark and reconcile -----------------------------------------------------------

    def _read_list(self, key: str) -> list[Any]:
        """A JSON list kept in the articles collection's metadata (read fresh: other processes write it)."""
        fresh = self._client.get_collection(self.articles_name, embedding_function=self._record_ef)  # type: ignore[arg-type]
        raw = (fresh.metadata or {}).get(key)
        try:
            value = json.loads(str(raw)) if raw else []
        except ValueError:
            return []
        return value if isinstance(value, list) else []

    def _write_list(self, key: str, value: list[Any]) -> None:
        fresh = self._client.get_collection(self.articles_name, embedding_function=self._record_ef)  # type: ignore[arg-type]
        meta = {k: v for k, v in (fresh.metadata or {}).items() if not k.startswith("hnsw:")}
        meta[key] = json.dumps(value, ensure_ascii=False)
        fresh.modify(metadata=meta)

    def _mark(self, key: str) -> list[str]:
        return [str(i) for i in self._read_list(key)]

    def _set_mark(self, key: str, ids: Sequence[str]) -> None:
        self._write_list(key, list(dict.fromkeys(ids)))

    def _pending_entries(self) -> list[PendingEntry]:
        """The pending mark: one ``[article_id, host, pid, unix time]`` per article a writer is changing."""
        out: list[PendingEntry] = []
        for e in self._read_list(PENDING_KEY):
            if isinstance(e, list) and len(e) == 4:
                out.append((str(e[0]), str(e[1]), int(e[2]), float(e[3])))
            elif isinstance(e, str):  # an id alone: no writer known, tidied on the next open
                out.append((e, "", 0, 0.0))
        return out

    def _set_pending_entries(self, entries: Sequence[PendingEntry]) -> None:
        self._write_list(PENDING_KEY, [list(e) for e in entries])

    def _pending_ids(self) -> list[str]:
        return sorted({e[0] for e in self._pending_entries()})

    def _take_tombstone(self, article_id: str) -> bool:
        """True (once) if :meth:`reconcile` removed what a crash left of this article."""
        with self._guard("read the tombstones"):
            tombstones = self._mark(TOMBSTONES_KEY)
            if article_id not in tombstones:
                return False
            self._set_mark(TOMBSTONES_KEY, [t for t in tombstones if t != article_id])
        return True

    @contextlib.contextmanager
    def pending(self, article_ids: Sequence[str]) -> Iterator[None]:
        """Mark ``article_ids`` as being changed by this process while the block runs; the mark stays
        if the block fails or the process dies, and :meth:`reconcile` then tidies those articles."""
        me = (socket.gethostname(), os.getpid())
        with self._guard("mark articles pending"):
            now = time.time()
            entries = self._pending_entries()
            self._set_pending_entries([*entries, *((a, me[0], me[1], now) for a in article_ids)])
        yield
        with self._guard("clear the pending mark"):
            mine = set(article_ids)
            left = [e for e in self._pending_entries() if not (e[0] in mine and (e[1], e[2]) == me)]
            self._set_pending_entries(left)

    def reconcile(self) -> list[str]:
        """Tidy what an interrupted writer left of the pending articles: chunks their records do not
        list (all of them when the record is gone) and, for articles without a record, their
        sentence vectors. Bounded by the mark. Entries of a writer that is still at work (a live
        process on this host, or any entry younger than :data:`STALE_PENDING_S` from another host)
        are left alone. Returns the article ids it tidied."""
        with self._guard("reconcile the index"):
            entries = [e for e in self._pending_entries() if _writer_gone(e)]
            ids = sorted({e[0] for e in entries})
            if not ids:
                return []
            committed = self._commits(ids)
            for article_id in ids:
                got = self._chunks.get(where={"article_id": article_id}, include=["metadatas"])
                metas: Sequence[Mapping[str, Any] | None] = got["metadatas"] or [None] * len(got["ids"])
                record = committed.get(article_id)
                stale = [
                    cid for cid, m in zip(got["ids"], metas, strict=True) if record is None or not record.shows(cid, m)
                ]
                self._delete_chunks(stale)
                if record is None:
                    self._sentences.delete(where={"article_id": article_id})
            gone = [a for a in ids if a not in committed]
            if gone:  # a forget of these (or their first ingest) died: a later forget succeeds
                self._set_mark(TOMBSTONES_KEY, [*self._mark(TOMBSTONES_KEY), *gone][-MAX_TOMBSTONES:])
            tidied = set(entries)
            self._set_pending_entries([e for e in self._pending_entries() if e not in tidied])
        return ids

    def _commits(self, article_ids: Sequence[str]) -> dict[str, Commit]:
        """What the records of these articles commit (articles without a record are left out)."""
        out: dict[str, Commit] = {}
        unique = list(dict.fromkeys(article_ids))
        step = self.max_batch
        for i in range(0, len(unique), step):
            got = self._articles.get(ids=unique[i : i + step], include=["metadatas"])
            for aid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
                out[aid] = Commit(str((meta or {}).get("content_hash") or ""), committed_chunks(meta))
        return out

    def _visible(self, ids: Sequence[str], metas: Sequence[Mapping[str, Any] | None]) -> list[bool]:
        """Which of these chunks are part of their article as committed (see the module's notes)."""
        commits = self._commits([str((m or {}).get("article_id", "")) for m in metas])
        out = []
        for cid, meta in zip(ids, metas, strict=True):
            commit = commits.get(str((meta or {}).get("article_id", "")))
            out.append(commit is not None and commit.shows(cid, meta))
        return out

    def _chunk_ids_of(self, *article_ids: str) -> list[str]:
        if not article_ids:
            return []
        where: dict[str, Any] = (
            {"article_id": article_ids[0]} if len(article_ids) == 1 else {"article_id": {"$in": list(article_ids)}}
        )
        return list(self._chunks.get(where=where, include=[])["ids"])

    def _delete_chunks(self, ids: Sequence[str]) -> None:
        step = self.max_batch
        for i in range(0, len(ids), step):
            self._chunks.delete(ids=list(ids[i : i + step]))
