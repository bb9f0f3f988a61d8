"""The front door: ``Assistant`` ties settings, index, retrieval and answering together.

    from qa import Assistant
    a = Assistant()
    a.ingest(["articles/"])
    answer = a.ask("من ترأس الوفد السوري؟")

Collaborators (embedder, store, retriever, chat model) can be passed in; settings supply
the defaults. Nothing heavy is loaded until it is first needed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.documents import Article, ArticleInfo, Filters, Passage
from index.embeddings import Embedder, make_embedder
from index.errors import ConfigError, NotFoundError, RequestError
from index.indexer import Indexer, IngestReport, Progress
from index.lexical import LexicalIndex
from index.readers import articles_from_records
from index.rerank import MaxSimReranker, Reranker, token_embedder
from index.retrieval import DenseRetriever, HybridRetriever, LexicalRetriever, Retriever, reconcile
from index.store import ChunkStore

from .extractive import ExtractiveAnswerer
from .llm import ChatModel, from_settings
from .llm_answerer import LLMAnswerer
from .models import Answer
from .settings import Settings

if TYPE_CHECKING:
    from .chat import ChatSession


def build_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name. ``e5[:fp32|bf16|auto]`` keeps its model folder in SANAD_HOME."""
    scheme, _, arg = settings.embedder.partition(":")
    if scheme.strip().lower() == "e5":
        from index.e5_embedder import make_e5_embedder

        return make_e5_embedder(arg, home=Path(settings.home))
    return make_embedder(settings.embedder)


class Assistant:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        store: ChunkStore | None = None,
        retriever: Retriever | None = None,
        chat_model: ChatModel | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._embedder = embedder
        self._store = store
        self._retriever = retriever
        self._chat_model = chat_model
        self._write_lock = threading.RLock()

    # --- collaborators, built lazily from settings --------------------------------------

    @property
    def home(self) -> Path:
        return Path(self.settings.home)

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or build_embedder(self.settings)

    @cached_property
    def store(self) -> ChunkStore:
        if self._store is not None:
            return self._store
        chroma = self.settings.chroma
        path = None if chroma.url else self.home / "chroma"
        return ChunkStore(
            self.embedder, path=path, url=chroma.url, collection=chroma.collection, ef_search=chroma.ef_search
        )

    @cached_property
    def lexical(self) -> LexicalIndex:
        """The BM25 index beside the store, repaired from the store if a run died between the two."""
        lexical = LexicalIndex(self.home / "lexical" / self.settings.chroma.collection)
        reconcile(self.store, lexical)
        return lexical

    @cached_property
    def retriever(self) -> Retriever:
        return self._retriever or self.retriever_for(self.settings.retrieval.method)

    def retriever_for(self, method: str) -> Retriever:
        """``dense``, ``lexical`` or ``hybrid`` (the default) over this assistant's index."""
        r = self.settings.retrieval
        if method == "dense":
            return DenseRetriever(self.embedder, self.store)
        if method == "lexical":
            return LexicalRetriever(self.store, self.lexical)
        if method == "hybrid":
            return HybridRetriever(
                self.embedder,
                self.store,
                self.lexical,
                fetch_k=r.fetch_k,
                max_per_article=r.max_per_article,
                sentences=r.sentences,
                reranker=self.reranker,
            )
        raise RequestError(f"unknown retrieval method {method!r}: use dense, lexical or hybrid")

    @cached_property
    def reranker(self) -> Reranker | None:
        """The late-interaction reranker the settings ask for (``auto``: when the embedder can)."""
        r = self.settings.retrieval
        mode = r.rerank.strip().lower()
        if mode in ("none", "off", ""):
            return None
        if mode not in ("auto", "maxsim"):
            raise ConfigError(f"unknown rerank mode {r.rerank!r}: use auto, maxsim or none", rerank=r.rerank)
        encoder = token_embedder(self.embedder)
        if encoder is None:
            if mode == "maxsim":
                raise ConfigError(
                    f"rerank=maxsim needs an embedder with token states (e5 or sentence-transformers), "
                    f"not {self.embedder.identity}",
                    embedder=self.embedder.identity,
                )
            return None
        return MaxSimReranker(encoder, top=r.rerank_top, weight=r.rerank_weight)

    @cached_property
    def indexer(self) -> Indexer:
        ing = self.settings.ingest
        return Indexer(
            self.embedder,
            self.store,
            lexical=self.lexical,
            chunk_tokens=ing.chunk_tokens,
            batch_size=ing.batch_size,
            sentence_vectors=self.settings.retrieval.sentences,
        )

    @cached_property
    def chat_model(self) -> ChatModel | None:
        return self._chat_model or from_settings(self.settings.llm)

    # --- the job ------------------------------------------------------------------------

    def ingest(
        self, paths: Sequence[str | Path], *, progress: Progress | None = None, limit: int | None = None
    ) -> IngestReport:
        """Ingest files and folders; ``limit`` stops after that many distinct articles."""
        ing = self.settings.ingest
        with self._write_lock:
            return self.indexer.ingest_paths(
                paths,
                max_bytes=ing.max_bytes,
                max_article_chars=ing.max_article_chars,
                progress=progress,
                limit=limit,
            )

    def ingest_records(self, records: Iterable[Mapping[str, Any]], *, origin: str = "api") -> IngestReport:
        items = articles_from_records(
            [dict(r) for r in records], origin=origin, max_article_chars=self.settings.ingest.max_article_chars
        )
        with self._write_lock:
            return self.indexer.ingest(items)

    def search(self, query: str, *, k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        return self.retriever.retrieve(query, k or self.settings.retrieval.k, filters)

    def ask(self, question: str, *, k: int | None = None, filters: Filters | None = None) -> Answer:
        question = question.strip()
        if not question:
            raise RequestError("the question is empty")
        if len(question) > self.settings.server.max_question_chars:
            raise RequestError(
                f"the question is {len(question)} characters long; the limit is "
                f"{self.settings.server.max_question_chars}"
            )
        t0 = time.perf_counter()
        load = self.load()
        loaded = time.perf_counter()
        passages = self.search(question, k=k, filters=filters)
        t1 = time.perf_counter()
        answer = self.answer(question, passages)
        answer.timings = {
            **({"load": load} if load else {}),
            "retrieve": t1 - loaded,
            **answer.timings,
            "total": time.perf_counter() - t0,
        }
        return answer

    def load(self) -> float:
        """Load the embedder and open the stores now (else the first search does): seconds it took,
        0.0 when already loaded. Asks report it apart from retrieval as ``timings["load"]``."""
        if "retriever" in self.__dict__:
            return 0.0
        t0 = time.perf_counter()
        self.retriever  # noqa: B018 - a cached_property: building it loads the model and the stores
        return time.perf_counter() - t0

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        """Answer from given passages (LLM when configured, else extractive)."""
        if self.chat_model is not None:
            return LLMAnswerer(self.chat_model).answer(question, passages, article_texts=self._texts(passages))
        return ExtractiveAnswerer(self.embedder, stored_vectors=self.store.sentence_vectors).answer(question, passages)

    def _texts(self, passages: Sequence[Passage]) -> dict[str, str]:
        """Article texts behind the passages (an article forgotten meanwhile is left out)."""
        texts = {}
        for article_id in {p.article_id for p in passages}:
            try:
                texts[article_id] = self.store.get_article(article_id).text
            except NotFoundError:
                continue
        return texts

    def reindex(self, *, progress: Progress | None = None) -> IngestReport:
        """Rebuild every index from the stored article texts with the current embedder."""
        chroma = self.settings.chroma
        path = None if chroma.url else self.home / "chroma"
        with self._write_lock:
            old = ChunkStore(
                self.embedder,
                path=path,
                url=chroma.url,
                collection=chroma.collection,
                allow_mismatch=True,
                ef_search=chroma.ef_search,
            )
            try:
                articles = [old.get_article(info.id) for info in old.list_articles()]
                old.reset()
            finally:
                old.close()
            self.close()
            for name in ("store", "retriever", "indexer", "lexical"):
                self.__dict__.pop(name, None)
            self.lexical.rebuild([], content_hashes={})
            return self.indexer.ingest(articles, progress=progress)

    def close(self) -> None:
        """Release the store's connections (chromadb's HTTP client keeps sockets open otherwise)."""
        store = self.__dict__.get("store")
        if store is not None:
            store.close()
        lexical = self.__dict__.get("lexical")
        if lexical is not None:
            lexical.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def articles(self) -> list[ArticleInfo]:
        return self.store.list_articles()

    def article(self, article_id: str) -> Article:
        return self.store.get_article(article_id)

    def forget(self, article_id: str) -> int:
        with self._write_lock:
            return self.indexer.forget(article_id)

    def chat(
        self,
        session: ChatSession,
        message: str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """One turn of a conversation: a follow-up is rewritten to stand alone; ``session`` gains the turn."""
        from .chat import chat_turn

        return chat_turn(self, session, message, k=k, filters=filters, on_token=on_token)
