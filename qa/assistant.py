"""The front door and the one composition root: ``Assistant`` builds every collaborator from ``Settings``.

    from qa import Assistant
    a = Assistant()                         # settings from SANAD_* variables
    a.ingest(["articles/"])
    answer = a.ask("من ترأس الوفد السوري؟")
    a.chat(session, "ومن قاد الجانب التركي؟")   # one turn of a conversation

Collaborators (embedder, store, retriever, chat model) can be passed in; settings supply the
defaults. Nothing heavy is loaded until it is first needed, or until :meth:`warm_up`. Every entry
point (CLI, ``sanad chat``, ``sanad serve``, ``sanad eval``, the benchmarks) gets its assistant
here; a server may wrap the embedder this builds (``wrap_embedder``), never build its own.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.crash import crash_point
from index.documents import Article, ArticleInfo, Filters, Passage
from index.errors import NotFoundError
from index.files import atomic_write_text
from index.indexer import IngestReport, Progress
from index.readers import articles_from_records
from index.rerank import MaxSimReranker
from index.serial import background_work

from .collaborators import Collaborators, EmbedderWrapper, TokenCallback
from .corroboration import corroborate
from .extractive import ExtractiveAnswerer
from .followups import MIN_CONTENT_TERMS, content_terms, drop_conjunction, rewrite_question
from .llm_answerer import LLMAnswerer
from .models import Answer
from .questions import check_k, check_question
from .session import ChatSession, Turn
from .time_filter import retrieve_in_time
from .time_intent import TimeIntent, time_intent

if TYPE_CHECKING:
    from .timeline import Timeline

__all__ = ["Assistant", "EmbedderWrapper", "TokenCallback"]


class Assistant(Collaborators):
    """The front door: ingest, search, ask, chat, reindex, forget (collaborators: :class:`Collaborators`)."""

    def ingest(
        self, paths: Sequence[str | Path], *, progress: Progress | None = None, limit: int | None = None
    ) -> IngestReport:
        """Ingest files and folders; ``limit`` stops after that many distinct articles."""
        ing = self.settings.ingest
        with self._lock, background_work():
            return self.indexer.ingest_paths(
                paths,
                max_bytes=ing.max_bytes,
                max_article_chars=ing.max_article_chars,
                progress=progress,
                limit=limit,
            )

    def ingest_records(self, records: Iterable[Mapping[str, Any]], *, origin: str = "api") -> IngestReport:
        """Ingest article objects (JSON records); the report has one item per record, in order."""
        items = articles_from_records(
            [dict(r) for r in records], origin=origin, max_article_chars=self.settings.ingest.max_article_chars
        )
        with self._lock, background_work():
            return self.indexer.ingest(items)

    def check_question(self, text: str, what: str = "question") -> str:
        return check_question(text, self.settings.max_question_chars, what)

    def search(
        self, query: str, *, k: int | None = None, filters: Filters | None = None, as_of: dt.date | None = None
    ) -> list[Passage]:
        """Passages for ``query``; its time words ("أمس", "last week", "ما آخر…") resolve against
        ``as_of`` (default today) and act as :mod:`qa.time_filter` says."""
        query = self.check_question(query, "query")
        return self._retrieve(query, k, filters, time_intent(query, as_of))

    def _retrieve(self, query: str, k: int | None, filters: Filters | None, intent: TimeIntent) -> list[Passage]:
        """Retrieval for a question already checked (a rewritten follow-up may run past the limit)."""
        k = check_k(k, self.settings.retrieval.k)
        pool = self.settings.retrieval.fetch_k
        retriever = self.retriever
        self.follow()
        return retrieve_in_time(retriever.retrieve, query, k, filters, intent, pool=pool)

    def timeline(
        self, query: str, *, since: dt.date | None = None, until: dt.date | None = None, as_of: dt.date | None = None
    ) -> Timeline:
        """The dated events about ``query`` in date order (:mod:`qa.timeline`)."""
        from .timeline import build_timeline

        query = self.check_question(query, "query")
        return build_timeline(
            query,
            self._retrieve,
            self._texts,
            since=since,
            until=until,
            as_of=as_of,
            stories=self.stories,
            read=self._article_or_none,
        )

    def ask(
        self, question: str, *, k: int | None = None, filters: Filters | None = None, as_of: dt.date | None = None
    ) -> Answer:
        question = self.check_question(question)
        t0 = time.perf_counter()
        load = self.warm_up()
        loaded = time.perf_counter()
        intent = time_intent(question, as_of)
        passages = self._retrieve(question, k, filters, intent)
        t1 = time.perf_counter()
        answer = self.answer(question, passages)
        answer.time = intent.describe()
        answer.timings = {
            **({"load": load} if load else {}),
            "retrieve": t1 - loaded,
            **answer.timings,
            "total": time.perf_counter() - t0,
        }
        return answer

    def answer(self, question: str, passages: list[Passage], *, on_token: TokenCallback | None = None) -> Answer:
        """Answer from given passages: the LLM when configured (its draft streamed to ``on_token``),
        else the extractive answerer; each citation with the other articles that state it (``corroborated_by``)."""
        answer = self._answer(question, passages, on_token=on_token)
        return corroborate(answer, self.stories, self._article_or_none)

    def _article_or_none(self, article_id: str) -> Article | None:
        try:
            return self.store.get_article(article_id)
        except NotFoundError:
            return None

    def extractive_answerer(self) -> ExtractiveAnswerer:
        """The answerer used without a chat model: this index's sentence vectors and, with the
        MaxSim reranker, sentence-level late interaction."""
        reranker = self.reranker
        late = reranker.sentence_scores if isinstance(reranker, MaxSimReranker) else None
        return ExtractiveAnswerer(self.queries, stored_vectors=self.store.sentence_vectors, late=late)

    def _answer(self, question: str, passages: list[Passage], *, on_token: TokenCallback | None = None) -> Answer:
        chat_model = self.chat_model
        if chat_model is None:
            return self.extractive_answerer().answer(question, passages)
        texts = self._texts(passages)
        if on_token is None:
            return LLMAnswerer(chat_model).answer(question, passages, article_texts=texts)
        from .chat_stream import stream_answer

        return stream_answer(chat_model, question, passages, on_token, article_texts=texts)

    def _texts(self, passages: Sequence[Passage]) -> dict[str, str]:
        """Article texts behind the passages (an article forgotten meanwhile is left out)."""
        found = {i: self._article_or_none(i) for i in {p.article_id for p in passages}}
        return {i: article.text for i, article in found.items() if article is not None}

    def chat(
        self,
        session: ChatSession,
        message: str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        on_token: TokenCallback | None = None,
        on_rewrite: Callable[[str], None] | None = None,
        as_of: dt.date | None = None,
    ) -> Answer:
        """Answer ``message`` in the context of ``session`` and append both turns to it.

        Rewrites a follow-up into a standalone question (told to ``on_rewrite`` before retrieval),
        retrieves with that, answers (streaming the answer text to ``on_token`` when a chat model is
        configured). ``answer.question`` is the standalone question. Without an LLM, a follow-up
        that names things of its own is answered by its own words from the passages that the
        standalone question retrieved. The session is changed only when the turn succeeds.
        ``answer.timings`` gains ``rewrite`` and ``retrieve``.
        """
        message = self.check_question(message, "message")
        load = self.warm_up()
        t0 = time.perf_counter()
        standalone = rewrite_question(session.turns, message, self.chat_model)
        t1 = time.perf_counter()
        if on_rewrite is not None:
            on_rewrite(standalone)
        intent = time_intent(standalone, as_of)
        passages = self._retrieve(standalone, k, filters, intent)
        t2 = time.perf_counter()
        question = standalone
        if self.chat_model is None and standalone != message and len(content_terms(message)) >= MIN_CONTENT_TERMS:
            # Without an LLM the carried terms steer retrieval; the extractive answerer then weighs the
            # sentences by the words the user asked with (the carried ones would only dilute them).
            question = drop_conjunction(message)
        answer = self.answer(question, passages, on_token=on_token)
        answer.question = standalone
        answer.time = intent.describe()
        answer.timings = {
            **({"load": load} if load else {}),
            "rewrite": t1 - t0,
            "retrieve": t2 - t1,
            **answer.timings,
            "total": time.perf_counter() - t0 + load,
        }
        session.turns.append(Turn(role="user", content=message, standalone_question=standalone))
        session.turns.append(Turn(role="assistant", content=answer.answer, answer=answer))
        return answer

    @property
    def reindex_journal(self) -> Path:
        """Every article's text, saved by :meth:`reindex` before it drops the old index."""
        return self.home / f"reindex-{self.settings.chroma.collection}.jsonl"

    def reindex(self, *, progress: Progress | None = None) -> IngestReport:
        """Rebuild every index from the stored article texts with the current embedder.

        The texts are saved (atomically) beside the index before the old collections are dropped;
        a reindex that dies after that point is resumed from them by the next ``reindex``, so no
        article is lost whenever the process dies."""
        with self._lock:
            journal = self.reindex_journal
            if journal.exists():  # an earlier reindex died after dropping the old index: resume it
                lines = journal.read_text(encoding="utf-8").splitlines()
                articles = [Article.model_validate_json(line) for line in lines if line.strip()]
            else:
                old = self._open_store(allow_mismatch=True)
                try:
                    articles = [old.get_article(info.id) for info in old.list_articles()]
                    atomic_write_text(journal, "".join(a.model_dump_json() + "\n" for a in articles))
                    crash_point("reindex:saved")
                    old.reset()
                finally:
                    old.close()
            crash_point("reindex:reset")
            self.reopen()
            self.lexical.rebuild([], content_hashes={})
            with background_work():
                report = self.indexer.ingest(articles, progress=progress)
            journal.unlink()
            return report

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def articles(self) -> list[ArticleInfo]:
        """Every article, with its story (``ArticleInfo.story``)."""
        story = self.stories.story_ids()
        return [info.model_copy(update={"story": story.get(info.id, "")}) for info in self.store.list_articles()]

    def article(self, article_id: str) -> Article:
        return self.store.get_article(article_id)

    def forget(self, article_id: str) -> int:
        with self._lock:
            return self.indexer.forget(article_id)
