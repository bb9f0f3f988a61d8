"""The chunk store: chromadb on disk (``PersistentClient``) or a ``chroma run`` server (``HttpClient``).

The collections:

* ``<collection>``: one record per chunk: its vector (cosine space), its text, and metadata to cite
  and filter it (article id, title, date as ``YYYYMMDD`` int, source, url, index, offsets,
  sentence spans as JSON). The collection metadata records the embedder identity that built it.
* ``<collection>_articles``: one record per article: its full text and metadata, with
  ``content_hash``, ``n_chunks`` and the ``chunk_ids`` it commits. Written after the chunks and
  before the stale chunks are dropped, so an article whose record is missing or carries an old
  hash is re-done by the next ingest.
* ``<collection>_sentences``: one vector per sentence, for citing the right sentence.
* ``<collection>_changes``: the change log (:mod:`index.changelog`): one entry per article upsert
  or forget, written just before its commit, which every process's lexical index follows
  (:mod:`index.lexical_follow`).

Consistency (:mod:`index.store_commit`): the article record is the commit. A chunk is visible (to
``query``, ``get_passages``, ``iter_passages``, and so to the lexical leg, which reads its hits back
through ``get_passages``) only while a committed record lists it, so the chunks of a half-written
article or a half-done forget are never returned; reconcile on open tidies what a crash left.

We always pass our own embedding function (chromadb's default one downloads a model) and embed
ourselves; chromadb's telemetry is off.

The code is split: :mod:`index.chroma_store` holds the client, the collections and the embedder
check (:class:`~index.chroma_store.ChromaStore`, the base class), :mod:`index.store_commit` the
commit model, :mod:`index.store_records` the record layouts and filters; this module writes and
reads articles, chunks and sentence vectors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .chroma_store import (
    COLLECTION_NAME,
    DEFAULT_EF_SEARCH,
    EMBEDDER_KEY,
    SCHEMA_KEY,
    SCHEMA_VERSION,
    parse_chroma_url,
)
from .crash import crash_point
from .documents import Article, ArticleInfo, Chunk, Filters, Passage, date_number
from .errors import NotFoundError, StoreError
from .store_commit import PENDING_KEY, CommittedStore
from .store_records import (
    check_chunks,
    chroma_where,
    chunk_metadata,
    number_date,
    record_info,
    record_metadata,
    record_passage,
)

_CHUNK_INCLUDE: list[Any] = ["documents", "metadatas"]

RECORD_BATCH_CHARS = 4_000_000
"""Article texts per records write: keeps one request to a ``chroma run`` server reasonably small."""


def _record_batches(
    records: list[tuple[Article, dict[str, str | int]]], step: int
) -> Iterator[list[tuple[Article, dict[str, str | int]]]]:
    part: list[tuple[Article, dict[str, str | int]]] = []
    chars = 0
    for article, meta in records:
        if part and (len(part) >= step or chars + len(article.text) > RECORD_BATCH_CHARS):
            yield part
            part, chars = [], 0
        part.append((article, meta))
        chars += len(article.text)
    if part:
        yield part


class ChunkStore(CommittedStore):
    """Chunks with their vectors and metadata, plus article records; see the module docstring."""

    # --- writing ------------------------------------------------------------------------------

    def upsert_article(self, article: Article, chunks: list[Chunk], vectors: NDArray[Any]) -> None:
        """Write the chunks, then the record (the commit), then drop its chunks that are not among them."""
        self.upsert_articles([(article, chunks, vectors)])

    def upsert_articles(self, items: Sequence[tuple[Article, list[Chunk], NDArray[Any]]]) -> None:
        """:meth:`upsert_article` for many articles in few chromadb calls (each write costs tens of ms
        on disk): all their chunks, then all their records (the commit), then the stale chunks dropped."""
        if not items:
            return
        seen: set[str] = set()
        for article, chunks, vectors in items:
            if article.id in seen:
                raise StoreError(f"article {article.id!r} is given twice in one batch", article_id=article.id)
            seen.add(article.id)
            check_chunks(article, chunks, vectors)
        self._check_identity()
        ids = [c.id for _, chunks, _ in items for c in chunks]
        rows = [(article, c) for article, chunks, _ in items for c in chunks]
        dims = {np.asarray(v).shape[1] for _, chunks, v in items if chunks}
        if len(dims) > 1:
            raise StoreError(f"vectors of different sizes in one batch: {sorted(dims)}")
        step = self.max_batch
        what = items[0][0].id if len(items) == 1 else f"{len(items)} articles"
        with self._guard(f"write the chunks of {what!r}"):
            if rows:
                matrix = np.vstack([np.asarray(v, dtype=np.float32) for _, chunks, v in items if chunks])
                for i in range(0, len(rows), step):
                    part = rows[i : i + step]
                    self._chunks.upsert(
                        ids=[c.id for _, c in part],
                        embeddings=matrix[i : i + step],
                        documents=[c.text for _, c in part],
                        metadatas=[chunk_metadata(a, c) for a, c in part],
                    )
            crash_point("ingest:chunks")
            records = [(article, record_metadata(article, [c.id for c in chunks])) for article, chunks, _ in items]
            for batch in _record_batches(records, step):
                # Announced just before it is committed: every commit has an entry (see index.changelog).
                self.changes.append([(a.id, "upsert", a.content_hash) for a, _ in batch])
                crash_point("ingest:logged")
                self._articles.upsert(
                    ids=[a.id for a, _ in batch],
                    embeddings=np.ones((len(batch), 1), dtype=np.float32),
                    documents=[a.text for a, _ in batch],
                    metadatas=[m for _, m in batch],
                )
            crash_point("ingest:records")
            # Only now, with the records committed (they list the chunks that count), the old ones go.
            new = set(ids)
            self._delete_chunks([cid for cid in self._chunk_ids_of(*seen) if cid not in new])
            crash_point("ingest:stale")
            self.changes.maybe_trim()  # housekeeping, after the commit it must not delay

    def replace_sentences(self, items: Sequence[tuple[str, Sequence[str], NDArray[Any]]]) -> None:
        """Sentence vectors, per article ``(article_id, sentence ids, vectors)``: old ones replaced.

        Written before the articles' records (see :meth:`upsert_articles`), so a crash leaves
        the article looking un-ingested and the next run writes them again.
        """
        if not items:
            return
        self._check_identity()
        with self._guard("write sentence vectors"):
            article_ids = [a for a, _, _ in items]
            where: dict[str, Any] = {"article_id": {"$in": article_ids}}
            self._sentences.delete(where=where)
            ids = [sid for _, sids, _ in items for sid in sids]
            if not ids:
                return
            vectors = np.vstack([np.asarray(v, dtype=np.float32) for _, sids, v in items if len(sids)])
            metas: list[Mapping[str, Any]] = [{"article_id": a} for a, sids, _ in items for _ in sids]
            step = self.max_batch
            for i in range(0, len(ids), step):
                self._sentences.add(
                    ids=ids[i : i + step],
                    embeddings=vectors[i : i + step],
                    metadatas=metas[i : i + step],  # type: ignore[arg-type]
                )
        crash_point("ingest:sentences")

    def sentence_vectors(self, ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The stored vectors of these sentence ids (unknown ids are left out)."""
        if not ids:
            return {}
        self._check_identity()
        out: dict[str, NDArray[np.float32]] = {}
        with self._guard("read sentence vectors"):
            step = self.max_batch
            unique = list(dict.fromkeys(ids))
            for i in range(0, len(unique), step):
                got = self._sentences.get(ids=unique[i : i + step], include=["embeddings"])  # type: ignore[list-item]
                embeddings = got["embeddings"]
                if embeddings is None:
                    continue
                for sid, vec in zip(got["ids"], embeddings, strict=True):
                    out[sid] = np.asarray(vec, dtype=np.float32)
        return out

    def delete_article(self, article_id: str) -> int:
        """Remove the article's record, chunks and sentence vectors; the number of chunks removed.

        Idempotent after a crash: whatever an interrupted forget left (chunks, sentence vectors) is
        removed by the next call, which succeeds. :class:`NotFoundError` only when nothing of the
        article is left at all."""
        with self._guard(f"delete article {article_id!r}"):
            chunk_ids = self._chunk_ids_of(article_id)
            has_record = bool(self._articles.get(ids=[article_id], include=[])["ids"])
            has_sentences = bool(self._sentences.get(where={"article_id": article_id}, limit=1, include=[])["ids"])
            if not (has_record or chunk_ids or has_sentences):
                if self._take_tombstone(article_id):
                    return 0  # an interrupted forget that opening the index has finished
                raise NotFoundError(f"no article {article_id!r} in the index", article_id=article_id)
            with self.pending([article_id]):
                crash_point("forget:pending")
                # The record first: it is the commit, so the article is invisible from here on.
                if has_record:
                    self.changes.append([(article_id, "forget", "")])  # announced just before
                    crash_point("forget:logged")
                    self._articles.delete(ids=[article_id])
                crash_point("forget:record")
                self._delete_chunks(chunk_ids)
                crash_point("forget:chunks")
                self._sentences.delete(where={"article_id": article_id})
                crash_point("forget:sentences")
            self.changes.maybe_trim()
        return len(chunk_ids)

    # --- reading ------------------------------------------------------------------------------

    def count(self) -> int:
        """How many chunks the store holds."""
        with self._guard("count chunks"):
            return int(self._chunks.count())

    def article_hash(self, article_id: str) -> str | None:
        """The content hash the article was indexed with; ``None`` if it is not (fully) indexed."""
        with self._guard(f"read article {article_id!r}"):
            got = self._articles.get(ids=[article_id], include=["metadatas"])
        metas = got["metadatas"] or []
        if not got["ids"] or not metas or not metas[0]:
            return None
        value = metas[0].get("content_hash")
        return str(value) if value else None

    def article_hashes(self) -> dict[str, str]:
        """Every indexed article id → its content hash."""
        return {
            aid: str(meta["content_hash"])
            for aid, _, meta in self._page(self._articles, ["metadatas"])
            if meta and meta.get("content_hash")
        }

    def hashes_of(self, article_ids: Sequence[str]) -> dict[str, str]:
        """The content hashes of these articles as committed (articles without a record are left out)."""
        with self._guard("read article records"):
            return {aid: c.content_hash for aid, c in self._commits(article_ids).items()}

    def committed_passages(self, article_ids: Sequence[str]) -> dict[str, tuple[str, list[Passage]]]:
        """Each of these articles' content hash and visible chunks, in order, as one read of its
        record commits them (articles without a record are left out)."""
        with self._guard("read article records"):
            commits = self._commits(article_ids)
            listed = {aid: c.chunk_ids for aid, c in commits.items() if c.chunk_ids is not None}
            unlisted = [aid for aid, c in commits.items() if c.chunk_ids is None]
            ids = [cid for chunk_ids in listed.values() for cid in sorted(chunk_ids)] + self._chunk_ids_of(*unlisted)
        by_article: dict[str, list[Passage]] = {aid: [] for aid in commits}
        for p in self.get_passages(ids):
            if p.article_id in by_article:
                by_article[p.article_id].append(p)
        return {aid: (commits[aid].content_hash, sorted(ps, key=lambda p: p.index)) for aid, ps in by_article.items()}

    def get_article(self, article_id: str) -> Article:
        with self._guard(f"read article {article_id!r}"):
            got = self._articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not got["ids"]:
            raise NotFoundError(f"no article {article_id!r} in the index", article_id=article_id)
        meta: Mapping[str, Any] = (got["metadatas"] or [{}])[0] or {}
        return Article(
            id=article_id,
            title=str(meta.get("title", "")),
            text=(got["documents"] or [""])[0] or "",
            date=number_date(meta.get("date")),
            source=str(meta.get("source", "")),
            url=str(meta.get("url", "")),
            summary=str(meta.get("summary", "")),
            path=str(meta.get("path", "")),
        )

    def list_articles(self) -> list[ArticleInfo]:
        """Every indexed article, newest first (undated last), then by title."""
        infos = [record_info(aid, meta) for aid, _, meta in self._page(self._articles, ["metadatas"])]
        infos.sort(key=lambda a: (-date_number(a.date), a.title, a.id))
        return infos

    def query(self, vector: NDArray[Any], k: int, filters: Filters | None = None) -> list[Passage]:
        """The ``k`` chunks nearest to ``vector`` (cosine), best first; ``score = 1 - distance``."""
        where = chroma_where(filters)
        self._check_identity()
        if k < 1:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        with self._guard("query"):
            n = int(self._chunks.count())
            want = min(k, n)
            while want:
                res = self._chunks.query(
                    query_embeddings=query.reshape(1, -1),
                    n_results=want,
                    where=where,
                    include=["documents", "metadatas", "distances"],
                )
                ids = res["ids"][0] if res["ids"] else []
                docs = (res["documents"] or [[]])[0]
                metas = (res["metadatas"] or [[]])[0]
                dists = (res["distances"] or [[]])[0]
                visible = self._visible(ids, metas)
                if sum(visible) >= min(k, len(ids)) or want >= n:
                    break
                want = min(n, want * 4)  # uncommitted chunks took places: look deeper
            else:
                return []
        out = [record_passage(cid, docs[i], metas[i], 1.0 - float(dists[i])) for i, cid in enumerate(ids) if visible[i]]
        return out[:k]

    def get_passages(self, chunk_ids: Sequence[str]) -> list[Passage]:
        """The chunks with these ids, in the order asked (each once; unknown ids are skipped)."""
        wanted = list(dict.fromkeys(chunk_ids))
        found: dict[str, Passage] = {}
        step = self.max_batch
        with self._guard("read chunks"):
            for i in range(0, len(wanted), step):
                got = self._chunks.get(ids=wanted[i : i + step], include=_CHUNK_INCLUDE)
                docs = got["documents"] or []
                metas = got["metadatas"] or []
                visible = self._visible(got["ids"], metas)
                for j, cid in enumerate(got["ids"]):
                    if visible[j]:
                        found[cid] = record_passage(cid, docs[j], metas[j])
        return [found[cid] for cid in wanted if cid in found]

    def iter_passages(self, batch_size: int = 1000) -> Iterator[Passage]:
        """Every visible chunk in the store (see the module's notes), read ``batch_size`` at a time."""
        page: list[tuple[str, str | None, Mapping[str, Any] | None]] = []
        for row in self._page(self._chunks, _CHUNK_INCLUDE, batch_size):
            page.append(row)
            if len(page) >= max(1, batch_size):
                yield from self._visible_passages(page)
                page = []
        yield from self._visible_passages(page)

    def _visible_passages(self, rows: list[tuple[str, str | None, Mapping[str, Any] | None]]) -> Iterator[Passage]:
        if not rows:
            return
        with self._guard("read chunks"):
            visible = self._visible([cid for cid, _, _ in rows], [meta for _, _, meta in rows])
        for (cid, doc, meta), ok in zip(rows, visible, strict=True):
            if ok:
                yield record_passage(cid, doc, meta)


__all__ = [
    "COLLECTION_NAME",
    "DEFAULT_EF_SEARCH",
    "EMBEDDER_KEY",
    "PENDING_KEY",
    "RECORD_BATCH_CHARS",
    "SCHEMA_KEY",
    "SCHEMA_VERSION",
    "ChunkStore",
    "chroma_where",
    "number_date",
    "parse_chroma_url",
]
