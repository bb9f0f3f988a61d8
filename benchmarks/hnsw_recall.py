"""HNSW recall of the dense leg: chromadb's approximate top-k against the exact top-k.

Builds (or reuses, under ``--work``) the eval index of XQuAD-ar with news distractors, the
index ``sanad eval --distractors`` builds, then for Arabic and English questions compares the
chunk collection's answer to ``store.query(vector, k)`` with the exact cosine top-k computed
over every stored vector, for several ``ef_search`` values in one run (the store is reopened
with each, as ``SANAD_CHROMA_EF_SEARCH`` would open it):

    .venv/bin/python benchmarks/hnsw_recall.py --distractors ../shared/data/news/saudinewsnet --distractor-limit 5000

Prints a table (recall@k mean and minimum, query latency) and writes JSON to
benchmarks/results/hnsw_recall.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hybrid_lab import build_index, load_corpus  # noqa: E402
from retrieval_lab import SHARED  # noqa: E402

from qa.evaluate import load_squad  # noqa: E402
from qa.settings import Settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--distractors", type=Path, action="append")
    ap.add_argument("--distractor-limit", type=int)
    ap.add_argument("--home", type=Path, help="SANAD_HOME holding the embedding cache (default: settings)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/sanad_hybrid_lab"))
    ap.add_argument("--questions", type=int, default=300, help="questions per language")
    ap.add_argument("-k", type=int, default=50)
    ap.add_argument("--ef", default="100,200,400,800", help="ef_search values to compare")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/hnsw_recall.json")
    args = ap.parse_args()
    settings = Settings(**({"home": args.home} if args.home else {}))
    dataset = args.shared / "data/qa/xquad.ar.json"
    assistant, _ = build_index(args, dataset, settings)
    corpus = load_corpus(assistant)
    sets = {
        "ar": load_squad(dataset).questions[: args.questions],
        "en": load_squad(dataset, args.shared / "data/qa/xquad.en.json").questions[: args.questions],
    }
    vectors = {
        lang: np.asarray(assistant.embedder.embed([q.question for q in qs], "query"), dtype=np.float32)
        for lang, qs in sets.items()
    }
    exact = {
        lang: [
            {corpus.chunk_ids[j] for j in row}
            for row in np.argsort(-(qv @ corpus.chunk_vectors.T), axis=1)[:, : args.k]
        ]
        for lang, qv in vectors.items()
    }
    rows: list[dict[str, Any]] = []
    print(f"{len(corpus.chunk_ids)} chunks, k={args.k}")
    print(f"{'ef_search':>9} {'lang':>4} {'recall mean':>11} {'min':>5} {'ms/query':>8}")
    for ef in [int(x) for x in args.ef.split(",")]:
        # reopen the store as the product does (SANAD_CHROMA_EF_SEARCH): the breadth is applied on open
        assistant.store.close()
        for name in ("store", "lexical", "indexer", "retriever"):
            assistant.__dict__.pop(name, None)
        assistant.settings.chroma.ef_search = ef
        for lang, qv in vectors.items():
            recalls, times = [], []
            for i in range(len(qv)):
                t = time.perf_counter()
                got = {p.chunk_id for p in assistant.store.query(qv[i], args.k)}
                times.append(time.perf_counter() - t)
                recalls.append(len(got & exact[lang][i]) / args.k)
            row = {
                "ef_search": ef,
                "lang": lang,
                "recall_mean": statistics.mean(recalls),
                "recall_min": min(recalls),
                "ms_per_query": statistics.mean(times) * 1000,
            }
            rows.append(row)
            print(
                f"{ef:>9} {lang:>4} {row['recall_mean']:>11.4f} {row['recall_min']:>5.2f} {row['ms_per_query']:>8.1f}"
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.machine(), "chunks": len(corpus.chunk_ids), "k": args.k, "embedder": settings.embedder}
    args.json.write_text(json.dumps({"meta": meta, "results": rows}, indent=2), encoding="utf-8")
    print(f"wrote {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
