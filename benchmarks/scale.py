"""Sanad at scale: a big index's search and ask latency, the server's memory, disk, reconcile on open.

Run it on a home that holds a large ingest (``--home``; e.g. the one ``benchmarks/ingest.py
--keep HOME`` leaves, or ``sanad ingest ../shared/data/news`` with ``SANAD_HOME=HOME``):

* **open** — a fresh process opens the store (chromadb on disk) and reconciles it, then opens and
  repairs the lexical index: seconds of each (median of ``--runs``);
* **latency** — a real ``sanad serve`` on that home; ``--questions`` queries (titles of articles
  in the index, drawn with a fixed seed: real news wording, each with an article that answers it)
  are timed after 20 other titles warmed the server: ``POST /v1/search`` (each question new to the
  server: the reranker encodes the token states it does not find on disk) then ``POST /v1/ask``
  (extractive; its passages' token states now cached), p50 / p95 / max client-side wall;
* **memory** — the server's peak RSS (``VmHWM`` of ``/proc/PID/status``) after those requests;
* **disk** — the home's bytes, and per 1,000 articles.

Prints a table with the CPU's relevant flags and writes ``benchmarks/results/scale.json``.

    .venv/bin/python benchmarks/scale.py --home HOME [--questions 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
WARM = 20  # questions asked first, not timed
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")

OPEN_CHILD = r"""
import json, time
from qa.assistant import Assistant
from qa.settings import load_settings
a = Assistant(load_settings())
t0 = time.perf_counter(); store = a.store; t1 = time.perf_counter()
lexical = a.lexical; t2 = time.perf_counter()
print(json.dumps({"store_open_reconcile_s": t1 - t0, "lexical_open_repair_s": t2 - t1,
                  "articles": len(store.article_hashes()), "chunks": store.count()}))
a.close()
"""


def cpu_flags() -> list[str]:
    from index.e5_embedder import read_cpu_flags

    return [f for f in FLAGS if f in (read_cpu_flags() or frozenset())]


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANAD_", "OPENAI_"))}
    env["SANAD_HOME"] = str(home)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def questions_from_titles(home: Path, n: int, seed: int) -> list[str]:
    """``n`` article titles of the index (at least four words each), drawn with ``seed``."""
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("sanad")), "articles", "--json"],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise SystemExit(f"sanad articles failed: {proc.stderr[-1000:]}")
    titles = sorted({a["title"].strip() for a in json.loads(proc.stdout) if len(a.get("title", "").split()) >= 4})
    random.Random(seed).shuffle(titles)
    return titles[:n]


def timed_requests(base: str, path: str, key: str, questions: list[str]) -> list[float]:
    import httpx

    walls = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for q in questions:
            t = time.perf_counter()
            r = client.post(path, json={key: q})
            walls.append(time.perf_counter() - t)
            if r.status_code != 200:
                raise SystemExit(f"{path} → {r.status_code}: {r.text[:300]}")
    return walls


def serve_latency(home: Path, questions: list[str], warm: list[str]) -> dict[str, Any]:
    import httpx

    port = free_port()
    cmd = [str(Path(sys.executable).with_name("sanad")), "serve", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env_for(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        while True:
            if proc.poll() is not None:
                raise SystemExit("sanad serve exited")
            try:
                if httpx.post(base + "/v1/search", json={"query": questions[0]}, timeout=600).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        ready = time.perf_counter() - started
        timed_requests(base, "/v1/ask", "question", warm)  # other questions: the model and the kernels warm
        search = timed_requests(base, "/v1/search", "query", questions)  # each question new to the server
        ask = timed_requests(base, "/v1/ask", "question", questions)  # its passages' token states now cached
        return {"first_search_s": ready, "search_s": search, "ask_s": ask, "peak_rss_bytes": peak_rss(proc.pid)}
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS / "scale.json")
    args = ap.parse_args()
    home = args.home.resolve()
    opens = []
    for _ in range(args.runs):
        proc = subprocess.run(
            [sys.executable, "-c", OPEN_CHILD], env=env_for(home), cwd=ROOT, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise SystemExit(f"opening the index failed: {proc.stderr[-1000:]}")
        opens.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    opened = {k: statistics.median(o[k] for o in opens) for k in ("store_open_reconcile_s", "lexical_open_repair_s")}
    articles, chunks = opens[0]["articles"], opens[0]["chunks"]
    drawn = questions_from_titles(home, args.questions + WARM, args.seed)
    questions, warm = drawn[: args.questions], drawn[args.questions :] or drawn[:1]
    served = serve_latency(home, questions, warm)
    disk = folder_bytes(home)
    row = {
        "articles": articles,
        "chunks": chunks,
        **opened,
        "questions": len(questions),
        "search_p50_ms": 1000 * pct(served["search_s"], 0.5),
        "search_p95_ms": 1000 * pct(served["search_s"], 0.95),
        "search_max_ms": 1000 * max(served["search_s"]),
        "ask_p50_ms": 1000 * pct(served["ask_s"], 0.5),
        "ask_p95_ms": 1000 * pct(served["ask_s"], 0.95),
        "ask_max_ms": 1000 * max(served["ask_s"]),
        "serve_first_search_s": served["first_search_s"],
        "serve_peak_rss_mb": served["peak_rss_bytes"] / 1e6,
        "disk_mb": disk / 1e6,
        "disk_mb_per_1000_articles": disk / 1e6 / max(articles, 1) * 1000,
        "load_after": os.getloadavg()[0],
    }
    flags = cpu_flags()
    print(f"{os.cpu_count()} cores · flags: {' '.join(flags)} · load after {row['load_after']:.2f}")
    print(f"index: {articles} articles, {chunks} chunks · {len(questions)} questions (article titles)")
    for key, value in row.items():
        if key not in ("articles", "chunks", "questions"):
            print(f"  {key:28s} {value:10.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cpu_flags": flags, **row}, indent=2))


if __name__ == "__main__":
    main()
