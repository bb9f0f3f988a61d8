"""Ingest orchestration: articles → chunks → embeddings → store (and the lexical index beside it).

Incremental: an article whose content hash is already in the store is skipped; a changed
article has its chunks replaced. The store writes the article record last, so a run that
dies part-way leaves nothing that looks finished: the next run redoes that article.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from .chunking import ChunkContext, chunk_article, context_prefix
from .crash import crash_point
from .documents import Article, Chunk, Passage, sentence_id
from .embeddings import Embedder, PassageEncoding, Span, embed_in_batches, encode_passages, l2_normalise
from .errors import InputError
from .readers import read_paths
from .store import ChunkStore
from .token_codec import packed_nbytes

Outcome = Literal["added", "updated", "unchanged", "skipped"]
SentencePass = Literal["local", "pooled", "separate"]
LOCAL_LAYERS = 6
"""Last layers a ``local`` sentence pass runs again per sentence (of e5-small's 12)."""
TokenSink = Callable[[Sequence[tuple[str, NDArray[np.float32]]]], None]
"""Told each chunk's (text, token states) of the ingest pass (e.g. the reranker's store on disk)."""


class LexicalSink(Protocol):
    """What the indexer needs of a lexical index (see ``index.lexical``)."""

    def upsert(self, passages: Sequence[Passage], *, content_hashes: Mapping[str, str] | None = None) -> None: ...

    def delete_article(self, article_id: str) -> None: ...


class StorySink(Protocol):
    """What the indexer needs of the story index (see ``index.stories``): told each committed group's articles."""

    def upsert_articles(
        self, articles: Sequence[Article], *, content_hashes: Mapping[str, str] | None = None
    ) -> None: ...

    def delete_article(self, article_id: str) -> None: ...

    def regroup(self) -> None:
        """Group what the run changed into stories (once per ingest or forget, not per group)."""
        ...


@dataclass
class Skipped:
    path: str
    line: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "reason": self.reason}


@dataclass
class ItemResult:
    """What happened to one item of the input, in input order (``index`` is 0-based)."""

    index: int
    article_id: str | None
    status: Outcome
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.article_id, "status": self.status, "reason": self.reason}


@dataclass
class IngestReport:
    """One :class:`ItemResult` per input item (the ids by outcome are read off them), and the
    skipped inputs with where they came from and why."""

    items: list[ItemResult] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0
    undated: int = 0  # added or updated articles without a date (none in the metadata, no dateline)
    stages: dict[str, float] = field(default_factory=dict)  # seconds by stage (read, chunk, embed, ...)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.stages[stage] = self.stages.get(stage, 0.0) + time.perf_counter() - t0

    def ids(self, status: Outcome) -> list[str]:
        return [i.article_id for i in self.items if i.status == status and i.article_id is not None]

    @property
    def added(self) -> list[str]:
        return self.ids("added")

    @property
    def updated(self) -> list[str]:
        return self.ids("updated")

    @property
    def unchanged(self) -> list[str]:
        return self.ids("unchanged")

    @property
    def ok(self) -> bool:
        return not self.skipped

    def mark_skipped(self, article_id: str, reason: str) -> None:
        """An item read as fine but not indexed after all."""
        for item in self.items:
            if item.article_id == article_id and item.status in ("added", "updated"):
                item.status, item.reason = "skipped", reason

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "skipped": [s.as_dict() for s in self.skipped],
            "chunks": self.chunks,
            "undated": self.undated,
            "seconds": round(self.seconds, 3),
            "stages": {k: round(v, 3) for k, v in self.stages.items()},
            "article_ids": {"added": self.added, "updated": self.updated},
            "items": [item.as_dict() for item in self.items],
        }


# progress(stage, done, total): stage "read" (items read, total 0) or "index" (articles indexed of total)
Progress = Callable[[str, int, int], None]


def chunk_passages(article: Article, chunks: Sequence[Chunk]) -> list[Passage]:
    return [
        Passage(
            chunk_id=c.id,
            article_id=article.id,
            title=article.title,
            date=article.date,
            source=article.source,
            url=article.url,
            index=c.index,
            start=c.start,
            end=c.end,
            text=c.text,
            sentences=c.sentences,
        )
        for c in chunks
    ]


def _relative_spans(chunk: Chunk, shift: int = 0) -> list[Span]:
    return [(s.start - chunk.start + shift, s.end - chunk.start + shift) for s in chunk.sentences]


class Indexer:
    """Chunks, embeds and stores articles, ``group_articles`` / ``group_chunks`` at a time.

    ``sentence_pass`` decides how the sentence vectors are made: ``"local"`` from the chunk's own
    forward pass with its last :data:`LOCAL_LAYERS` layers run again with each sentence seeing only
    itself, ``"pooled"`` from that pass as it is (both :class:`~index.embeddings.PassageEncoder`),
    ``"separate"`` by embedding each sentence on its own (a second pass). ``token_sink`` is told
    each chunk's token states from that pass, until ``token_budget`` bytes (packed,
    :func:`~index.token_codec.packed_nbytes`) have been told in this run.
    ``chunk_context`` puts the article's title before each chunk's text when it is embedded
    (:func:`~index.chunking.context_prefix`; the chunk's text and offsets stay its own)."""

    def __init__(
        self,
        embedder: Embedder,
        store: ChunkStore,
        *,
        lexical: LexicalSink | None = None,
        stories: StorySink | None = None,
        chunk_tokens: int = 200,
        batch_size: int = 32,
        count_tokens: Callable[[str], int] | None = None,
        group_articles: int = 50,
        group_chunks: int = 256,
        sentence_vectors: bool = True,
        sentence_pass: SentencePass = "separate",
        token_sink: TokenSink | None = None,
        token_budget: int = 0,
        chunk_context: ChunkContext = "none",
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.lexical = lexical
        self.stories = stories
        self.chunk_tokens = chunk_tokens
        self.batch_size = batch_size
        self.count_tokens = count_tokens
        self.group_articles = group_articles
        self.group_chunks = group_chunks
        self.sentence_vectors = sentence_vectors
        self.sentence_pass = sentence_pass
        self.token_sink = token_sink
        self.token_budget = token_budget
        self.chunk_context = chunk_context
        self._tokens_told = 0

    def ingest_paths(
        self,
        paths: Sequence[str | Path],
        *,
        max_bytes: int = 20_000_000,
        max_article_chars: int = 500_000,
        progress: Progress | None = None,
        limit: int | None = None,
    ) -> IngestReport:
        items = read_paths(paths, max_bytes=max_bytes, max_article_chars=max_article_chars)
        return self.ingest(items, progress=progress, limit=limit)

    def ingest(
        self, items: Iterable[Article | InputError], *, progress: Progress | None = None, limit: int | None = None
    ) -> IngestReport:
        """Index ``items``; with ``limit``, stop reading after that many distinct articles (bad
        input and repeats read before then are reported as usual)."""
        started = time.perf_counter()
        report = IngestReport()
        known = self.store.article_hashes()
        todo: list[tuple[Article, Outcome]] = []
        seen_text: dict[str, str] = {}
        seen_ids: set[str] = set()
        self._tokens_told = 0  # the token budget is per run
        with report.timed("read"):
            self._read(items, report, known, todo, seen_text, seen_ids, progress, limit)
        self._index(todo, report, progress)
        if self.stories is not None:
            with report.timed("stories"):
                self.stories.regroup()
        report.seconds = time.perf_counter() - started
        return report

    @staticmethod
    def _read(
        items: Iterable[Article | InputError],
        report: IngestReport,
        known: Mapping[str, str],
        todo: list[tuple[Article, Outcome]],
        seen_text: dict[str, str],
        seen_ids: set[str],
        progress: Progress | None,
        limit: int | None,
    ) -> None:
        for n, item in enumerate(items, 1):
            if progress:
                progress("read", n, 0)
            if isinstance(item, InputError):
                report.skipped.append(Skipped(item.data.get("path") or "", item.data.get("line"), item.data["reason"]))
                report.items.append(ItemResult(n - 1, None, "skipped", item.data.get("detail", item.data["reason"])))
                continue
            if item.id in seen_ids:
                reason = f"duplicate article id {item.id!r} in this run"
                report.skipped.append(Skipped(item.path, None, reason))
                report.items.append(ItemResult(n - 1, item.id, "skipped", reason))
                continue
            seen_ids.add(item.id)
            # The same text under another id (5 outlets running one wire) is indexed: the story index groups them.
            seen_text.setdefault(" ".join(item.text.split()), item.id)
            old = known.get(item.id)
            if old == item.content_hash:
                report.items.append(ItemResult(n - 1, item.id, "unchanged"))
            else:
                outcome: Outcome = "added" if old is None else "updated"
                report.items.append(ItemResult(n - 1, item.id, outcome))
                todo.append((item, outcome))
            if limit is not None and len(seen_text) >= limit:
                break

    def _index(self, todo: list[tuple[Article, Outcome]], report: IngestReport, progress: Progress | None) -> None:
        """Chunk, embed and store in groups: each group is one batched store write (records
        last). Articles are chunked a group at a time, so a whole archive is never held as
        chunks; progress counts articles (``progress("index", done, total)``)."""
        total, done = len(todo), 0
        if progress:
            progress("index", 0, total)
        group: list[tuple[Article, Outcome, list[Chunk]]] = []
        group_chunks = 0

        def flush() -> None:
            nonlocal group, group_chunks, done
            if group:
                self._write(group, report)
            done += len(group)
            if progress:
                progress("index", done, total)
            group, group_chunks = [], 0

        for article, outcome in todo:
            with report.timed("chunk"):
                chunks = chunk_article(article, max_tokens=self.chunk_tokens, count_tokens=self.count_tokens)
            if not chunks:
                report.skipped.append(Skipped(article.path or article.id, None, "no text to index"))
                report.mark_skipped(article.id, "no text to index")
                done += 1
                continue
            group.append((article, outcome, chunks))
            group_chunks += len(chunks)
            report.undated += article.date is None
            if len(group) >= self.group_articles or group_chunks >= self.group_chunks:
                flush()
        flush()

    def _write(self, group: list[tuple[Article, Outcome, list[Chunk]]], report: IngestReport) -> None:
        chunks = [c for _, _, cs in group for c in cs]
        prefixes = [context_prefix(a.title, self.chunk_context) for a, _, cs in group for _ in cs]
        with report.timed("embed"):
            encoded = self._encode(chunks, prefixes)
        items, offset = [], 0
        for article, _, cs in group:
            vectors = np.vstack([e.vector for e in encoded[offset : offset + len(cs)]])
            items.append((article, cs, vectors))
            offset += len(cs)
        sentences = self._sentences(group, encoded, report) if self.sentence_vectors else []
        with report.timed("store"), self.store.pending([article.id for article, _, _ in group]):
            crash_point("ingest:pending")
            if sentences:
                self.store.replace_sentences(sentences)
            self.store.upsert_articles(items)
        crash_point("ingest:committed")
        if self.lexical is not None:
            with report.timed("lexical"):
                passages = [p for article, _, cs in group for p in chunk_passages(article, cs)]
                self.lexical.upsert(passages, content_hashes={a.id: a.content_hash for a, _, _ in group})
        if self.stories is not None:
            with report.timed("stories"):
                self.stories.upsert_articles([article for article, _, _ in group])
        if self.token_sink is not None:
            with report.timed("tokens"):
                self._tell_tokens(chunks, encoded, prefixes)
        report.chunks += len(chunks)

    def _encode(self, chunks: Sequence[Chunk], prefixes: Sequence[str]) -> list[PassageEncoding]:
        """Every chunk's encoding (of its prefix and text), ``batch_size`` chunks of similar length
        per call (sorted by length across the whole group, so little padding); the sentence spans
        are asked of the same pass unless ``sentence_pass`` is separate."""
        one_pass = self.sentence_vectors and self.sentence_pass != "separate"
        layers = LOCAL_LAYERS if self.sentence_pass == "local" else 0
        order = sorted(range(len(chunks)), key=lambda i: -len(chunks[i].text))
        out: list[PassageEncoding | None] = [None] * len(chunks)
        for i in range(0, len(order), self.batch_size):
            part = order[i : i + self.batch_size]
            texts = [prefixes[j] + chunks[j].text for j in part]
            spans = [_relative_spans(chunks[j], len(prefixes[j])) if one_pass else [] for j in part]
            for j, enc in zip(part, encode_passages(self.embedder, texts, spans, local_layers=layers), strict=True):
                out[j] = enc
        return [o for o in out if o is not None]

    def _sentences(
        self,
        group: list[tuple[Article, Outcome, list[Chunk]]],
        encoded: Sequence[PassageEncoding],
        report: IngestReport,
    ) -> list[tuple[str, list[str], NDArray[np.float32]]]:
        """Each distinct sentence's vector, per article (chunks overlap by a sentence): the mean of
        its pooled rows over the chunks that hold it, or (separate pass, or no pooled row) its own
        embedding."""
        pooled: dict[tuple[str, Span], NDArray[np.float32]] = {}
        offset = 0
        for article, _, chunks in group:
            for chunk, enc in zip(chunks, encoded[offset : offset + len(chunks)], strict=True):
                for span, row in zip(chunk.sentences, enc.spans, strict=False):
                    if row.any():
                        key = (article.id, (span.start, span.end))
                        pooled[key] = pooled[key] + row if key in pooled else row
            offset += len(chunks)
        spans = {a.id: sorted({(s.start, s.end) for c in chunks for s in c.sentences}) for a, _, chunks in group}
        texts = {a.id: a.text for a, _, _ in group}
        missing = [(aid, sp) for aid, row in spans.items() for sp in row if (aid, sp) not in pooled]
        if missing:
            with report.timed("sentences"):
                alone = embed_in_batches(
                    self.embedder, [texts[aid][a:b] for aid, (a, b) in missing], "passage", self.batch_size
                )
            pooled.update(zip(missing, alone, strict=True))
        return [
            (
                aid,
                [sentence_id(aid, a, b, texts[aid][a:b]) for a, b in row],
                l2_normalise(np.vstack([pooled[(aid, sp)] for sp in row])),
            )
            for aid, row in spans.items()
        ]

    def _tell_tokens(
        self, chunks: Sequence[Chunk], encoded: Sequence[PassageEncoding], prefixes: Sequence[str]
    ) -> None:
        """Tell the token sink the chunks' token states (keyed by the text encoded: prefix and chunk,
        as the reranker reads a passage) while this run is within ``token_budget``."""
        assert self.token_sink is not None
        told: list[tuple[str, NDArray[np.float32]]] = []
        for chunk, enc, prefix in zip(chunks, encoded, prefixes, strict=True):
            if enc.tokens is None:
                continue
            size = packed_nbytes(*enc.tokens.shape)
            if self._tokens_told + size > self.token_budget:
                continue
            self._tokens_told += size
            told.append((prefix + chunk.text, enc.tokens))
        if told:
            self.token_sink(told)

    def forget(self, article_id: str) -> int:
        removed = self.store.delete_article(article_id)
        if self.lexical is not None:
            self.lexical.delete_article(article_id)
        if self.stories is not None:
            self.stories.delete_article(article_id)
            self.stories.regroup()
        return removed
