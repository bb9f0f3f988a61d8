"""Which sentence vectors match a question best: alone, pooled from the chunk's pass, or local.

Each XQuAD context is one passage, split into sentences by Sanad's splitter; a question's gold
sentence is the one holding its answer's start. The variants are the ingest's own calls on the e5
embedder: ``embed`` of each sentence alone (``SANAD_INGEST_SENTENCE_PASS=separate``), and
``encode_passages`` with ``local_layers`` 0 (``pooled``) up to 12 (``local`` re-runs the last
:data:`index.indexer.LOCAL_LAYERS`). For Arabic and English questions it prints question →
sentence MRR@10 over every sentence of the set, the share whose best sentence in its own context
is the gold one, and the seconds each variant's passes took (one process, one after another).

    .venv/bin/python benchmarks/sentence_pass.py [--data xquad.ar.json] [--english xquad.en.json]
        [--layers 0,2,4,6] [--contexts N]

Writes benchmarks/results/sentence_pass.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.embed import SHARED_QA  # noqa: E402
from benchmarks.ingest import cpu_flags  # noqa: E402
from index.e5_embedder import E5Embedder  # noqa: E402
from index.embeddings import l2_normalise  # noqa: E402
from index.sentences import split_sentences  # noqa: E402
from qa.evaluate import load_squad  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def load(data: Path, english: Path | None, limit: int) -> tuple[list[str], list[tuple[int, str, str | None, int]]]:
    """The first ``limit`` contexts, and (context index, question, English question, answer start)
    per question of theirs (:func:`qa.evaluate.load_squad`, the eval's reader)."""
    dataset = load_squad(data)
    en = {q.id: q.question for q in load_squad(data, english).questions} if english and english.exists() else {}
    where = {c["id"]: i for i, c in enumerate(dataset.contexts[:limit])}
    questions = [
        (where[q.context_id], q.question, en.get(q.id), q.starts[0])
        for q in dataset.questions
        if q.context_id in where and q.starts
    ]
    return [c["text"] for c in dataset.contexts[:limit]], questions


def score(
    vectors: np.ndarray, asked: np.ndarray, owner: list[int], gold: list[int], where: list[list[int]]
) -> tuple[float, float]:
    """MRR@10 of the gold sentence among all, and the share where it is its context's best."""
    sims = asked @ l2_normalise(vectors).T
    mrr, top = [], []
    for i, g in enumerate(gold):
        rank = int((sims[i] > sims[i, g]).sum())
        mrr.append(1.0 / (rank + 1) if rank < 10 else 0.0)
        own = where[owner[i]]
        top.append(float(own[int(np.argmax(sims[i, own]))] == g))
    return float(np.mean(mrr)), float(np.mean(top))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SHARED_QA / "xquad.ar.json")
    ap.add_argument("--english", type=Path, default=SHARED_QA / "xquad.en.json")
    ap.add_argument("--layers", default="0,2,4,6", help="local layers to try (0: pooled)")
    ap.add_argument("--contexts", type=int, default=240)
    ap.add_argument("--out", type=Path, default=RESULTS / "sentence_pass.json")
    args = ap.parse_args()
    if not args.data.exists():
        sys.exit(f"no {args.data}: this benchmark reads shared/data/qa beside the checkout")
    contexts, questions = load(args.data, args.english, args.contexts)
    spans = [[(s.start, s.end) for s in split_sentences(c)] for c in contexts]
    where: list[list[int]] = []
    for row in spans:
        first = sum(len(r) for r in where)
        where.append(list(range(first, first + len(row))))
    kept = [
        (c, q, e, next(where[c][k] for k, (a, b) in enumerate(spans[c]) if a <= start < b))
        for c, q, e, start in questions
        if any(a <= start < b for a, b in spans[c])
    ]
    owner, gold = [c for c, *_ in kept], [g for *_, g in kept]
    embedder = E5Embedder()
    asked = {"ar": embedder.embed([q for _, q, _, _ in kept], "query")}
    if all(e is not None for _, _, e, _ in kept):
        asked["en"] = embedder.embed([e or "" for _, _, e, _ in kept], "query")
    variants: dict[str, tuple[np.ndarray, float]] = {}
    started = time.perf_counter()
    alone = embedder.embed([c[a:b] for c, row in zip(contexts, spans, strict=True) for a, b in row], "passage")
    variants["alone"] = (alone, time.perf_counter() - started)
    for layers in [int(x) for x in args.layers.split(",") if x]:
        started = time.perf_counter()
        encoded = embedder.encode_passages(contexts, spans, local_layers=layers)
        name = "pooled" if layers == 0 else f"local {layers}"
        variants[name] = (np.vstack([e.spans for e in encoded]), time.perf_counter() - started)
    rows: list[dict[str, Any]] = []
    print(f"{len(contexts)} contexts · {sum(map(len, spans))} sentences · {len(kept)} questions")
    print(f"{' · '.join(cpu_flags())} · precision {embedder.precision}")
    print(f"{'variant':10} {'ar MRR@10':>10} {'ar best':>8} {'en MRR@10':>10} {'en best':>8} {'pass s':>7}")
    for name, (vectors, seconds) in variants.items():
        row: dict[str, Any] = {"variant": name, "seconds": round(seconds, 2)}
        cells = []
        for lang in ("ar", "en"):
            if lang in asked:
                mrr, top = score(vectors, asked[lang], owner, gold, where)
                row[f"{lang}_mrr10"], row[f"{lang}_best_in_context"] = round(mrr, 4), round(top, 4)
                cells += [f"{mrr:10.3f}", f"{top:8.3f}"]
            else:
                cells += [f"{'—':>10}", f"{'—':>8}"]
        print(f"{name:10} {' '.join(cells)} {seconds:7.1f}")
        rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cpu_flags": cpu_flags(), "rows": rows}, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
