"""Cold start: the first question of a new process, stage by stage, a fresh process per run.

One home is built once (the demo corpus: the two seed articles beside the checkout, else
``samples/``, ingested with the default settings), then for ``--runs`` runs each (median kept):

* ``sanad -h`` — wall time of the real console script;
* ``sanad ask Q --json`` — wall time of the real console script, and the answer's own
  ``load`` / ``retrieve`` / ``answer`` timings;
* stages — a fresh ``python`` that times, one after the other: imports (``qa.assistant``),
  the embedder (model load), the store (chromadb opened and reconciled), the lexical index
  (opened and repaired), the question's embedding, the search (fusion and rerank), the answer;
  and whether torch was imported;
* ``sanad serve`` — from spawning the server to the first verified ``POST /v1/ask`` answer.

``--src DIR`` runs the same against another checkout (e.g. ``git worktree add /tmp/before
<commit>``), with this venv, to compare before and after in one run. Prints a table (with the
CPU's relevant flags) and writes ``benchmarks/results/cold_start.json``.

    .venv/bin/python benchmarks/cold_start.py [--runs 5] [--src DIR ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "data" / "seeds"
RESULTS = ROOT / "benchmarks" / "results"
QUESTION_SEEDS = "من شارك في اللقاء من الجانب التركي؟"
QUESTION_SAMPLES = "كم تبلغ الطاقة الإنتاجية لمحطة تحلية المياه؟"
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")

STAGES_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from qa.assistant import Assistant
from qa.settings import load_settings
out = {"imports": time.perf_counter() - t0}
q = sys.argv[1]
def stage(name, fn):
    t = time.perf_counter(); r = fn(); out[name] = time.perf_counter() - t; return r
a = Assistant(load_settings())
stage("model load", lambda: a.embedder)
stage("store open + reconcile", lambda: a.store)
stage("lexical open + repair", lambda: a.lexical)
stage("query embedding", lambda: a.embedder.embed([q], "query"))
stage("search (fusion + rerank)", lambda: a.search(q))
answer = stage("answer", lambda: a.ask(q))
out["total"] = time.perf_counter() - t0
out["torch imported"] = "torch" in sys.modules
out["status"] = answer.status
print(json.dumps(out))
"""


def cpu_flags() -> list[str]:
    from index.e5_embedder import read_cpu_flags

    return [f for f in FLAGS if f in (read_cpu_flags() or frozenset())]


def env_for(home: Path, src: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANAD_", "OPENAI_"))}
    env["SANAD_HOME"] = str(home)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def sanad(src: Path | None) -> list[str]:
    if src is None:
        return [str(Path(sys.executable).with_name("sanad"))]
    return [sys.executable, "-m", "qa"]


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return wall, proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_first_answer(src: Path | None, env: dict[str, str], cwd: Path, question: str) -> float:
    import httpx

    port = free_port()
    t = time.perf_counter()
    cmd = [*sanad(src), "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        while True:
            if proc.poll() is not None:
                raise SystemExit("sanad serve exited")
            try:
                r = httpx.post(base + "/v1/ask", json={"question": question}, timeout=300)
                if r.status_code == 200 and r.json()["status"] == "answered":
                    return time.perf_counter() - t
            except httpx.TransportError:
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure(label: str, src: Path | None, home: Path, data: Path, question: str, runs: int) -> dict[str, Any]:
    env = env_for(home, src)
    cwd = src or ROOT
    if not (home / "chroma").exists():
        timed([*sanad(src), "ingest", str(data), "--json"], env, cwd)
    help_walls, ask_walls, timings, stages, serve = [], [], [], [], []
    timed([*sanad(src), "ask", question, "--json"], env, cwd)  # caches that a user's second run has
    for _ in range(runs):
        help_walls.append(timed([*sanad(src), "-h"], env, cwd)[0])
        wall, out = timed([*sanad(src), "ask", question, "--json"], env, cwd)
        ask_walls.append(wall)
        timings.append(json.loads(out)["timings"])
        stages.append(json.loads(timed([sys.executable, "-c", STAGES_CHILD, question], env, cwd)[1]))
        serve.append(serve_first_answer(src, env, cwd, question))
    med = statistics.median
    stage_names = [k for k in stages[0] if isinstance(stages[0][k], float)]
    return {
        "label": label,
        "sanad -h": med(help_walls),
        "sanad ask (wall)": med(ask_walls),
        **{f"ask: {k}": med(t.get(k, 0.0) for t in timings) for k in ("load", "retrieve", "answer")},
        **{f"stage: {k}": med(s[k] for s in stages) for k in stage_names},
        "stage: torch imported": all(s["torch imported"] for s in stages),
        "sanad serve → first answer": med(serve),
        "runs": runs,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--src", type=Path, action="append", default=[], help="another checkout to measure too")
    args = ap.parse_args()
    seeds = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
    data, question = (SEEDS, QUESTION_SEEDS) if seeds else (ROOT / "samples", QUESTION_SAMPLES)
    rows = []
    with tempfile.TemporaryDirectory(prefix="sanad-cold-") as tmp:
        for i, src in enumerate(args.src):
            rows.append(measure(f"{src}", src.resolve(), Path(tmp) / f"src{i}", data, question, args.runs))
        rows.append(measure("this checkout", None, Path(tmp) / "here", data, question, args.runs))
    flags = cpu_flags()
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"cold start, median of {args.runs} fresh processes · {platform.processor() or 'cpu'} "
        f"{os.cpu_count()} cores · flags: {' '.join(flags) or 'none of ' + ' '.join(FLAGS)}"
    )
    table.add_column("seconds")
    for row in rows:
        table.add_column(row["label"], justify="right")
    for key in rows[-1]:
        if key in ("label", "runs"):
            continue
        table.add_row(key, *[f"{r[key]:.3f}" if isinstance(r.get(key), float) else str(r.get(key, "")) for r in rows])
    Console().print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "cold_start.json"
    out.write_text(json.dumps({"cpu_flags": flags, "cores": os.cpu_count(), "rows": rows}, indent=2), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
