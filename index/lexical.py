"""A persistent BM25 index over normalised, stemmed chunk text: the lexical leg of retrieval.

It lives in a folder beside the chromadb data and is a *derived* index: chromadb stays the
source of truth. Layout::

    PATH/CURRENT            name of the live generation (replaced by temp + rename)
    PATH/gen-000001/tantivy/      the tantivy index: one document per chunk (terms + metadata)
    PATH/gen-000001/lexical.sqlite3  what the index holds: article id → content hash; settings

Engine: tantivy (Rust, via tantivy-py), chosen by ``benchmarks/retrieval_lab.py --parts engines``
on 16.9k chunks (XQuAD-ar contexts + 5,000 SaudiNewsNet articles), all engines fed the same
terms (stems + character 4-grams) with BM25 k1=1.2, b=0.75, same ranking quality:

==============  ========  ==================  =================  =======
engine          build     query p50 / p95     replace 1 article  disk
==============  ========  ==================  =================  =======
SQLite FTS5     7.8 s     49 / 102 ms         13 ms              204 MB
bm25s           11.9 s    0.5 / 5.9 ms        9.7 s (rebuild)    48 MB
tantivy         5.3 s     0.5 / 4.5 ms        100 ms (commit)    22 MB
==============  ========  ==================  =================  =======

(2 shared cores, other jobs running: absolute numbers vary by 2-3× between runs, the order
does not.) FTS5's bm25() runs per matching row, so its latency grows with the corpus; bm25s
is a static matrix that must be rebuilt and rewritten for any change; tantivy has both fast
queries and cheap incremental commits, and
filters (source, date range, article ids) run inside the query.

Crash safety: a tantivy commit is atomic, and an article's hash is recorded (SQLite
transaction) only *after* its chunks are committed, and removed only after they are gone.
So after any crash, :meth:`LexicalIndex.diff` against the store's article hashes names every
article to re-index or drop (the indexer must write chromadb first, then this index).
:meth:`LexicalIndex.rebuild` builds a whole new generation and switches ``CURRENT`` by rename.
An index built with another analyser or schema, or one that cannot be opened, is replaced by
an empty one on open (``recovered`` says why), and the store diff then refills it.

The code is split: :mod:`index.lexical_generation` holds one generation on disk (tantivy schema
and SQLite sidecar), :mod:`index.lexical_query` the search filters, :class:`QueryStats` and the
query limits, :mod:`index.lexical_sync` the article hashes and :class:`Diff`; this module holds
:class:`LexicalIndex`, which manages the generations, writes and reads.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .chunking import ChunkContext, context_prefix
from .documents import Chunk, Filters, Passage
from .errors import ConfigError, StoreError
from .lexical_generation import SCHEMA_VERSION, Generation, chunk_fields, load_tantivy
from .lexical_query import BM25_K1, MAX_QUERY_TERMS, SCRIPT_FULL_SHARE, QueryStats, filter_query
from .lexical_sync import Diff, fingerprint
from .stemming import (
    DEFAULT_NGRAM,
    DEFAULT_STEMMER,
    analyse,
    analyser_name,
    index_terms,
    script_counts,
    terms_of_words,
    words,
)

__all__ = [
    "BM25_K1",
    "MAX_QUERY_TERMS",
    "SCHEMA_VERSION",
    "SCRIPT_FULL_SHARE",
    "WRITER_HEAP",
    "WRITER_WAIT_S",
    "Diff",
    "LexicalIndex",
    "QueryStats",
    "fingerprint",
]

WRITER_HEAP = 32_000_000
WRITER_WAIT_S = 30.0


class LexicalIndex:
    """BM25 over tantivy, with metadata filters and article hashes. Thread-safe."""

    def __init__(
        self,
        path: Path,
        *,
        stemmer: str = DEFAULT_STEMMER,
        ngram: int = DEFAULT_NGRAM,
        chunk_context: ChunkContext = "none",
    ) -> None:
        self.path = Path(path)
        self.stemmer = stemmer
        self.ngram = ngram
        self.chunk_context = chunk_context
        self.analyser = analyser_name(stemmer, ngram) + ("" if chunk_context == "none" else f"+{chunk_context}")
        self.recovered: str | None = None
        self._lock = threading.RLock()
        self._follow = True  # follow CURRENT to other processes' rebuilds (not while staging one)
        self._gen = self._open()

    # ------------------------------------------------------------------ generations

    def _current_name(self) -> str | None:
        try:
            name = (self.path / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def _switch_to(self, name: str) -> None:
        tmp = self.path / "CURRENT.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.path / "CURRENT")
        for other in self.path.glob("gen-*"):
            if other.name != name:
                shutil.rmtree(other, ignore_errors=True)

    def _next_name(self) -> str:
        numbers = [int(p.name[4:]) for p in self.path.glob("gen-*") if p.name[4:].isdigit()]
        return f"gen-{max(numbers, default=0) + 1:06d}"

    def _open(self) -> Generation:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the lexical index folder {self.path}: {exc}", path=str(self.path)) from exc
        name = self._current_name()
        if name and (self.path / name).is_dir():
            try:
                gen = Generation(self.path / name, self.analyser)
            except (ConfigError, OSError, ValueError, sqlite3.Error) as exc:
                self.recovered = f"replaced an unusable lexical index ({exc}); it is refilled from the store"
            else:
                for other in self.path.glob("gen-*"):  # generations replaced by a finished rebuild
                    if other.name < name:
                        shutil.rmtree(other, ignore_errors=True)
                return gen
        elif name:
            self.recovered = f"lexical index generation {name} is missing; it is refilled from the store"
        fresh = self._next_name()
        try:
            gen = Generation(self.path / fresh, self.analyser)
        except (OSError, ValueError, sqlite3.Error) as exc:
            raise StoreError(f"cannot create the lexical index at {self.path}: {exc}", path=str(self.path)) from exc
        self._switch_to(fresh)
        return gen

    def _fresh(self) -> Generation:
        """The live generation, seeing other processes' commits (and rebuilds) too. Cheap: ~20 µs."""
        name = self._current_name() if self._follow else None
        if name and name != self._gen.root.name and (self.path / name).is_dir():
            old, self._gen = self._gen, self._open()
            old.close()
        else:
            self._gen.index.reload()
        return self._gen

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        """One SQLite transaction on the sidecar."""
        db = self._gen.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._gen.close()

    def __enter__(self) -> LexicalIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def terms(self, text: str) -> list[str]:
        """The index terms of ``text``: stems and character n-grams of its normalised words."""
        return index_terms(text, self.stemmer, self.ngram)

    # ------------------------------------------------------------------ writes

    def upsert(self, passages: Iterable[Passage | Chunk], *, content_hashes: Mapping[str, str] | None = None) -> None:
        """Index these chunks, replacing *every* chunk already indexed for their articles.

        Pass all chunks of an article in one call. ``content_hashes`` (article id → the
        article's content hash, as the store records it) makes :meth:`article_hashes`
        comparable with the store; without it the article's chunk-id fingerprint is recorded.
        Metadata (source, date) comes from :class:`Passage`; a bare :class:`Chunk` has none. Under
        ``chunk_context`` a passage's title is indexed with its words (:func:`~index.chunking.context_prefix`).
        """
        by_article: dict[str, list[Passage | Chunk]] = defaultdict(list)
        for p in passages:
            by_article[p.article_id].append(p)
        if not by_article:
            return
        hashes = content_hashes or {}
        docs: dict[str, list[tuple[tuple[str, str, str, int], str]]] = {}
        scripts: dict[str, tuple[int, int]] = {}
        for aid, items in by_article.items():
            rows, arabic, latin = [], 0, 0
            for p in items:
                ws = words(p.text)
                a, la = script_counts(ws)
                arabic, latin = arabic + a, latin + la
                prefix = context_prefix(p.title, self.chunk_context) if isinstance(p, Passage) else ""
                ws = words(prefix) + ws if prefix else ws
                rows.append((chunk_fields(p), " ".join(terms_of_words(ws, self.stemmer, self.ngram))))
            docs[aid], scripts[aid] = rows, (arabic, latin)
        tv = load_tantivy()

        def write(writer: Any) -> None:
            for aid, items in docs.items():
                writer.delete_documents_by_term("article_id", aid)
                for (cid, _, src, day), body in items:
                    writer.add_document(tv.Document(chunk_id=cid, article_id=aid, source=src, date=day, body=body))

        with self._lock:
            self._fresh()  # another process may have rebuilt: write to the live generation
            self._commit_tantivy(write)
            try:
                with self._sql() as db:  # recorded only once the chunks are committed
                    db.executemany(
                        "INSERT OR REPLACE INTO articles(article_id, content_hash, chunks, arabic_words, latin_words)"
                        " VALUES (?, ?, ?, ?, ?)",
                        [
                            (aid, hashes.get(aid) or fingerprint(f[0] for f, _ in items), len(items), *scripts[aid])
                            for aid, items in docs.items()
                        ],
                    )
            except sqlite3.Error as exc:
                raise StoreError(f"lexical index write failed: {exc}", path=str(self.path)) from exc

    def _commit_tantivy(self, ops: Callable[[Any], object]) -> None:
        """Run ``ops(writer)`` and commit, holding tantivy's writer lock only meanwhile."""
        deadline = time.monotonic() + WRITER_WAIT_S
        while True:  # another process may hold tantivy's writer lock for a moment
            try:
                writer = self._gen.index.writer(heap_size=WRITER_HEAP, num_threads=1)
                break
            except ValueError as exc:
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"the lexical index at {self.path} is being written by another process: {exc}",
                        path=str(self.path),
                    ) from exc
                time.sleep(0.05)
        try:
            ops(writer)
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()  # releases the writer lock
        self._gen.index.reload()

    def delete_article(self, article_id: str) -> None:
        """Remove an article's chunks (nothing happens for an unknown id)."""
        with self._lock:
            self._fresh()
            self._commit_tantivy(lambda w: w.delete_documents_by_term("article_id", article_id))
            with self._sql() as db:  # forgotten only once the chunks are gone
                db.execute("DELETE FROM articles WHERE article_id = ?", (article_id,))

    def rebuild(
        self, passages: Iterable[Passage], *, content_hashes: Mapping[str, str] | None = None, batch: int = 5000
    ) -> int:
        """Start over from ``passages`` (e.g. ``store.iter_passages()``); returns the chunk count.

        Built as a new generation; ``CURRENT`` switches to it by rename when it is complete,
        so a crash mid-rebuild leaves the old index in place.
        """
        with self._lock:  # held throughout: other threads never see the staging generation
            self._fresh()
            name = self._next_name()
            old, staging = self._gen, Generation(self.path / name, self.analyser)
            self._gen, self._follow = staging, False
            try:
                by_article: dict[str, list[Passage]] = defaultdict(list)
                for p in passages:  # the store may interleave articles: group them all first
                    by_article[p.article_id].append(p)
                ids = list(by_article)
                for i in range(0, len(ids), batch):  # one commit per batch of articles
                    part = [p for aid in ids[i : i + batch] for p in by_article[aid]]
                    self.upsert(part, content_hashes=content_hashes)
            except BaseException:
                self._gen = old
                staging.close()
                shutil.rmtree(self.path / name, ignore_errors=True)
                raise
            finally:
                self._follow = True
            self._switch_to(name)
            old.close()
            return self.count()

    # ------------------------------------------------------------------ reads

    def count(self) -> int:
        """Number of indexed chunks."""
        with self._lock:
            return int(self._fresh().index.searcher().num_docs)

    def article_hashes(self) -> dict[str, str]:
        """Article id → content hash recorded at upsert (or the chunk-id fingerprint)."""
        with self._lock:
            return dict(self._fresh().db.execute("SELECT article_id, content_hash FROM articles").fetchall())

    def hashes_of(self, article_ids: Iterable[str]) -> dict[str, str]:
        """:meth:`article_hashes` of these articles only (those not indexed are left out)."""
        sql = "SELECT article_id, content_hash FROM articles WHERE article_id IN (SELECT value FROM json_each(?))"
        with self._lock:
            return dict(self._fresh().db.execute(sql, (json.dumps(list(article_ids)),)).fetchall())

    def follow_state(self) -> tuple[str, int] | None:
        """``(change log id, cursor)`` this generation has followed the store's change log to, if any."""
        with self._lock:
            row = dict(self._fresh().db.execute("SELECT key, value FROM follow").fetchall())
        try:
            return (row["log"], int(row["cursor"])) if "log" in row else None
        except (KeyError, ValueError):
            return None

    def set_follow_state(self, log_id: str, cursor: int) -> None:
        """Record (one transaction) that every change log entry up to ``cursor`` is applied here."""
        with self._lock:
            self._fresh()
            with self._sql() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO follow(key, value) VALUES (?, ?)",
                    [("log", log_id), ("cursor", str(cursor))],
                )

    def diff(self, store_hashes: Mapping[str, str]) -> Diff:
        """Compare with the store's article hashes: what is missing, stale, or extra here."""
        mine = self.article_hashes()
        return Diff(
            missing=sorted(a for a in store_hashes if a not in mine),
            stale=sorted(a for a, h in store_hashes.items() if a in mine and mine[a] != h),
            extra=sorted(a for a in mine if a not in store_hashes),
        )

    def query_stats(self, query: str) -> QueryStats:
        """The query's terms, their coverage of the vocabulary, and the BM25 score bound."""
        ws = words(query)
        terms = list(dict.fromkeys(terms_of_words(ws, self.stemmer, self.ngram)))[:MAX_QUERY_TERMS]
        stems = list(dict.fromkeys(analyse(query, self.stemmer)))
        if not terms or not stems:
            return QueryStats(terms, 0.0, 0.0)
        with self._lock:
            gen = self._fresh()
            searcher = gen.index.searcher()
            n_docs = int(searcher.num_docs)
            freqs = {t: int(searcher.doc_freq("body", t)) for t in dict.fromkeys([*terms, *stems])}
            corpus_arabic, corpus_latin = gen.db.execute(
                "SELECT coalesce(sum(arabic_words), 0), coalesce(sum(latin_words), 0) FROM articles"
            ).fetchone()
        # Coverage counts whole words (stems): an English question shares character n-grams with
        # the Latin bits of Arabic news, but hardly any words.
        found = sum(1 for t in stems if freqs[t] > 0) / len(stems)
        q_arabic, q_latin = script_counts(ws)
        share = 1.0
        if (q_arabic or q_latin) and (corpus_arabic or corpus_latin):
            share = (corpus_arabic if q_arabic >= q_latin else corpus_latin) / (corpus_arabic + corpus_latin)
        coverage = found * min(1.0, share / SCRIPT_FULL_SHARE)
        # tantivy's BM25: idf = ln(1 + (N - n + .5) / (n + .5)); a term adds at most idf * (k1 + 1).
        bound = sum(math.log(1 + (n_docs - f + 0.5) / (f + 0.5)) * (BM25_K1 + 1) for t in terms if (f := freqs[t]) > 0)
        return QueryStats(terms, coverage, bound, words_found=found, script_share=share)

    def query_coverage(self, query: str) -> float:
        """How far the lexical leg can speak for this query, in [0, 1]: the share of the query's
        distinct words (stems) found in the index, discounted when less than
        :data:`SCRIPT_FULL_SHARE` of the corpus's words are in the query's script."""
        return self.query_stats(query).coverage

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The ``k`` best chunks by BM25 as ``(chunk_id, score)``, best first; scores are > 0."""
        terms = list(dict.fromkeys(self.terms(query)))[:MAX_QUERY_TERMS]
        if not terms or k < 1:
            return []
        tv = load_tantivy()
        with self._lock:
            gen = self._fresh()
            q = tv.Query.boolean_query(
                [(tv.Occur.Should, tv.Query.term_query(gen.schema, "body", t, index_option="freq")) for t in terms]
            )
            flt = filter_query(tv, gen.schema, filters)
            if flt is not None:
                q = tv.Query.boolean_query([(tv.Occur.Must, q), (tv.Occur.Must, tv.Query.const_score_query(flt, 0.0))])
            searcher = gen.index.searcher()
            hits = searcher.search(q, k, count=False).hits
            return [(str(searcher.doc(addr)["chunk_id"][0]), float(score)) for score, addr in hits if score > 0]
