"""The chunk store: chromadb on disk (``PersistentClient``) or a ``chroma run`` server (``HttpClient``).

Two collections:

* ``<collection>``: one record per chunk: its vector (cosine space), its text, and metadata to cite
  and filter it (article id, title, date as ``YYYYMMDD`` int, source, url, index, offsets,
  sentence spans as JSON). The collection metadata records the embedder identity that built it.
* ``<collection>_articles``: one record per article: its full text and metadata, with
  ``content_hash`` and ``n_chunks``. Written *last* by :meth:`ChunkStore.upsert_article`, so an
  article whose record is missing or carries an old hash is re-done by the next ingest.

We always pass our own embedding function (chromadb's default one downloads a model) and embed
ourselves; chromadb's telemetry is off.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from .chroma_ef import RecordEmbeddingFunction, SanadEmbeddingFunction
from .documents import Article, ArticleInfo, Chunk, Filters, Passage, Span, date_number
from .embeddings import Embedder
from .errors import ConfigError, EmbedderMismatchError, NotFoundError, RequestError, SanadError, StoreError

SCHEMA_VERSION = 1
EMBEDDER_KEY = "sanad_embedder"
SCHEMA_KEY = "sanad_schema"
DEFAULT_EF_SEARCH = 800
"""HNSW search breadth of the chunk collection. chromadb's default (100) finds only 85 % of the
exact top 50 for Arabic questions over 25k chunks of multilingual-e5-small vectors, 76 % for
English ones (their cosines are closer together); 800 finds 99.5 % / 98 % at about the same
latency (``benchmarks/hnsw_recall.py``)."""
_CHUNK_INCLUDE: list[Any] = ["documents", "metadatas"]
COLLECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,498}[A-Za-z0-9]")


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """``http://host:port`` → ``(host, port, ssl)``; the port defaults to 8000 (http) or 443 (https)."""
    parts = urlsplit(url.strip() if "://" in url else f"http://{url.strip()}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"chroma url must look like http://host:port, got {url!r}", url=url)
    if parts.path not in ("", "/"):
        raise ConfigError(f"chroma url takes no path, got {url!r}", url=url)
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"chroma url has a bad port: {url!r}", url=url) from exc
    ssl = parts.scheme == "https"
    return parts.hostname, port or (443 if ssl else 8000), ssl


def chroma_where(filters: Filters | None) -> dict[str, Any] | None:
    """Filters → a chromadb ``where`` on the chunk metadata (``None`` when nothing filters).

    An article without a date (stored as 0) is kept only when no date bound is given.
    """
    if filters is None or filters.empty:
        return None
    if filters.since and filters.until and filters.since > filters.until:
        raise RequestError(f"since ({filters.since}) is after until ({filters.until})")
    clauses: list[dict[str, Any]] = []
    if filters.sources:
        clauses.append({"source": {"$in": list(dict.fromkeys(filters.sources))}})
    if filters.article_ids:
        clauses.append({"article_id": {"$in": list(dict.fromkeys(filters.article_ids))}})
    if filters.since or filters.until:
        clauses.append({"date": {"$gte": date_number(filters.since) if filters.since else 1}})
    if filters.until:
        clauses.append({"date": {"$lte": date_number(filters.until)}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def number_date(n: Any) -> dt.date | None:
    """The inverse of :func:`index.documents.date_number` (0 or junk → ``None``)."""
    try:
        n = int(n)
        return dt.date(n // 10000, n // 100 % 100, n % 100) if n > 0 else None
    except (TypeError, ValueError):
        return None


def _chunk_metadata(article: Article, chunk: Chunk) -> dict[str, str | int]:
    return {
        "article_id": article.id,
        "title": article.title,
        "date": date_number(article.date),
        "source": article.source,
        "url": article.url,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "sentences": json.dumps([[s.start, s.end] for s in chunk.sentences]),
    }


def _passage(chunk_id: str, text: str | None, meta: Mapping[str, Any] | None, score: float = 0.0) -> Passage:
    meta = meta or {}
    sentences = [Span(start=int(s), end=int(e)) for s, e in json.loads(str(meta.get("sentences") or "[]"))]
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta.get("article_id", "")),
        title=str(meta.get("title", "")),
        date=number_date(meta.get("date")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
        index=int(meta.get("index", 0)),
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        text=text or "",
        sentences=sentences,
        score=score,
    )


def _info(article_id: str, meta: Mapping[str, Any] | None) -> ArticleInfo:
    meta = meta or {}
    return ArticleInfo(
        id=article_id,
        title=str(meta.get("title", "")),
        date=number_date(meta.get("date")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
        chunks=int(meta.get("n_chunks", 0)),
        chars=int(meta.get("chars", 0)),
        content_hash=str(meta.get("content_hash", "")),
    )


def _check_chunks(article: Article, chunks: Sequence[Chunk], vectors: NDArray[Any]) -> None:
    ids = [c.id for c in chunks]
    if len(set(ids)) != len(ids):
        raise StoreError(f"article {article.id!r} has duplicate chunk ids", article_id=article.id)
    if any(c.article_id != article.id for c in chunks):
        raise StoreError(f"chunks given for article {article.id!r} belong to another article", article_id=article.id)
    shape = np.shape(vectors)
    if chunks and (len(shape) != 2 or shape[0] != len(chunks)):
        raise StoreError(
            f"article {article.id!r}: {len(chunks)} chunks but vectors of shape {shape}", article_id=article.id
        )


def _record_metadata(article: Article, n_chunks: int) -> dict[str, str | int]:
    return {
        "title": article.title,
        "date": date_number(article.date),
        "source": article.source,
        "url": article.url,
        "summary": article.summary,
        "path": article.path,
        "content_hash": article.content_hash,
        "n_chunks": n_chunks,
        "chars": len(article.text),
    }


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


class ChunkStore:
    """Chunks with their vectors and metadata, plus article records; see the module docstring."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        path: Path | None = None,
        url: str | None = None,
        collection: str = "sanad",
        allow_mismatch: bool = False,
        ef_search: int = DEFAULT_EF_SEARCH,
    ) -> None:
        """``allow_mismatch=True`` opens an index built by another embedder for reading articles
        back and :meth:`reset` (what a rebuild needs); querying or writing it still raises.
        ``ef_search`` is the HNSW search breadth of the chunk collection (see :data:`DEFAULT_EF_SEARCH`);
        an existing collection opened with another value is switched to this one."""
        import chromadb
        from chromadb.config import Settings

        if not COLLECTION_NAME.fullmatch(collection):
            raise ConfigError(
                f"bad chroma collection name {collection!r}: 3-500 characters of a-z A-Z 0-9 . _ -, "
                "starting and ending with a letter or digit",
                collection=collection,
            )
        if ef_search < 1:
            raise ConfigError(f"ef_search must be at least 1, got {ef_search}", ef_search=ef_search)
        self.embedder = embedder
        self.ef_search = ef_search
        self.collection_name = collection
        self.articles_name = f"{collection}_articles"
        self.sentences_name = f"{collection}_sentences"
        self._ef = SanadEmbeddingFunction(embedder)
        self._record_ef = RecordEmbeddingFunction()
        self._max_batch: int | None = None
        self._allow_mismatch = allow_mismatch
        self.indexed_identity: str | None = None
        settings = Settings(anonymized_telemetry=False)
        if url:
            host, port, ssl = parse_chroma_url(url)
            self.location = url
            self._is_local = False
            try:
                self._client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)
            except Exception as exc:
                raise StoreError(f"cannot reach the chroma server at {url}: {exc}", url=url) from exc
        elif path is not None:
            self.location = str(path)
            self._is_local = True
            try:
                Path(path).mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(path), settings=settings)
            except Exception as exc:
                raise StoreError(f"cannot open the chroma store at {path}: {exc}", path=str(path)) from exc
        else:
            raise ConfigError("ChunkStore needs a path (on disk) or a url (a `chroma run` server)")
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    # --- opening, identity ------------------------------------------------------------------

    def _open(self) -> None:
        identity = self.embedder.identity
        with self._guard("open the collections"):
            chunks = self._client.get_or_create_collection(
                self.collection_name,
                configuration={"hnsw": {"space": "cosine", "ef_search": self.ef_search}},
                metadata={EMBEDDER_KEY: identity, SCHEMA_KEY: SCHEMA_VERSION},
                embedding_function=self._ef,  # type: ignore[arg-type]
            )
            recorded = (chunks.metadata or {}).get(EMBEDDER_KEY)
            if recorded is None and chunks.count() == 0:  # an empty collection made by someone else: adopt it
                chunks.modify(metadata={**(chunks.metadata or {}), EMBEDDER_KEY: identity, SCHEMA_KEY: SCHEMA_VERSION})
                recorded = identity
            self.indexed_identity = str(recorded) if recorded is not None else None
            hnsw = (chunks.configuration_json or {}).get("hnsw") or {}
            space = hnsw.get("space", "cosine")
            if hnsw.get("ef_search") != self.ef_search:  # made before, or with another breadth
                chunks.modify(configuration={"hnsw": {"ef_search": self.ef_search}})
            self._problem: SanadError | None = None
            if recorded != identity:
                self._problem = self._mismatch(self.indexed_identity)
            elif space != "cosine":
                self._problem = StoreError(
                    f"collection {self.collection_name!r} at {self.location} uses the {space!r} distance, "
                    f"Sanad needs 'cosine'; rebuild it with `sanad reindex`, or delete it and ingest again",
                    collection=self.collection_name,
                    space=space,
                )
            if self._problem is not None and not self._allow_mismatch:
                raise self._problem
            articles = self._client.get_or_create_collection(
                self.articles_name,
                metadata={SCHEMA_KEY: SCHEMA_VERSION},
                embedding_function=self._record_ef,  # type: ignore[arg-type]
            )
            sentences = self._client.get_or_create_collection(
                self.sentences_name,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={EMBEDDER_KEY: identity, SCHEMA_KEY: SCHEMA_VERSION},
                embedding_function=self._ef,  # type: ignore[arg-type]
            )
        self._chunks = chunks
        self._articles = articles
        self._sentences = sentences

    @property
    def mismatched(self) -> bool:
        """True when the index cannot serve this embedder (vectors of another one, or not cosine);
        only possible when opened with ``allow_mismatch=True``; :meth:`reset` clears it."""
        return self._problem is not None

    def _check_identity(self) -> None:
        if self._problem is not None:
            raise self._problem

    def _mismatch(self, recorded: str | None) -> EmbedderMismatchError:
        identity = self.embedder.identity
        where = f"on disk: remove {self.location}" if self._is_local else f"on the server at {self.location}"
        built = f"embedder {recorded!r}" if recorded else "an unknown embedder"
        back = f", or set SANAD_EMBEDDER back to the one that built it ({recorded!r})" if recorded else ""
        return EmbedderMismatchError(
            f"the index in collection {self.collection_name!r} at {self.location} was built with {built}, "
            f"but the configured embedder is {identity!r}; vectors from different embedders cannot be compared. "
            f"Rebuild the index with `sanad reindex` (re-embeds every stored article with {identity!r}), "
            f"or delete the collections {self.collection_name!r} and {self.articles_name!r} ({where}) "
            f"and ingest again{back}.",
            index_identity=recorded,
            embedder_identity=identity,
            collection=self.collection_name,
            location=self.location,
        )

    @property
    def identity(self) -> str:
        """The identity of the embedder whose vectors this store holds."""
        return self.embedder.identity

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """chromadb and connection errors → :class:`StoreError` naming the store."""
        try:
            yield
        except SanadError:
            raise
        except Exception as exc:
            raise StoreError(
                f"chroma store at {self.location} failed to {action}: {type(exc).__name__}: {exc}",
                location=self.location,
                action=action,
            ) from exc

    @property
    def max_batch(self) -> int:
        """The most records chromadb takes in one call (``client.get_max_batch_size()``)."""
        if self._max_batch is None:
            with self._guard("read its max batch size"):
                self._max_batch = max(1, int(self._client.get_max_batch_size()))
        return self._max_batch

    # --- writing ------------------------------------------------------------------------------

    def upsert_article(self, article: Article, chunks: list[Chunk], vectors: NDArray[Any]) -> None:
        """Write the chunks, drop the article's chunks that are not among them, then the record."""
        self.upsert_articles([(article, chunks, vectors)])

    def upsert_articles(self, items: Sequence[tuple[Article, list[Chunk], NDArray[Any]]]) -> None:
        """:meth:`upsert_article` for many articles in few chromadb calls (each write costs tens of ms
        on disk): all their chunks, then the stale chunks dropped, then all their records, last."""
        if not items:
            return
        seen: set[str] = set()
        for article, chunks, vectors in items:
            if article.id in seen:
                raise StoreError(f"article {article.id!r} is given twice in one batch", article_id=article.id)
            seen.add(article.id)
            _check_chunks(article, chunks, vectors)
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
                        metadatas=[_chunk_metadata(a, c) for a, c in part],
                    )
            new = set(ids)
            self._delete_chunks([cid for cid in self._chunk_ids_of(*seen) if cid not in new])
            records = [(article, _record_metadata(article, len(chunks))) for article, chunks, _ in items]
            for batch in _record_batches(records, step):
                self._articles.upsert(
                    ids=[a.id for a, _ in batch],
                    embeddings=np.ones((len(batch), 1), dtype=np.float32),
                    documents=[a.text for a, _ in batch],
                    metadatas=[m for _, m in batch],
                )

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
        """Remove the article's record and chunks; the number of chunks removed."""
        with self._guard(f"delete article {article_id!r}"):
            chunk_ids = self._chunk_ids_of(article_id)
            has_record = bool(self._articles.get(ids=[article_id], include=[])["ids"])
            if not has_record and not chunk_ids:
                raise NotFoundError(f"no article {article_id!r} in the index", article_id=article_id)
            # The record first: if we die half-way, the article looks un-ingested and is redone.
            if has_record:
                self._articles.delete(ids=[article_id])
            self._delete_chunks(chunk_ids)
            self._sentences.delete(where={"article_id": article_id})
        return len(chunk_ids)

    def reset(self) -> None:
        """Drop both collections (every chunk and article) and start empty with the current embedder."""
        from chromadb.errors import NotFoundError as ChromaNotFound

        with self._guard("reset"):
            for name in (self.collection_name, self.articles_name, self.sentences_name):
                with contextlib.suppress(ChromaNotFound, ValueError):
                    self._client.delete_collection(name)
        self._open()

    def close(self) -> None:
        """Release the client: its sqlite handles on disk, or its HTTP connections to a server.

        chromadb 1.5.9's HTTP client never closes its ``httpx.Client`` sessions (one for the
        client, one for its internal admin client, each on a system of its own, private to this
        client), which leaks sockets (``ResourceWarning``). After ``Client.close()`` we close
        them, and drop the registry keys ``AdminClient.from_system`` minted for our system and
        never released.
        """
        from chromadb.api.shared_system_client import SharedSystemClient

        client: Any = self._client
        if getattr(client, "_closed", False):
            return
        owned: list[tuple[Any, Any]] = []  # (system, http session) of the client and its admin client
        if not self._is_local:
            parts: list[Any] = [client, getattr(client, "_admin_client", None)]
            for part in parts:
                with contextlib.suppress(Exception):
                    owned.append((part._system, getattr(part._server, "_session", None)))
        client.close()
        registry = SharedSystemClient._identifier_to_system
        for system, session in owned:
            for key in [k for k, v in registry.items() if v is system]:
                if SharedSystemClient._identifier_to_refcount.get(key, 0) <= 0:
                    del registry[key]
            if session is not None:
                session.close()

    def __enter__(self) -> ChunkStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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
        infos = [_info(aid, meta) for aid, _, meta in self._page(self._articles, ["metadatas"])]
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
            if n == 0:
                return []
            res = self._chunks.query(
                query_embeddings=query.reshape(1, -1),
                n_results=min(k, n),
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        ids = res["ids"][0] if res["ids"] else []
        docs = (res["documents"] or [[]])[0]
        metas = (res["metadatas"] or [[]])[0]
        dists = (res["distances"] or [[]])[0]
        return [_passage(cid, docs[i], metas[i], 1.0 - float(dists[i])) for i, cid in enumerate(ids)]

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
                for j, cid in enumerate(got["ids"]):
                    found[cid] = _passage(cid, docs[j], metas[j])
        return [found[cid] for cid in wanted if cid in found]

    def iter_passages(self, batch_size: int = 1000) -> Iterator[Passage]:
        """Every chunk in the store, read ``batch_size`` at a time."""
        for cid, doc, meta in self._page(self._chunks, _CHUNK_INCLUDE, batch_size):
            yield _passage(cid, doc, meta)

    def _page(
        self, collection: Any, include: list[Any], batch_size: int | None = None
    ) -> Iterator[tuple[str, str | None, Mapping[str, Any] | None]]:
        size = max(1, min(batch_size or self.max_batch, self.max_batch))
        offset = 0
        while True:
            with self._guard(f"read {collection.name}"):
                got = collection.get(limit=size, offset=offset, include=include)
            ids = list(got["ids"])
            docs = got["documents"] or [None] * len(ids)
            metas = got["metadatas"] or [None] * len(ids)
            yield from zip(ids, docs, metas, strict=True)
            if len(ids) < size:
                return
            offset += size


__all__ = ["ChunkStore", "chroma_where", "number_date", "parse_chroma_url"]
