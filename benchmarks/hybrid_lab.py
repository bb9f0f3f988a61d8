"""Hybrid lab: fusion variants measured on the product's own index (real chunking, default embedder).

``retrieval_lab.py`` compares building blocks on whole contexts; this one builds the index
``sanad eval`` builds (contexts as articles, optional news distractors, sentence vectors),
keeps it under ``--work`` so a re-run only re-reads it, loads every chunk and sentence vector,
and replays retrieval for each question exactly (brute-force cosine, the tantivy BM25 leg as
the product queries it), so fusion variants are compared on identical evidence:

    .venv/bin/python benchmarks/hybrid_lab.py
    .venv/bin/python benchmarks/hybrid_lab.py --distractors ../shared/data/news/saudinewsnet --distractor-limit 5000

Variants: the product's fusion (``index.fusion.fuse`` with its defaults, dense/lexical legs of
``fetch`` candidates, lexical-only candidates at the dense floor), the same with the true
cosine of lexical-only candidates, with a third candidate leg from sentence-level nearest
neighbours, dense pseudo-relevance feedback (the query moved towards its top chunks), the
runner-up sentence averaged in, a numbers-only BM25 leg for cross-script questions
("anchors"), the late-interaction rerank of :mod:`index.rerank` on the product's top 20/30
("maxsim TOP xWEIGHT"), and (``--grid``) a grid of the lexical and sentence weights. Scores are per question: rank of
the first chunk of the gold context after at most ``--max-per-article`` chunks per article.
Prints a table and writes JSON to benchmarks/results/hybrid_lab.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval_lab import SETS, SHARED  # noqa: E402  (the same QA sets, same names)

from index.documents import Passage, passage_sentences  # noqa: E402
from index.embed_cache import CachedEmbedder  # noqa: E402
from index.fusion import fuse, to_passages  # noqa: E402
from index.lexical import SCRIPT_FULL_SHARE  # noqa: E402
from index.rerank import MaxSimReranker, TokenCache, token_embedder  # noqa: E402
from index.stemming import words  # noqa: E402
from index.token_codec import PackedStates  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.evaluate import load_squad  # noqa: E402
from qa.settings import Settings  # noqa: E402


@dataclass
class Corpus:
    chunk_ids: list[str]
    article_of: NDArray[np.int64]  # chunk row → article row
    article_ids: list[str]
    chunk_vectors: NDArray[np.float32]
    sentence_chunk: NDArray[np.int64]  # sentence row → chunk row (a sentence in two chunks has two rows)
    sentence_vectors: NDArray[np.float32]
    passages: dict[str, Passage]


def build_index(args: argparse.Namespace, dataset: Path, settings: Settings) -> tuple[Assistant, int]:
    """The eval index of ``dataset`` (+ distractors) under --work, built once and reused."""
    tag = dataset.stem + (f"-d{args.distractor_limit or 'all'}" if args.distractors else "")
    cache_path = Path(settings.home) / "cache" / "embeddings.sqlite"
    lab = settings.model_copy(update={"home": args.work / tag})
    lab.chroma = lab.chroma.model_copy(update={"url": None})
    assistant = Assistant(lab, wrap_embedder=lambda build: CachedEmbedder(build(), cache_path))
    data = load_squad(dataset)
    started = time.perf_counter()
    assistant.ingest_records(data.contexts, origin=str(dataset))
    if args.distractors:
        assistant.ingest(args.distractors, limit=args.distractor_limit)
    print(f"{tag}: {assistant.store.count()} chunks ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return assistant, len(data.contexts)


def load_corpus(assistant: Assistant) -> Corpus:
    store = assistant.store
    passages = {p.chunk_id: p for p in store.iter_passages()}
    chunk_ids = list(passages)
    row = {cid: i for i, cid in enumerate(chunk_ids)}
    vectors: dict[str, NDArray[np.float32]] = {}
    for i in range(0, len(chunk_ids), 2000):
        got = store._chunks.get(ids=chunk_ids[i : i + 2000], include=["embeddings"])
        for cid, vec in zip(got["ids"], got["embeddings"], strict=True):  # type: ignore[arg-type]
            vectors[cid] = np.asarray(vec, dtype=np.float32)
    article_ids = sorted({p.article_id for p in passages.values()})
    arow = {a: i for i, a in enumerate(article_ids)}
    pairs = [(row[cid], sid) for cid, p in passages.items() for sid, _ in passage_sentences(p)]
    stored = store.sentence_vectors(list(dict.fromkeys(sid for _, sid in pairs)))
    pairs = [(r, sid) for r, sid in pairs if sid in stored]
    return Corpus(
        chunk_ids=chunk_ids,
        article_of=np.array([arow[passages[c].article_id] for c in chunk_ids]),
        article_ids=article_ids,
        chunk_vectors=np.vstack([vectors[c] for c in chunk_ids]),
        sentence_chunk=np.array([r for r, _ in pairs]),
        sentence_vectors=np.vstack([stored[sid] for _, sid in pairs]),
        passages=passages,
    )


@dataclass
class Evidence:
    """Everything a variant needs for one question."""

    gold: int  # article row
    qv: NDArray[np.float32]
    cos: NDArray[np.float32]  # every chunk
    sent: NDArray[np.float32]  # best sentence cosine of every chunk
    sent_rank: list[int]  # chunk rows by their best sentence, best first (top 200)
    lexical: list[tuple[str, float]]
    coverage: float
    bound: float
    anchors: list[tuple[str, float]]  # cross-script questions: BM25 of their numbers alone
    anchor_bound: float
    anchor_share: float  # numbers / words of the question
    question: str = ""


def gather(assistant: Assistant, corpus: Corpus, questions: Sequence[Any], fetch: int) -> list[Evidence]:
    embedder, lexical = assistant.embedder, assistant.lexical
    arow = {a: i for i, a in enumerate(corpus.article_ids)}
    out: list[Evidence] = []
    for start in range(0, len(questions), 64):
        part = questions[start : start + 64]
        qv = np.asarray(embedder.embed([q.question for q in part], "query"), dtype=np.float32)
        cos_all = qv @ corpus.chunk_vectors.T
        sims_all = qv @ corpus.sentence_vectors.T
        for j, q in enumerate(part):
            best = np.full(len(corpus.chunk_ids), -1.0, dtype=np.float32)
            np.maximum.at(best, corpus.sentence_chunk, sims_all[j])
            stats = lexical.query_stats(q.question)
            hits = lexical.search(q.question, fetch) if stats.coverage > 0 else []
            ws = words(q.question)
            digits = [w for w in ws if w.isdigit()]
            anchors: list[tuple[str, float]] = []
            abound = 0.0
            if digits and stats.script_share < SCRIPT_FULL_SHARE:
                anchors = lexical.search(" ".join(digits), fetch)
                abound = lexical.query_stats(" ".join(digits)).bound
            out.append(
                Evidence(
                    gold=arow[q.context_id],
                    qv=qv[j],
                    cos=cos_all[j],
                    sent=best,
                    sent_rank=[int(i) for i in np.argsort(-best)[:200]],
                    lexical=hits,
                    coverage=stats.coverage,
                    bound=stats.bound,
                    anchors=anchors,
                    anchor_bound=abound,
                    anchor_share=len(digits) / max(1, len(ws)),
                    question=q.question,
                )
            )
    return out


class StoredTokenCache(TokenCache):
    """The reranker's token cache backed by a SQLite file, so reruns skip the passage passes."""

    def __init__(self, path: Path) -> None:
        super().__init__(max_bytes=8_000_000_000)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS packed (id TEXT PRIMARY KEY, dim INTEGER, data BLOB)")
        self.pending = 0

    def get(self, key: str) -> PackedStates | None:
        found = super().get(key)
        if found is not None:
            return found
        row = self.db.execute("SELECT dim, data FROM packed WHERE id = ?", (key,)).fetchone()
        value = PackedStates.from_bytes(row[1], row[0]) if row is not None else None
        if value is not None:
            super().put(key, value)
        return value

    def put(self, key: str, value: NDArray[np.floating] | PackedStates) -> None:
        packed = PackedStates.of(value)
        super().put(key, packed)
        self.db.execute("INSERT OR REPLACE INTO packed VALUES (?, ?, ?)", (key, packed.dim, packed.to_bytes()))
        self.pending += 1
        if self.pending >= 200:
            self.db.commit()
            self.pending = 0

    def flush(self) -> None:
        self.db.commit()


def gold_rank(
    corpus: Corpus, ranked: Sequence[str], gold: int, max_per_article: int, row: dict[str, int]
) -> int | None:
    seen: dict[int, int] = defaultdict(int)
    rank = 0
    for cid in ranked:
        a = int(corpus.article_of[row[cid]])
        if max_per_article and seen[a] >= max_per_article:
            continue
        seen[a] += 1
        rank += 1
        if a == gold:
            return rank
        if rank >= 50:
            return None
    return None


def run_variant(
    corpus: Corpus,
    evidence: Sequence[Evidence],
    *,
    fetch: int,
    true_cosine: bool,
    sentence_leg: int,
    lexical_weight: float,
    sentence_weight: float,
    max_per_article: int,
    prf: tuple[int, float] = (0, 0.0),
    second_sentence: float = 0.0,
    anchor_weight: float = 0.0,
    reranker: MaxSimReranker | None = None,
) -> dict[str, float]:
    row = {cid: i for i, cid in enumerate(corpus.chunk_ids)}
    ranks: list[int | None] = []
    opts = {
        "fetch": fetch,
        "true_cosine": true_cosine,
        "sentence_leg": sentence_leg,
        "lexical_weight": lexical_weight,
        "sentence_weight": sentence_weight,
        "anchor_weight": anchor_weight,
    }
    for ev in evidence:
        if second_sentence:
            ev = with_query(corpus, ev, ev.qv, second_sentence)
        fused = fuse_one(corpus, ev, row, **opts)
        if prf[0]:
            top = [row[f.chunk_id] for f in fused[: prf[0]]]
            q2 = ev.qv + prf[1] * corpus.chunk_vectors[top].mean(axis=0)
            q2 = q2 / np.linalg.norm(q2)
            fused = fuse_one(corpus, with_query(corpus, ev, q2, second_sentence), row, **opts)
        ranked = [f.chunk_id for f in fused]
        if reranker is not None:
            ranked = [p.chunk_id for p in reranker.rerank(ev.question, to_passages(fused, corpus.passages))]
        ranks.append(gold_rank(corpus, ranked, ev.gold, max_per_article, row))
    n = max(1, len(ranks))
    return {
        "MRR@10": sum(1 / r for r in ranks if r is not None and r <= 10) / n,
        "R@1": sum(1 for r in ranks if r == 1) / n,
        "R@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "R@20": sum(1 for r in ranks if r is not None and r <= 20) / n,
        "R@50": sum(1 for r in ranks if r is not None) / n,
    }


def with_query(corpus: Corpus, ev: Evidence, qv: NDArray[np.float32], second: float) -> Evidence:
    """The evidence for another query vector (PRF), or with ``second`` × the runner-up sentence added."""
    cos = corpus.chunk_vectors @ qv
    sims = corpus.sentence_vectors @ qv
    best = np.full(len(corpus.chunk_ids), -1.0, dtype=np.float32)
    np.maximum.at(best, corpus.sentence_chunk, sims)
    if second:
        masked = np.where(sims >= best[corpus.sentence_chunk], -1.0, sims).astype(np.float32)
        runner = np.full(len(corpus.chunk_ids), -1.0, dtype=np.float32)
        np.maximum.at(runner, corpus.sentence_chunk, masked)
        runner = np.where(runner < 0, best, runner)
        best = (best + second * runner) / (1 + second)
    return Evidence(
        ev.gold,
        qv,
        cos,
        best,
        [int(i) for i in np.argsort(-best)[:200]],
        ev.lexical,
        ev.coverage,
        ev.bound,
        ev.anchors,
        ev.anchor_bound,
        ev.anchor_share,
        ev.question,
    )


def fuse_one(
    corpus: Corpus,
    ev: Evidence,
    row: dict[str, int],
    *,
    fetch: int,
    true_cosine: bool,
    sentence_leg: int,
    lexical_weight: float,
    sentence_weight: float,
    anchor_weight: float = 0.0,
) -> list[Any]:
    order = np.argsort(-ev.cos)[:fetch]
    dense = [corpus.passages[corpus.chunk_ids[i]].model_copy(update={"score": float(ev.cos[i])}) for i in order]
    candidates = {p.chunk_id for p in dense} | {cid for cid, _ in ev.lexical}
    if sentence_leg:
        extra = [corpus.chunk_ids[i] for i in ev.sent_rank[:sentence_leg]]
        candidates |= set(extra)
    if true_cosine:
        have = {p.chunk_id for p in dense}
        dense += [corpus.passages[c].model_copy(update={"score": float(ev.cos[row[c]])}) for c in candidates - have]
        dense.sort(key=lambda p: -p.score)
    sentence = {c: float(ev.sent[row[c]]) for c in candidates}
    lexical, coverage, bound = ev.lexical, ev.coverage, ev.bound
    if anchor_weight and ev.anchors:
        have = {p.chunk_id for p in dense}
        dense += [
            corpus.passages[c].model_copy(update={"score": float(ev.cos[row[c]])})
            for c, _ in ev.anchors
            if c not in have
        ]
        dense.sort(key=lambda p: -p.score)
        sentence = {p.chunk_id: float(ev.sent[row[p.chunk_id]]) for p in dense}
        lexical, coverage, bound = ev.anchors, anchor_weight, ev.anchor_bound
    fused = fuse(
        dense,
        lexical,
        coverage=coverage,
        lexical_bound=bound or None,
        sentence=sentence,
        lexical_weight=lexical_weight,
        sentence_weight=sentence_weight,
    )
    return fused


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--sets", default="xquad_ar,mlqa,xquad_en")
    ap.add_argument("--distractors", type=Path, action="append")
    ap.add_argument("--distractor-limit", type=int)
    ap.add_argument("--home", type=Path, help="SANAD_HOME holding the embedding cache (default: settings)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/sanad_hybrid_lab"))
    ap.add_argument("--fetch", type=int, default=50)
    ap.add_argument("--max-per-article", type=int, default=3)
    ap.add_argument("--grid", action="store_true", help="also a grid of lexical and sentence weights")
    ap.add_argument("--variants", help="comma-separated variant names (default: all)")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/hybrid_lab.json")
    ap.add_argument("--token-store", type=Path, help="SQLite file keeping passage token states between runs")
    args = ap.parse_args()
    settings = Settings(**({"home": args.home} if args.home else {}))
    variants: dict[str, dict[str, Any]] = {
        "product": {"true_cosine": False, "sentence_leg": 0},
        "true cosine": {"true_cosine": True, "sentence_leg": 0},
        "sentence leg 30": {"true_cosine": True, "sentence_leg": 30},
        "prf 3 x0.5": {"true_cosine": True, "sentence_leg": 0, "prf": (3, 0.5)},
        "prf 1 x0.5": {"true_cosine": True, "sentence_leg": 0, "prf": (1, 0.5)},
        "prf 3 x1": {"true_cosine": True, "sentence_leg": 0, "prf": (3, 1.0)},
        "2nd sentence 0.3": {"true_cosine": True, "sentence_leg": 0, "second_sentence": 0.3},
        "anchors 0.5": {"true_cosine": True, "sentence_leg": 0, "anchor_weight": 0.5},
        "anchors 1": {"true_cosine": True, "sentence_leg": 0, "anchor_weight": 1.0},
        "anchors 2": {"true_cosine": True, "sentence_leg": 0, "anchor_weight": 2.0},
    }
    # late-interaction rerank of the product's fused top-N (index.rerank), one token cache for all
    token_cache = StoredTokenCache(args.token_store) if args.token_store else TokenCache(max_bytes=8_000_000_000)
    for top, weight in ((20, 0.5), (20, 1.0), (20, 2.0), (30, 1.0)):
        variants[f"maxsim {top} x{weight}"] = {"true_cosine": False, "sentence_leg": 0, "rerank": (top, weight)}
    if args.variants:
        wanted = [v.strip() for v in args.variants.split(",")]
        for v in wanted:  # any "maxsim TOP xWEIGHT"
            parts = v.split()
            if v not in variants and len(parts) == 3 and parts[0] == "maxsim" and parts[2].startswith("x"):
                variants[v] = {"true_cosine": False, "sentence_leg": 0, "rerank": (int(parts[1]), float(parts[2][1:]))}
        variants = {v: variants[v] for v in wanted}
    weights = [(0.2, 1.0)]
    if args.grid:
        weights = [(lw, sw) for lw in (0.1, 0.2, 0.3, 0.4, 0.6, 0.8) for sw in (0.5, 1.0, 2.0)]
    results: list[dict[str, Any]] = []
    built: dict[Path, tuple[Assistant, Corpus]] = {}
    for name in args.sets.split(","):
        rel, parallel = SETS[name]
        dataset = args.shared / rel
        if dataset not in built:
            assistant, _ = build_index(args, dataset, settings)
            built[dataset] = (assistant, load_corpus(assistant))
        assistant, corpus = built[dataset]
        questions = load_squad(dataset, args.shared / parallel if parallel else None).questions
        t = time.perf_counter()
        evidence = gather(assistant, corpus, questions, args.fetch)
        print(f"{name}: evidence for {len(questions)} questions in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        encoder = token_embedder(assistant.embedder)
        for label, spec in variants.items():
            opts = dict(spec)
            if "rerank" in opts:
                top, weight = opts.pop("rerank")
                if encoder is None:
                    continue
                opts["reranker"] = MaxSimReranker(encoder, top=top, weight=weight, cache=token_cache)
            for lw, sw in weights:
                t = time.perf_counter()
                m = run_variant(
                    corpus,
                    evidence,
                    fetch=args.fetch,
                    lexical_weight=lw,
                    sentence_weight=sw,
                    max_per_article=args.max_per_article,
                    **opts,
                )
                m["seconds"] = time.perf_counter() - t
                if isinstance(token_cache, StoredTokenCache):
                    token_cache.flush()
                results.append({"set": name, "variant": label, "lexical_weight": lw, "sentence_weight": sw, **m})
                print(
                    f"{name:9} {label:16} lw={lw:<4} sw={sw:<4} MRR@10 {m['MRR@10']:.4f}  R@1 {m['R@1']:.4f}"
                    f"  ({m['seconds']:.0f} s)",
                    flush=True,
                )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": platform.machine(),
        "embedder": settings.embedder,
        "distractors": [str(d) for d in args.distractors or []],
        "distractor_limit": args.distractor_limit,
        "fetch": args.fetch,
    }
    args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2), encoding="utf-8")
    print(f"wrote {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
