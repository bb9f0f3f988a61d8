"""When the extractive answer counts as support: its gate's thresholds, chosen on both rates.

For each visible set it builds the isolated index ``sanad eval`` builds (default settings, so the
default sentence pass), asks the first ``--questions`` questions, and records what the gate
(:meth:`qa.extractive.Thresholds.admits`) reads of the best sentence, and whether the first cited
sentence holds a gold answer; then asks them again over the index without their gold context
(``sanad eval --unanswerable``). Every grid point of the gate's thresholds is then scored on both:
answered correctly (admitted, first cited sentence holds gold) and the false-answer rate (admitted
without the gold context). Thresholds are chosen on the first half of each set's questions, the
false-answer rate at most ``--max-false`` on every set; the table shows both halves, so the
second half checks the choice.

    .venv/bin/python benchmarks/answer_gate.py [--questions 400] [--max-false 0.2] [--home DIR]

Writes benchmarks/results/answer_gate.json (the harvest, the chosen thresholds and the table).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.embed import SHARED_QA  # noqa: E402
from benchmarks.ingest import cpu_flags  # noqa: E402
from index.embed_cache import CachedEmbedder  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.evaluate import Question, contains, load_squad, without_gold_context  # noqa: E402
from qa.extractive import Evidence, ExtractiveAnswerer, Thresholds  # noqa: E402
from qa.language import detect_language  # noqa: E402
from qa.question_intent import asks_nothing  # noqa: E402
from qa.settings import Settings  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SETS = {
    "XQuAD ar": ("xquad.ar.json", None),
    "XQuAD en→ar": ("xquad.ar.json", "xquad.en.json"),
    "MLQA ar": ("mlqa-dev-ar-ar.json", None),
}
ADMIT_ALL = Thresholds(min_overlap=0.0)
# the grid: same-language thresholds, then the cross-language ones (each side scored on its own sets)
OVERLAP = [0.5, 0.6]
SAME = {
    "sure_dense": [0.85, 0.86, 0.87, 0.88, 0.9, 2.0],
    "min_dense": [0.8, 0.82, 0.84, 0.86, 0.88],
    "min_standout": [2.0, 2.5, 3.0],
    "min_late_standout": [0.5, 1.0, 1.5],
}
CROSS = {
    "cross_standout": [1.5, 2.0, 2.5],
    "cross_late_standout": [1.5, 2.0, 2.5],
    "cross_late_floor": [0.76, 0.77, 0.78, 0.79, 0.8],
    "cross_dense_floor": [0.78, 0.79, 0.8, 0.81, 0.82],
}

Row = tuple[Evidence, bool]  # the gate's evidence, and whether the first cited sentence holds gold


def harvest(settings: Settings, name: str, questions: int, cache: Path) -> dict[str, list[Row]]:
    """Each question's evidence with its gold context in the index, and without it (same order)."""
    data_file, questions_file = SETS[name]
    data = load_squad(SHARED_QA / data_file, SHARED_QA / questions_file if questions_file else None)
    asked = [q for q in data.questions[:questions] if not asks_nothing(q.question)]
    with tempfile.TemporaryDirectory() as tmp:
        local = settings.model_copy(update={"home": Path(tmp)})
        assistant = Assistant(local, wrap_embedder=lambda build: CachedEmbedder(build(), cache))
        assistant.ingest_records(data.contexts, origin="gate")
        answerer, permissive = assistant.extractive_answerer(), assistant.extractive_answerer()
        permissive.thresholds = ADMIT_ALL
        with_gold = [_row(assistant, answerer, permissive, q) for q in asked]
        without = {
            q.id: _row(assistant, answerer, permissive, q)
            for q in without_gold_context(assistant, asked, data.contexts)
        }
    return {"with": with_gold, "without": [without[q.id] for q in asked]}


def _row(assistant: Assistant, answerer: ExtractiveAnswerer, permissive: ExtractiveAnswerer, q: Question) -> Row:
    """The gate's evidence for ``q``'s best sentence, and whether its first cited sentence (as
    ``permissive``, which admits every best sentence, cites it) holds a gold answer."""
    language = detect_language(q.question)
    ranked = answerer.rank(q.question, assistant.search(q.question))
    if not ranked:
        return Evidence(0.0, None, None, 0.0, 0.0, False), False
    first = permissive.choose(ranked, language)[0]
    return answerer.evidence(ranked, ranked[0], language), any(contains(first.text, g) for g in q.answers)


def rates(t: Thresholds, rows: dict[str, list[Row]], part: slice) -> tuple[float, float]:
    """(answered correctly, false-answer rate) of ``t`` on ``part`` of the questions."""
    good = [t.admits(e) and gold for e, gold in rows["with"][part]]
    false = [t.admits(e) for e, _ in rows["without"][part]]
    return sum(good) / max(1, len(good)), sum(false) / max(1, len(false))


def choose(harvests: dict[str, dict[str, list[Row]]], max_false: float) -> Thresholds:
    """The grid point with the most answered correctly (summed over sets) on each set's first half,
    every set's false-answer rate at most ``max_false`` there.

    A question's best sentence is read by the same-language axes or by the cross-language ones
    (``Evidence.cross``), so for each ``min_overlap`` the two halves of the grid are counted apart
    and every pairing is the sum of its two counts."""
    halves = {
        n: (rows["with"][: len(rows["with"]) // 2], rows["without"][: len(rows["with"]) // 2])
        for n, rows in harvests.items()
    }
    best, best_score = Thresholds(), -1.0
    for overlap in OVERLAP:
        base = dataclasses.replace(Thresholds(), min_overlap=overlap)
        sides = [_counts(base, axes, halves, cross) for axes, cross in ((SAME, False), (CROSS, True))]
        for (same, a), (cross, b) in itertools.product(*sides):
            sums = {n: (a[n][0] + b[n][0], a[n][1] + b[n][1]) for n in halves}
            if all(false <= max_false * len(halves[n][1]) for n, (_, false) in sums.items()):
                score = sum(good / len(halves[n][0]) for n, (good, _) in sums.items())
                if score > best_score:
                    best, best_score = dataclasses.replace(base, **same, **cross), score
    return best


def _counts(
    base: Thresholds,
    axes: dict[str, list[float]],
    halves: dict[str, tuple[list[Row], list[Row]]],
    cross: bool,
) -> list[tuple[dict[str, float], dict[str, tuple[int, int]]]]:
    """Per grid point of ``axes``: each set's (answered correctly, answered without gold context)
    among the questions whose best sentence is (``cross``) or is not in another language."""
    out = []
    for point in _grid(axes):
        t = dataclasses.replace(base, **point)
        counts = {}
        for n, (with_gold, without) in halves.items():
            good = sum(t.admits(e) and g for e, g in with_gold if e.cross == cross)
            false = sum(t.admits(e) for e, _ in without if e.cross == cross)
            counts[n] = (good, false)
        out.append((point, counts))
    return out


def _grid(axes: dict[str, list[float]]) -> Iterator[dict[str, float]]:
    for values in itertools.product(*axes.values()):
        yield dict(zip(axes, values, strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=int, default=400, help="first N questions of each set")
    ap.add_argument("--max-false", type=float, default=0.2)
    ap.add_argument("--home", type=Path, help="its cache/embeddings.sqlite is reused (as sanad eval's)")
    ap.add_argument("--out", type=Path, default=RESULTS / "answer_gate.json")
    args = ap.parse_args()
    settings = Settings(home=args.home) if args.home else Settings()
    cache = Path(settings.home) / "cache" / "embeddings.sqlite"
    harvests = {name: harvest(settings, name, args.questions, cache) for name in SETS}
    chosen = choose(harvests, args.max_false)
    now = Thresholds()
    table: list[dict[str, Any]] = []
    print(
        f"{' · '.join(cpu_flags())} · sentence pass {settings.ingest.sentence_pass} · {args.questions} questions a set"
    )
    print(f"{'set':14} {'half':6} {'now: good / false':>18} {'chosen: good / false':>22}")
    for name, rows in harvests.items():
        half = len(rows["with"]) // 2
        for label, part in (("choose", slice(0, half)), ("check", slice(half, None))):
            a, b = rates(now, rows, part), rates(chosen, rows, part)
            print(f"{name:14} {label:6} {a[0]:8.3f} / {a[1]:.3f} {b[0]:12.3f} / {b[1]:.3f}")
            table.append({"set": name, "half": label, "now": a, "chosen": b})
    changed = {k: v for k, v in dataclasses.asdict(chosen).items() if v != getattr(now, k)}
    print(f"chosen thresholds (changed from now): {changed}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "cpu_flags": cpu_flags(),
        "sentence_pass": settings.ingest.sentence_pass,
        "chosen": dataclasses.asdict(chosen),
        "table": table,
        "harvest": {
            n: {k: [[dataclasses.asdict(e), g] for e, g in v] for k, v in r.items()} for n, r in harvests.items()
        },
    }
    args.out.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
