"""Do time-aware questions (qa.time_intent / qa.time_filter) move the QA sets' retrieval?

    .venv/bin/python benchmarks/time_questions.py                 # XQuAD ar, XQuAD en → ar, MLQA ar
    .venv/bin/python benchmarks/time_questions.py --flagged-only  # only the questions with time intent

For each set it counts the questions the detector flags (a period, the latest cue) with ``as_of`` =
today, then builds the product's own index of the set's contexts (default settings: e5, hybrid,
rerank; the contexts are undated, as Wikipedia paragraphs are) and asks every question (or only the
flagged ones) twice: through ``Assistant.search`` (the time path) and through the retriever alone
(what ``sanad eval`` measures). It reports how many top-k lists differ and the gold rank (the eval's
rule, ``qa.evaluate.is_gold``) both ways: MRR@k and R@1. Passage embeddings are cached in
``$SANAD_HOME/cache`` as the eval does. Prints a table and writes JSON (default
benchmarks/results/time_questions.json).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.embed_cache import CachedEmbedder  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.evaluate import Question, is_gold, load_squad  # noqa: E402
from qa.settings import load_settings  # noqa: E402
from qa.time_intent import time_intent  # noqa: E402

QA = ROOT.parent / "shared" / "data" / "qa"
SETS = [
    ("XQuAD ar", QA / "xquad.ar.json", None),
    ("XQuAD en → ar", QA / "xquad.ar.json", QA / "xquad.en.json"),
    ("MLQA ar-ar dev", QA / "mlqa-dev-ar-ar.json", None),
]


def rank(passages: list[Any], q: Question) -> int | None:
    return next((i for i, p in enumerate(passages, 1) if is_gold(p, q)), None)


def mrr(ranks: list[int | None]) -> float:
    return sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def r1(ranks: list[int | None]) -> float:
    return sum(r == 1 for r in ranks) / len(ranks) if ranks else 0.0


def measure(
    label: str, path: Path, questions_from: Path | None, *, flagged_only: bool, k: int, show: bool = False
) -> dict[str, Any]:
    data = load_squad(path, questions_from)
    today = date.today()
    intents = {q.id: time_intent(q.question, today) for q in data.questions}
    flagged = [q for q in data.questions if intents[q.id].any]
    asked = flagged if flagged_only else data.questions
    settings = load_settings()
    cache = Path(settings.home) / "cache" / "embeddings.sqlite"
    with tempfile.TemporaryDirectory() as tmp:
        a = Assistant(
            settings.model_copy(update={"home": Path(tmp)}), wrap_embedder=lambda build: CachedEmbedder(build(), cache)
        )
        t0 = time.perf_counter()
        a.ingest_records(data.contexts, origin=str(path))
        build_s = time.perf_counter() - t0
        changed = 0
        timed_ranks: list[int | None] = []
        plain_ranks: list[int | None] = []
        for q in asked:
            timed = a.search(q.question, k=k, as_of=today)
            plain = a.retriever.retrieve(q.question, k, None)
            if [p.chunk_id for p in timed] != [p.chunk_id for p in plain]:
                changed += 1
                if show:
                    ids = [(a_.chunk_id, b_.chunk_id) for a_, b_ in zip(timed, plain, strict=False)]
                    at = next((i for i, (x, y) in enumerate(ids, 1) if x != y), min(len(timed), len(plain)) + 1)
                    shared = len({p.chunk_id for p in timed} & {p.chunk_id for p in plain})
                    print(
                        f"  changed ({label}): {q.question}  gold rank {rank(plain, q)} -> {rank(timed, q)}; "
                        f"first difference at rank {at}, {shared} of {len(plain)} passages shared"
                    )
            timed_ranks.append(rank(timed, q))
            plain_ranks.append(rank(plain, q))
        a.close()
    return {
        "set": label,
        "questions": len(data.questions),
        "time_intent": len(flagged),
        "period": sum(intents[q.id].restricts for q in data.questions),
        "latest": sum(intents[q.id].latest for q in data.questions),
        "asked": len(asked),
        "lists_changed": changed,
        "mrr_plain": mrr(plain_ranks),
        "mrr_timed": mrr(timed_ranks),
        "r1_plain": r1(plain_ranks),
        "r1_timed": r1(timed_ranks),
        "build_s": build_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flagged-only", action="store_true", help="ask only the questions with time intent")
    parser.add_argument("--only", help="only the set whose label starts with this (e.g. MLQA)")
    parser.add_argument("--show", action="store_true", help="print each question whose top-k list changed")
    parser.add_argument("-k", type=int, default=20, help="passages per question (the eval's default, 20)")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "time_questions.json")
    args = parser.parse_args()
    sets = [(label, p, qf) for label, p, qf in SETS if p.exists() and label.startswith(args.only or "")]
    rows = [measure(label, p, qf, flagged_only=args.flagged_only, k=args.k, show=args.show) for label, p, qf in sets]
    head = f"{'set':<16} {'questions':>9} {'time intent':>11} {'period':>6} {'latest':>6} {'asked':>5} "
    head += f"{'changed':>7} {'MRR plain':>9} {'MRR timed':>9} {'R@1 plain':>9} {'R@1 timed':>9}"
    print(head)
    for r in rows:
        print(
            f"{r['set']:<16} {r['questions']:>9} {r['time_intent']:>11} {r['period']:>6} {r['latest']:>6} "
            f"{r['asked']:>5} {r['lists_changed']:>7} {r['mrr_plain']:>9.3f} {r['mrr_timed']:>9.3f} "
            f"{r['r1_plain']:>9.3f} {r['r1_timed']:>9.3f}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.processor() or platform.machine(), "k": args.k, "flagged_only": args.flagged_only}
    args.json.write_text(json.dumps({"meta": meta, "rows": rows}, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
