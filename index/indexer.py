"""Ingest orchestration: articles → chunks → embeddings → store (and the lexical index beside it).

Incremental: an article whose content hash is already in the store is skipped; a changed
article has its chunks replaced. The store writes the article record last, so a run that
dies part-way leaves nothing that looks finished: the next run redoes that article.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from .chunking import chunk_article
from .crash import crash_point
from .documents import Article, Chunk, Passage, sentence_id
from .embeddings import Embedder, embed_in_batches
from .errors import InputError
from .readers import read_paths
from .store import ChunkStore

Outcome = Literal["added", "updated", "unchanged", "skipped"]


class LexicalSink(Protocol):
    """What the indexer needs of a lexical index (see ``index.lexical``)."""

    def upsert(self, passages: Sequence[Passage], *, content_hashes: Mapping[str, str] | None = None) -> None: ...

    def delete_article(self, article_id: str) -> None: ...


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
            "article_ids": {"added": self.added, "updated": self.updated},
            "items": [item.as_dict() for item in self.items],
        }


# progress(stage, done, total): stage is "read" or "embed"
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


class Indexer:
    def __init__(
        self,
        embedder: Embedder,
        store: ChunkStore,
        *,
        lexical: LexicalSink | None = None,
        chunk_tokens: int = 200,
        batch_size: int = 32,
        count_tokens: Callable[[str], int] | None = None,
        group_articles: int = 50,
        group_chunks: int = 256,
        sentence_vectors: bool = True,
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.lexical = lexical
        self.chunk_tokens = chunk_tokens
        self.batch_size = batch_size
        self.count_tokens = count_tokens
        self.group_articles = group_articles
        self.group_chunks = group_chunks
        self.sentence_vectors = sentence_vectors

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
            text_key = " ".join(item.text.split())
            if text_key in seen_text:
                reason = f"same text as article {seen_text[text_key]!r} in this run"
                report.skipped.append(Skipped(item.path or item.id, None, reason))
                report.items.append(ItemResult(n - 1, item.id, "skipped", reason))
                continue
            seen_text[text_key] = item.id
            old = known.get(item.id)
            if old == item.content_hash:
                report.items.append(ItemResult(n - 1, item.id, "unchanged"))
            else:
                outcome: Outcome = "added" if old is None else "updated"
                report.items.append(ItemResult(n - 1, item.id, outcome))
                todo.append((item, outcome))
            if limit is not None and len(seen_text) >= limit:
                break
        self._index(todo, report, progress)
        report.seconds = time.perf_counter() - started
        return report

    def _index(self, todo: list[tuple[Article, Outcome]], report: IngestReport, progress: Progress | None) -> None:
        """Chunk, embed and store in groups: each group is one batched store write (records last)."""
        chunked = [
            (article, outcome, chunk_article(article, max_tokens=self.chunk_tokens, count_tokens=self.count_tokens))
            for article, outcome in todo
        ]
        total = sum(len(chunks) for _, _, chunks in chunked)
        done = 0
        if progress:
            progress("embed", 0, total)

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress("embed", done, total)

        group: list[tuple[Article, Outcome, list[Chunk]]] = []
        group_chunks = 0
        for article, outcome, chunks in chunked:
            if not chunks:
                report.skipped.append(Skipped(article.path or article.id, None, "no text to index"))
                report.mark_skipped(article.id, "no text to index")
                continue
            group.append((article, outcome, chunks))
            group_chunks += len(chunks)
            report.undated += article.date is None
            if len(group) >= self.group_articles or group_chunks >= self.group_chunks:
                self._write(group, report, tick)
                group, group_chunks = [], 0
        if group:
            self._write(group, report, tick)

    def _write(
        self, group: list[tuple[Article, Outcome, list[Chunk]]], report: IngestReport, tick: Callable[[int], None]
    ) -> None:
        texts = [c.text for _, _, chunks in group for c in chunks]
        vectors = embed_in_batches(self.embedder, texts, "passage", self.batch_size, tick)
        items, offset = [], 0
        for article, _, chunks in group:
            items.append((article, chunks, vectors[offset : offset + len(chunks)]))
            offset += len(chunks)
        with self.store.pending([article.id for article, _, _ in group]):
            crash_point("ingest:pending")
            if self.sentence_vectors:
                self._write_sentences(group)
            self.store.upsert_articles(items)
        crash_point("ingest:committed")
        if self.lexical is not None:
            passages = [p for article, _, chunks in group for p in chunk_passages(article, chunks)]
            self.lexical.upsert(passages, content_hashes={a.id: a.content_hash for a, _, _ in group})
        report.chunks += sum(len(chunks) for _, _, chunks in group)

    def _write_sentences(self, group: list[tuple[Article, Outcome, list[Chunk]]]) -> None:
        """Embed each distinct sentence of the group's articles once (chunks overlap by one)."""
        per_article: list[tuple[str, list[str], list[str]]] = []
        for article, _, chunks in group:
            spans = sorted({(s.start, s.end) for c in chunks for s in c.sentences})
            texts = [article.text[a:b] for a, b in spans]
            ids = [sentence_id(article.id, a, b, t) for (a, b), t in zip(spans, texts, strict=True)]
            per_article.append((article.id, ids, texts))
        all_texts = [t for _, _, texts in per_article for t in texts]
        vectors = embed_in_batches(self.embedder, all_texts, "passage", self.batch_size)
        items, offset = [], 0
        for article_id, ids, _ in per_article:
            items.append((article_id, ids, vectors[offset : offset + len(ids)]))
            offset += len(ids)
        self.store.replace_sentences(items)

    def forget(self, article_id: str) -> int:
        removed = self.store.delete_article(article_id)
        if self.lexical is not None:
            self.lexical.delete_article(article_id)
        return removed
