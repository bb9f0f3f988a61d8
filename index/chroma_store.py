"""The chromadb side of the chunk store: the client, the collections, the embedder check.

:class:`ChromaStore` (the base of :class:`index.store.ChunkStore`) connects to chromadb on disk
(``PersistentClient``) or to a ``chroma run`` server (``HttpClient``, :func:`parse_chroma_url`),
opens or creates the chunk, article, sentence and change log (:mod:`index.changelog`) collections,
compares the embedder identity recorded on the chunk collection with the configured one (by vector identity,
:func:`~index.embedder_registry.vector_identity`: model and weights, so e5's fp32 and bf16 are
one) and its HNSW space and search breadth, turns chromadb and connection errors into
:class:`~index.errors.StoreError`, knows the client's batch limit, pages through a collection,
and resets and closes the store.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from .changelog import CHANGES_SUFFIX, ChangeLog
from .chroma_ef import RecordEmbeddingFunction, SanadEmbeddingFunction
from .chunking import ChunkContext
from .embedder_registry import vector_identity
from .embeddings import Embedder
from .errors import ConfigError, EmbedderMismatchError, SanadError, StoreError

SCHEMA_VERSION = 1
EMBEDDER_KEY = "sanad_embedder"
SCHEMA_KEY = "sanad_schema"
CONTEXT_KEY = "sanad_chunk_context"
"""What each chunk was embedded with besides its text (:data:`index.chunking.ChunkContext`); absent: ``"none"``."""
DEFAULT_EF_SEARCH = 800
"""HNSW search breadth of the chunk collection. chromadb's default (100) finds only 85 % of the
exact top 50 for Arabic questions over 25k chunks of multilingual-e5-small vectors, 76 % for
English ones (their cosines are closer together); 800 finds 99.5 % / 98 % at about the same
latency (``benchmarks/hnsw_recall.py``)."""
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


class ChromaStore:
    """A chromadb client and Sanad's three collections on it; see the module docstring."""

    def __init__(
        self,
        embedder: Embedder,
        *,
        path: Path | None = None,
        url: str | None = None,
        collection: str = "sanad",
        allow_mismatch: bool = False,
        ef_search: int = DEFAULT_EF_SEARCH,
        chunk_context: ChunkContext = "none",
    ) -> None:
        """``allow_mismatch=True`` opens an index built by another embedder for reading articles
        back and :meth:`reset` (what a rebuild needs); querying or writing it still raises.
        ``ef_search`` is the HNSW search breadth of the chunk collection (see :data:`DEFAULT_EF_SEARCH`);
        an existing collection opened with another value is switched to this one. ``chunk_context``
        is what the indexer embeds each chunk with besides its text; vectors made with another one
        are a mismatch like another embedder's."""
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
        self.chunk_context = chunk_context
        self.collection_name = collection
        self.articles_name = f"{collection}_articles"
        self.sentences_name = f"{collection}_sentences"
        self.changes_name = f"{collection}{CHANGES_SUFFIX}"
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
        mine = {EMBEDDER_KEY: identity, SCHEMA_KEY: SCHEMA_VERSION, CONTEXT_KEY: self.chunk_context}
        with self._guard("open the collections"):
            chunks = self._client.get_or_create_collection(
                self.collection_name,
                configuration={"hnsw": {"space": "cosine", "ef_search": self.ef_search}},
                metadata=mine,
                embedding_function=self._ef,  # type: ignore[arg-type]
            )
            recorded = (chunks.metadata or {}).get(EMBEDDER_KEY)
            context = str((chunks.metadata or {}).get(CONTEXT_KEY, "none"))
            if (recorded is None or context != self.chunk_context) and chunks.count() == 0:
                chunks.modify(metadata={**(chunks.metadata or {}), **mine})  # empty: adopt it
                recorded, context = identity, self.chunk_context
            self.indexed_identity = str(recorded) if recorded is not None else None
            hnsw = (chunks.configuration_json or {}).get("hnsw") or {}
            space = hnsw.get("space", "cosine")
            if hnsw.get("ef_search") != self.ef_search:  # made before, or with another breadth
                chunks.modify(configuration={"hnsw": {"ef_search": self.ef_search}})
            self._problem: SanadError | None = None
            if recorded is None or vector_identity(str(recorded)) != vector_identity(identity):
                self._problem = self._mismatch(self.indexed_identity)
            elif context != self.chunk_context:
                self._problem = EmbedderMismatchError(
                    f"the chunks in collection {self.collection_name!r} were embedded with context {context!r}, "
                    f"but SANAD_INGEST_CONTEXT is {self.chunk_context!r}; rebuild the index with `sanad reindex`, "
                    f"or set SANAD_INGEST_CONTEXT={context} back",
                    index_context=context,
                    chunk_context=self.chunk_context,
                    collection=self.collection_name,
                )
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
            changes = self._client.get_or_create_collection(
                self.changes_name,
                metadata={SCHEMA_KEY: SCHEMA_VERSION},
                embedding_function=self._record_ef,  # type: ignore[arg-type]
            )
        self._chunks = chunks
        self._articles = articles
        self._sentences = sentences
        self.changes = ChangeLog(changes, self._guard)

    @property
    def mismatched(self) -> bool:
        """True when the index cannot serve this embedder (vectors of another one, or not cosine);
        only possible when opened with ``allow_mismatch=True``; :meth:`reset` clears it."""
        return self._problem is not None

    def _check_identity(self) -> None:
        if self._problem is not None:
            raise self._problem

    def _mismatch(self, recorded: str | None) -> EmbedderMismatchError:
        """The refusal, in words fit for any door: no disk path or server address in it (an HTTP
        client must not learn them), and a value to set back that the setting accepts."""
        from .e5_embedder import spec_for_identity  # e5 names the specs of its identities

        identity = self.embedder.identity
        where = "in the chroma folder of SANAD_HOME" if self._is_local else "on the server SANAD_CHROMA_URL names"
        built = f"embedder {recorded!r}" if recorded else "an unknown embedder"
        spec = spec_for_identity(recorded) if recorded else None
        back = (
            f", or set SANAD_EMBEDDER={spec} (the embedder that built it)"
            if spec
            else ", or set SANAD_EMBEDDER back to the embedder that built it"
            if recorded
            else ""
        )
        return EmbedderMismatchError(
            f"the index in collection {self.collection_name!r} was built with {built}, "
            f"but the configured embedder is {identity!r}; vectors from different embedders cannot be compared. "
            f"Rebuild the index with `sanad reindex` (re-embeds every stored article with {identity!r}), "
            f"or delete the collections {self.collection_name!r} and {self.articles_name!r} ({where}) "
            f"and ingest again{back}.",
            index_identity=recorded,
            embedder_identity=identity,
            collection=self.collection_name,
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

    def reset(self) -> None:
        """Drop the collections (every chunk, article, sentence vector and change log entry) and
        start empty with the current embedder (followers of the old change log repair in full)."""
        from chromadb.errors import NotFoundError as ChromaNotFound

        with self._guard("reset"):
            for name in (self.collection_name, self.articles_name, self.sentences_name, self.changes_name):
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

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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
