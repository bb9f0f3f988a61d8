"""The story index: sentence fingerprints, their links across articles, and the stories, in SQLite.

A derived cache beside the store (chromadb stays the source of truth): :func:`index.stories.reconcile`
refills it from the stored article texts on open, so a lost or damaged file costs a rebuild, never
data. Every write of a batch of articles is one SQLite transaction (a crash leaves the file as it
was before it; the store diff then redoes the batch). Grouping is recomputed lazily, on the first
read after a change.

Tables: ``articles`` (content hash, body fingerprint, wire credit, source, title, date, eligible
sentences), ``sentences`` (offsets, key, fingerprint, eligible ordinal), ``bands`` (MinHash LSH
bands of eligible sentences), ``links`` (identical or near-identical sentence pairs, both ways),
``stories`` (article → story id and origin, as last grouped).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..documents import Article
from ..errors import StoreError
from ..lexical_sync import Diff
from .credits import wire_credit
from .fingerprint import band_keys, body_fingerprint, near_identical, sentence_prints, word_set
from .grouping import MAX_DEGREE, SAME_SOURCE_MAX, ArticleRow, Story, StoryArticle, boilerplate, group, origins

SCHEMA = 4
"""Also the version of the link rules: a cache linked by older rules is rebuilt (4: substitutions)."""
MAX_COPIES = 50
"""A sentence found in more articles than this is boilerplate: it links nothing."""
MAX_CANDIDATES = 200
"""Near-identical candidates looked at per sentence."""
_STEP = 500  # SQLite parameters per IN (...)

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, body TEXT NOT NULL, credit TEXT,
    source TEXT NOT NULL, title TEXT NOT NULL, date TEXT, eligible INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sentences (
    article_id TEXT NOT NULL, pos INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    key TEXT NOT NULL, fp TEXT NOT NULL, epos INTEGER NOT NULL, PRIMARY KEY (article_id, pos));
CREATE INDEX IF NOT EXISTS sentences_fp ON sentences (fp);
CREATE TABLE IF NOT EXISTS bands (band INTEGER NOT NULL, article_id TEXT NOT NULL, pos INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS bands_band ON bands (band);
CREATE INDEX IF NOT EXISTS bands_article ON bands (article_id);
CREATE TABLE IF NOT EXISTS links (
    a TEXT NOT NULL, pa INTEGER NOT NULL, ea INTEGER NOT NULL, b TEXT NOT NULL, pb INTEGER NOT NULL,
    eb INTEGER NOT NULL, sim REAL NOT NULL, PRIMARY KEY (a, pa, b, pb));
CREATE INDEX IF NOT EXISTS links_b ON links (b);
CREATE TABLE IF NOT EXISTS stories (article_id TEXT PRIMARY KEY, story TEXT NOT NULL, origin TEXT NOT NULL);
"""


@dataclass(frozen=True)
class SentenceCopy:
    """A sentence of another article identical (``similarity`` 1.0) or near-identical to one asked about."""

    article_id: str
    start: int
    end: int
    similarity: float


class StoryIndex:
    """See the module docstring. Thread-safe; several processes may share the file (SQLite locks)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.recovered: str | None = None
        self._lock = threading.RLock()
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder of {self.path}: {exc}", path=str(self.path)) from exc
        try:
            db = self._connect()
        except sqlite3.DatabaseError as exc:  # damaged or another schema: a derived cache, rebuilt from the store
            self.recovered = f"replaced an unusable story index ({exc}); it is refilled from the store"
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    Path(str(self.path) + suffix).unlink()
            db = self._connect()
        return db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_DDL)
            row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))
            elif row[0] != str(SCHEMA):
                raise sqlite3.DatabaseError(f"schema {row[0]}, not {SCHEMA}")
        except BaseException:
            db.close()
            raise
        return db

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('dirty', '1')")
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- keeping in step with the store ----------------------------------------------------

    def hashes(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT id, content_hash FROM articles").fetchall())

    def diff(self, store_hashes: Mapping[str, str], *, among: Collection[str] | None = None) -> Diff:
        """What differs from the store's hashes (only for the articles ``among``, if given)."""
        mine = self.hashes()
        if among is not None:
            wanted = set(among)
            mine = {a: h for a, h in mine.items() if a in wanted}
        return Diff(
            missing=sorted(a for a in store_hashes if a not in mine),
            stale=sorted(a for a in store_hashes if a in mine and mine[a] != store_hashes[a]),
            extra=sorted(a for a in mine if a not in store_hashes),
        )

    # --- writing ---------------------------------------------------------------------------

    def upsert_articles(self, articles: Sequence[Article], *, content_hashes: Mapping[str, str] | None = None) -> None:
        """Fingerprint the articles (their old rows replaced) and link their sentences to every article's."""
        if not articles:
            return
        prints = [sentence_prints(a) for a in articles]
        eligible = [[p for p in ps if p.eligible] for ps in prints]
        bands = band_keys([p.key for ps in eligible for p in ps])
        with self._write() as db:
            for article in articles:
                self._drop(db, article.id)
            k = 0
            for article, ps, el in zip(articles, prints, eligible, strict=True):
                epos = {p.pos: i for i, p in enumerate(el)}
                db.executemany(
                    "INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(article.id, p.pos, p.start, p.end, p.key, p.fingerprint, epos.get(p.pos, -1)) for p in ps],
                )
                rows = [(band, article.id, p.pos) for p in el for band in bands[k + epos[p.pos]]]
                db.executemany("INSERT INTO bands VALUES (?, ?, ?)", rows)
                k += len(el)
                hash_ = (content_hashes or {}).get(article.id, article.content_hash)
                db.execute(
                    "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        article.id,
                        hash_,
                        body_fingerprint(article.text),
                        wire_credit(article.text, article.source),
                        article.source,
                        article.title,
                        article.date.isoformat() if article.date else None,
                        len(el),
                    ),
                )
            for article in articles:
                self._link(db, article.id)

    def delete_article(self, article_id: str) -> None:
        with self._write() as db:
            self._drop(db, article_id)

    @staticmethod
    def _drop(db: sqlite3.Connection, article_id: str) -> None:
        for sql in (
            "DELETE FROM articles WHERE id = ?",
            "DELETE FROM sentences WHERE article_id = ?",
            "DELETE FROM bands WHERE article_id = ?",
            "DELETE FROM links WHERE a = ?",
            "DELETE FROM links WHERE b = ?",
        ):
            db.execute(sql, (article_id,))

    def _link(self, db: sqlite3.Connection, article_id: str) -> None:
        """Links from this article's eligible sentences to every other article's, both ways."""
        mine = {
            pos: (epos, fp, key)
            for pos, epos, fp, key in db.execute(
                "SELECT pos, epos, fp, key FROM sentences WHERE article_id = ? AND epos >= 0", (article_id,)
            )
        }
        if not mine:
            return
        found: dict[tuple[int, str, int], tuple[int, float]] = {}  # (my pos, other, its pos) → (its epos, sim)
        by_fp: dict[str, list[int]] = defaultdict(list)
        for pos, (_, fp, _) in mine.items():
            by_fp[fp].append(pos)
        fps = list(by_fp)
        for i in range(0, len(fps), _STEP):
            part = fps[i : i + _STEP]
            marks = ",".join("?" * len(part))
            hits: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
            for other, pos, epos, fp in db.execute(
                f"SELECT article_id, pos, epos, fp FROM sentences WHERE fp IN ({marks}) AND epos >= 0", part
            ):
                hits[fp].append((other, pos, epos))
            for fp, rows in hits.items():
                if len({other for other, _, _ in rows}) > MAX_COPIES:
                    continue  # boilerplate
                for other, pos, epos in rows:
                    if other != article_id:
                        for mp in by_fp[fp]:
                            found[(mp, other, pos)] = (epos, 1.0)
        candidates: dict[int, set[tuple[str, int]]] = defaultdict(set)
        for mp, other, pos in db.execute(
            "SELECT m.pos, o.article_id, o.pos FROM bands m JOIN bands o ON o.band = m.band "
            "WHERE m.article_id = ? AND o.article_id != ?",
            (article_id, article_id),
        ):
            if len(candidates[mp]) < MAX_CANDIDATES:
                candidates[mp].add((other, pos))
        todo = {(other, pos) for mp, cs in candidates.items() for other, pos in cs}
        keys = self._keys(db, todo)
        for mp, cs in candidates.items():
            words = word_set(mine[mp][2])
            for other, pos in cs:
                if (mp, other, pos) in found or (other, pos) not in keys:
                    continue
                epos, key = keys[(other, pos)]
                sim = near_identical(words, word_set(key))
                if sim > 0:
                    found[(mp, other, pos)] = (epos, sim)
        pairs: list[tuple[str, int, int, str, int, int, float]] = []
        for (mp, other, pos), (epos, sim) in found.items():
            pairs.append((article_id, mp, mine[mp][0], other, pos, epos, sim))
            pairs.append((other, pos, epos, article_id, mp, mine[mp][0], sim))
        db.executemany("INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?, ?, ?)", pairs)

    @staticmethod
    def _keys(db: sqlite3.Connection, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, str]]:
        by_article: dict[str, list[int]] = defaultdict(list)
        for other, pos in wanted:
            by_article[other].append(pos)
        out = {}
        for other, positions in by_article.items():
            for i in range(0, len(positions), _STEP):
                part = positions[i : i + _STEP]
                marks = ",".join("?" * len(part))
                for pos, epos, key in db.execute(
                    f"SELECT pos, epos, key FROM sentences WHERE article_id = ? AND pos IN ({marks})", [other, *part]
                ):
                    out[(other, pos)] = (epos, key)
        return out

    # --- reading ---------------------------------------------------------------------------

    def regroup(self) -> None:
        """Recompute the stories now if something changed since the last grouping (the indexer
        calls it once at the end of an ingest or a forget, so a question never pays for it)."""
        self._grouped()

    def _grouped(self) -> None:
        """Recompute the stories when something changed since the last grouping."""
        with self._lock:
            dirty = self._db.execute("SELECT value FROM meta WHERE key='dirty'").fetchone()
            if dirty is not None and dirty[0] == "0":
                return
            rows = {r.id: r for r in self._rows()}
            links = self._db.execute("SELECT a, ea, b, eb FROM links WHERE a < b").fetchall()
            stories = group(rows, links)
            origin = origins(rows)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM stories")
                self._db.executemany(
                    "INSERT INTO stories VALUES (?, ?, ?)", [(aid, sid, origin[aid]) for aid, sid in stories.items()]
                )
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('dirty', '0')")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _rows(self) -> Iterator[ArticleRow]:
        for aid, body, credit, source, title, date, eligible in self._db.execute(
            "SELECT id, body, credit, source, title, date, eligible FROM articles"
        ):
            yield ArticleRow(aid, body, credit, source, title, dt.date.fromisoformat(date) if date else None, eligible)

    def story_ids(self) -> dict[str, str]:
        """Every article id → its story id."""
        self._grouped()
        with self._lock:
            return dict(self._db.execute("SELECT article_id, story FROM stories").fetchall())

    def origin_of(self, article_ids: Sequence[str]) -> dict[str, str]:
        """The origin of each of these articles (unknown ones are left out)."""
        self._grouped()
        out: dict[str, str] = {}
        with self._lock:
            ids = list(dict.fromkeys(article_ids))
            for i in range(0, len(ids), _STEP):
                part = ids[i : i + _STEP]
                marks = ",".join("?" * len(part))
                sql = f"SELECT article_id, origin FROM stories WHERE article_id IN ({marks})"
                out.update(self._db.execute(sql, part))
        return out

    def stories(
        self, *, since: dt.date | None = None, until: dt.date | None = None, min_articles: int = 2
    ) -> list[Story]:
        """Stories of at least ``min_articles`` articles with one dated in ``[since, until]`` (when given),
        newest first; each story's articles oldest first."""
        self._grouped()
        with self._lock:
            rows = {r.id: r for r in self._rows()}
            assigned = self._db.execute("SELECT article_id, story, origin FROM stories").fetchall()
        by_story: dict[str, Story] = {}
        for aid, sid, origin in assigned:
            row = rows.get(aid)
            if row is not None:
                story = by_story.setdefault(sid, Story(sid))
                story.articles.append(StoryArticle(aid, row.title, row.source, row.date, origin))
        out = []
        for story in by_story.values():
            if len(story.articles) < min_articles:
                continue
            dates = [a.date for a in story.articles if a.date]
            if (since or until) and not any((not since or d >= since) and (not until or d <= until) for d in dates):
                continue
            story.articles.sort(key=lambda a: (a.date or dt.date.max, a.id))
            out.append(story)
        out.sort(key=lambda s: (-(s.last or dt.date.min).toordinal(), s.id))
        return out

    def links(self, *, near_only: bool = False, templates: bool = False) -> list[tuple[SentenceCopy, SentenceCopy]]:
        """Every linked sentence pair once (for measurement): ``(a's sentence, b's sentence)``, both with
        the pair's similarity; ``near_only`` leaves out identical fingerprints; template text
        (:func:`~.grouping.boilerplate`) is left out unless ``templates``."""
        with self._lock:
            rows = self._db.execute(
                'SELECT l.a, l.ea, s.start, s."end", l.b, l.eb, o.start, o."end", l.sim, s.fp = o.fp FROM links l '
                "JOIN sentences s ON s.article_id = l.a AND s.pos = l.pa "
                "JOIN sentences o ON o.article_id = l.b AND o.pos = l.pb WHERE l.a < l.b"
            ).fetchall()
            articles = {r.id: r for r in self._rows()}
        skip = set() if templates else boilerplate(articles, [(r[0], r[1], r[4], r[5]) for r in rows])
        return [
            (SentenceCopy(a, sa, ea, sim), SentenceCopy(b, sb, eb, sim))
            for a, pa, sa, ea, b, pb, sb, eb, sim, same in rows
            if not (near_only and same) and (a, pa) not in skip and (b, pb) not in skip
        ]

    def copies(self, article_id: str, start: int, end: int) -> list[SentenceCopy]:
        """Sentences of other articles identical or near-identical to the eligible sentences of this
        article that overlap ``[start, end)``, each other article's best first."""
        with self._lock:
            rows = self._db.execute(
                'SELECT l.ea, l.b, l.eb, o.start, o."end", l.sim FROM sentences s '
                "JOIN links l ON l.a = s.article_id AND l.pa = s.pos "
                "JOIN sentences o ON o.article_id = l.b AND o.pos = l.pb "
                'WHERE s.article_id = ? AND s.start < ? AND s."end" > ? ORDER BY l.b, l.sim DESC, o.start',
                (article_id, end, start),
            ).fetchall()
            ids = [article_id, *{r[1] for r in rows}]
            marks = ",".join("?" * len(ids))
            sql = f"SELECT id, source FROM articles WHERE id IN ({marks})"
            source = dict(self._db.execute(sql, ids).fetchall()) if len(ids) <= _STEP else {}
        by_sentence: dict[int, set[str]] = defaultdict(set)
        for ea, b, _, _, _, _ in rows:
            by_sentence[ea].add(b)
        mine = source.get(article_id, "")
        template = {
            ea
            for ea, others in by_sentence.items()
            if len(others) > MAX_DEGREE or (mine and sum(source.get(o) == mine for o in others) > SAME_SOURCE_MAX)
        }
        return [SentenceCopy(b, s, e, sim) for ea, b, _, s, e, sim in rows if ea not in template]
