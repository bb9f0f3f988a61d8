"""The collaborators of an :class:`~qa.assistant.Assistant`, each built from ``Settings`` on first use.

:class:`Collaborators` is the composition root's half that builds things: the embedder (wrapped
when asked, e.g. by ``SerialEmbedder``), the store (chromadb on disk or a ``chroma run`` server,
reconciled on open), the lexical index and its change-log follower, the story index, the
retrievers and the reranker, the indexer and the chat model; and closes them. The job (ingest,
search, ask, chat, reindex) is :class:`~qa.assistant.Assistant`'s, built on this class.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from index.embeddings import BackendOptions, Embedder, ModelProgress, make_embedder
from index.errors import ConfigError, RequestError
from index.indexer import Indexer
from index.lexical import LexicalIndex
from index.lexical_follow import LexicalFollower
from index.query_memo import QueryMemo
from index.rerank import MaxSimReranker, Reranker, token_embedder
from index.retrieval import DenseRetriever, HybridRetriever, LexicalRetriever, Retriever
from index.store import ChunkStore
from index.stories import StoryIndex
from index.stories import reconcile as reconcile_stories
from index.token_store import TokenStore

from .corroboration import open_stories
from .llm import ChatModel, from_settings
from .settings import Settings

TokenCallback = Callable[[str], None]
EmbedderWrapper = Callable[[Callable[[], Embedder]], Embedder]
"""Given a builder of the settings' embedder, returns the embedder to use (e.g. ``SerialEmbedder``)."""


class Collaborators:
    """Every collaborator, built once from ``settings`` (or the one passed in) on first use."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        store: ChunkStore | None = None,
        retriever: Retriever | None = None,
        chat_model: ChatModel | None = None,
        wrap_embedder: EmbedderWrapper | None = None,
        model_progress: ModelProgress | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._given_embedder = embedder
        self._given_store = store
        self._given_retriever = retriever
        self._given_chat_model = chat_model
        self._wrap_embedder = wrap_embedder
        self._model_progress = model_progress
        self._lock = threading.RLock()  # builds collaborators once; serialises writes
        self._follow_lock = threading.Lock()  # one catch-up at a time, applied to every cache open
        self._embedder: Embedder | None = None
        self._queries: QueryMemo | None = None
        self._chat_model: ChatModel | None = None
        self._chat_model_built = False
        self._reset_index()

    def _reset_index(self) -> None:
        """Forget everything that holds the store open (built again on next use)."""
        self._store: ChunkStore | None = None
        self._lexical: LexicalIndex | None = None
        self._stories: StoryIndex | None = None
        self._follower: LexicalFollower | None = None
        self._retriever: Retriever | None = None
        self._reranker: Reranker | None = None
        self._reranker_built = False
        self._indexer: Indexer | None = None

    # --- collaborators, built lazily from settings --------------------------------------

    @property
    def home(self) -> Path:
        return Path(self.settings.home)

    def build_embedder(self) -> Embedder:
        """A new embedder as the settings name it (``SANAD_EMBEDDER``; models under ``SANAD_MODELS``)."""
        options = BackendOptions(
            models=Path(self.settings.models), progress=self._model_progress, device=self.settings.device
        )
        return make_embedder(self.settings.embedder, options)

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                if self._given_embedder is not None:
                    self._embedder = self._given_embedder
                elif self._wrap_embedder is not None:
                    self._embedder = self._wrap_embedder(self.build_embedder)
                else:
                    self._embedder = self.build_embedder()
            return self._embedder

    @property
    def queries(self) -> Embedder:
        """The embedder for questions: :attr:`embedder` with the last query vectors remembered, so
        retrieval and the extractive answerer embed a question once (:mod:`index.query_memo`)."""
        with self._lock:
            if self._queries is None:
                self._queries = QueryMemo(self.embedder)
            return self._queries

    def _open_store(self, *, allow_mismatch: bool = False) -> ChunkStore:
        """The store, with what a crashed writer left of its pending articles tidied away."""
        chroma = self.settings.chroma
        store = ChunkStore(
            self.embedder,
            path=None if chroma.url else self.home / "chroma",
            url=chroma.url,
            collection=chroma.collection,
            ef_search=chroma.ef_search,
            allow_mismatch=allow_mismatch,
            chunk_context=self.settings.ingest.context,
        )
        if not allow_mismatch:
            store.reconcile()
        return store

    @property
    def store(self) -> ChunkStore:
        with self._lock:
            if self._store is None:
                self._store = self._given_store if self._given_store is not None else self._open_store()
            return self._store

    @property
    def lexical(self) -> LexicalIndex:
        """The BM25 index beside the store, brought up to date with the store's change log on open
        (other processes' and replicas' ingests and forgets, a run that died between the two) and
        before each retrieval (:meth:`follow`)."""
        with self._lock:
            if self._lexical is None:
                lexical = LexicalIndex(
                    self.home / "lexical" / self.settings.chroma.collection,
                    chunk_context=self.settings.ingest.context,
                )
                follower = LexicalFollower(self.store, lexical)
                follower.catch_up(force=True)
                self._lexical, self._follower = lexical, follower
            return self._lexical

    def follow(self) -> None:
        """Apply what other processes committed to the store since the last look (at most every
        0.25 s; :mod:`index.lexical_follow`) to the lexical index, if it is open, and to the story
        cache, if that is open too (the articles the follower re-read or dropped; everything after
        a full repair)."""
        follower, store = self._follower, self._store
        if follower is None or store is None:
            return
        with self._follow_lock:  # not self._lock: an ingest holds that one for long
            report = follower.catch_up()
            if report is not None and self._stories is not None and (report.full or report.indexed or report.dropped):
                reconcile_stories(store, self._stories, None if report.full else [*report.indexed, *report.dropped])

    @property
    def stories(self) -> StoryIndex:
        """Sentence fingerprints and stories (``index.stories``), a cache refilled from the store on
        open and kept in step with other processes' writes by :meth:`follow`."""
        with self._lock:
            opened = self._stories
            if opened is None:
                _ = self.lexical  # its follower tells the stories what other processes changed
                store, path = self.store, self.home / "cache" / f"stories-{self.settings.chroma.collection}.sqlite3"
        if opened is None:
            with self._follow_lock:  # a report of the follower is applied once the cache is open
                if self._stories is None:
                    self._stories = open_stories(path, store)
                opened = self._stories
        self.follow()
        return opened

    @property
    def retriever(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                given = self._given_retriever
                self._retriever = given if given is not None else self.retriever_for(self.settings.retrieval.method)
            return self._retriever

    def retriever_for(self, method: str) -> Retriever:
        """``dense``, ``lexical`` or ``hybrid`` (the default) over this assistant's index."""
        r = self.settings.retrieval
        if method == "dense":
            return DenseRetriever(self.queries, self.store)
        if method == "lexical":
            return LexicalRetriever(self.store, self.lexical)
        if method == "hybrid":
            return HybridRetriever(
                self.queries,
                self.store,
                self.lexical,
                fetch_k=r.fetch_k,
                max_per_article=r.max_per_article,
                sentences=r.sentences,
                reranker=self.reranker,
            )
        raise RequestError(f"unknown retrieval method {method!r}: use dense, lexical or hybrid")

    @property
    def reranker(self) -> Reranker | None:
        """The late-interaction reranker the settings ask for (``auto``: when the embedder can)."""
        with self._lock:
            if not self._reranker_built:
                self._reranker = self._build_reranker()
                self._reranker_built = True
            return self._reranker

    def _build_reranker(self) -> Reranker | None:
        r = self.settings.retrieval
        if r.rerank == "none":
            return None
        encoder = token_embedder(self.embedder)
        if encoder is None:
            if r.rerank == "maxsim":
                raise ConfigError(
                    f"rerank=maxsim needs an embedder with token states (e5 or sentence-transformers), "
                    f"not {self.embedder.identity}",
                    embedder=self.embedder.identity,
                )
            return None
        store = TokenStore(self.home / "cache" / "tokens.sqlite", encoder.identity, max_bytes=r.rerank_disk_bytes)
        return MaxSimReranker(
            encoder, top=r.rerank_top, weight=r.rerank_weight, store=store, chunk_context=self.settings.ingest.context
        )

    @property
    def indexer(self) -> Indexer:
        with self._lock:
            if self._indexer is None:
                ing = self.settings.ingest
                reranker = self.reranker
                tokens = reranker.store if isinstance(reranker, MaxSimReranker) else None
                self._indexer = Indexer(
                    self.embedder,
                    self.store,
                    lexical=self.lexical,
                    stories=self.stories,
                    chunk_tokens=ing.chunk_tokens,
                    batch_size=ing.batch_size,
                    sentence_vectors=self.settings.retrieval.sentences,
                    sentence_pass=ing.sentence_pass,
                    chunk_context=ing.context,
                    token_sink=tokens.put_many if tokens is not None else None,
                    token_budget=self.settings.retrieval.rerank_disk_bytes,
                )
            return self._indexer

    @property
    def chat_model(self) -> ChatModel | None:
        with self._lock:
            if not self._chat_model_built:
                given = self._given_chat_model
                self._chat_model = given if given is not None else from_settings(self.settings.llm)
                self._chat_model_built = True
            return self._chat_model

    @property
    def warm(self) -> bool:
        """True when every collaborator is built (the model loaded, the stores open)."""
        return self._indexer is not None and self._retriever is not None and self._chat_model_built

    def warm_up(self) -> float:
        """Load the embedder and open the stores now (else the first use does): the seconds it
        took, 0.0 when already warm. Asks report it apart from retrieval as ``timings["load"]``."""
        if self.warm:
            return 0.0
        t0 = time.perf_counter()
        with self._lock:
            _ = self.retriever, self.indexer, self.chat_model
        return time.perf_counter() - t0

    def reopen(self) -> None:
        """Close the store and the lexical index; the next use opens them again from disk (or the server)."""
        with self._lock:
            self.close()
            self._reset_index()

    def close(self) -> None:
        """Release the store's connections (chromadb's HTTP client keeps sockets open otherwise)."""
        if self._store is not None:
            self._store.close()
        if self._lexical is not None:
            self._lexical.close()
        if self._stories is not None:
            self._stories.close()
        if isinstance(self._reranker, MaxSimReranker) and self._reranker.store is not None:
            self._reranker.store.close()
