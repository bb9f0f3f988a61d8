"""Ingest speed: chunks/s and where the time goes, on real news, variants side by side in one run.

The first ``--articles`` distinct, non-empty SaudiNewsNet articles (the zips under
../shared/data/news/saudinewsnet, read with the project's own readers) are written once to a
temporary JSON Lines file; then each variant ingests that file with the real ``sanad ingest
--json`` in a fresh process and a fresh ``SANAD_HOME`` (default settings, the shared e5 model
folder), each variant ``--runs`` times in turn (the median is kept):

* ``separate`` — every chunk embedded, then every sentence embedded on its own (two passes);
* ``pooled`` — one pass: sentence vectors pooled from the chunk's own token states
  (``SANAD_INGEST_SENTENCE_PASS=pooled``);
* ``--src DIR`` — another checkout (e.g. ``git worktree add /tmp/before <commit>``), run with this
  venv, as it was (its own defaults).

Reported per variant: wall seconds, chunks/s and articles/s over the wall, the ingest report's own
stage seconds (read, chunk, embed, sentences, store, lexical, tokens) where the code reports them,
and the child's peak RSS. Prints a table with the CPU's relevant flags and the load average, and
writes ``benchmarks/results/ingest.json``.

    .venv/bin/python benchmarks/ingest.py [--articles 300] [--runs 1] [--variants separate,local,pooled] [--src DIR ...]
        [--keep HOME]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.errors import InputError  # noqa: E402
from index.readers import read_paths  # noqa: E402

NEWS = ROOT.parent / "shared" / "data" / "news" / "saudinewsnet"
RESULTS = ROOT / "benchmarks" / "results"
FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
VARIANTS = {v: {"SANAD_INGEST_SENTENCE_PASS": v} for v in ("separate", "local", "pooled")}
STAGES = ("read", "chunk", "embed", "sentences", "store", "lexical", "tokens")


def cpu_flags() -> list[str]:
    from index.e5_embedder import read_cpu_flags

    return [f for f in FLAGS if f in (read_cpu_flags() or frozenset())]


def write_slice(folder: Path, n: int, out: Path) -> int:
    """The first ``n`` distinct non-empty articles of the zips, as JSON Lines; how many were written."""
    zips = sorted(folder.glob("*.zip"))
    if not zips:
        raise SystemExit(f"no SaudiNewsNet zips in {folder}")
    seen: set[str] = set()
    written = 0
    with out.open("w", encoding="utf-8") as f:
        for item in read_paths(zips, max_bytes=200_000_000, max_article_chars=500_000):
            if isinstance(item, InputError) or not item.text.strip():
                continue
            key = " ".join(item.text.split())
            if key in seen:
                continue
            seen.add(key)
            record = {"id": item.id, "title": item.title, "text": item.text, "source": item.source, "url": item.url}
            if item.date is not None:
                record["date"] = item.date.isoformat()
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
            if written >= n:
                break
    return written


def run_once(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int, dict[str, Any]]:
    """Wall seconds, peak RSS in bytes (the child's own, from ``wait4``) and its ``--json`` report."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd[:4])} failed ({proc.returncode}): {err.read()[-2000:]}")
        return wall, usage.ru_maxrss * 1024, json.loads(out.read())


def measure(label: str, src: Path | None, extra: dict[str, str], data: Path, home: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANAD_", "OPENAI_"))}
    env.update(extra)
    env["SANAD_HOME"] = str(home)
    if src is not None:
        env["PYTHONPATH"] = str(src)
        cmd = [sys.executable, "-m", "qa", "ingest", str(data), "--json"]
    else:
        cmd = [str(Path(sys.executable).with_name("sanad")), "ingest", str(data), "--json"]
    wall, rss, report = run_once(cmd, env, src or ROOT)
    return {
        "variant": label,
        "wall_s": wall,
        "ingest_s": report.get("seconds"),
        "chunks": report.get("chunks"),
        "articles": report.get("added", 0) + report.get("updated", 0),
        "stages": report.get("stages", {}),
        "peak_rss_mb": rss / 1e6,
        "load_before": os.getloadavg()[0],
    }


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    row = dict(sorted(rows, key=lambda r: r["wall_s"])[len(rows) // 2])
    row["walls"] = [round(r["wall_s"], 2) for r in rows]
    row["chunks_per_s"] = row["chunks"] / row["wall_s"] if row["wall_s"] else 0.0
    row["articles_per_s"] = row["articles"] / row["wall_s"] if row["wall_s"] else 0.0
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--variants", default="separate,local,pooled", help=f"comma-separated, of {', '.join(VARIANTS)}")
    ap.add_argument("--src", type=Path, action="append", default=[], help="another checkout to measure too")
    ap.add_argument("--news", type=Path, default=NEWS)
    ap.add_argument("--out", type=Path, default=RESULTS / "ingest.json")
    ap.add_argument(
        "--keep", type=Path, help="build the last variant's last run in this home and keep it (for scale.py)"
    )
    args = ap.parse_args()
    todo: list[tuple[str, Path | None, dict[str, str]]] = [(f"src:{s}", s.resolve(), {}) for s in args.src]
    todo += [(v, None, VARIANTS[v]) for v in args.variants.split(",") if v]
    with tempfile.TemporaryDirectory(prefix="sanad-ingest-bench-") as tmp:
        data = Path(tmp) / "slice.jsonl"
        n = write_slice(args.news, args.articles, data)
        runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in todo}
        for r in range(args.runs):
            for i, (label, src, extra) in enumerate(todo):
                last = r == args.runs - 1 and i == len(todo) - 1
                home = args.keep.resolve() if args.keep and last else Path(tmp) / f"home-{i}-{r}"
                runs[label].append(measure(label, src, extra, data, home))
                print(f"  {label} run {r + 1}: {runs[label][-1]['wall_s']:.1f} s", file=sys.stderr)
    rows = [median_row(rs) for rs in runs.values()]
    flags = cpu_flags()
    print(f"{platform.processor() or platform.machine()} · {os.cpu_count()} cores · flags: {' '.join(flags)}")
    print(f"{n} SaudiNewsNet articles · runs {args.runs} · load after {os.getloadavg()[0]:.2f}")
    head = (
        f"{'variant':24s} {'wall s':>8s} {'ingest s':>8s} {'chunks':>7s} {'chunks/s':>9s} {'art/s':>6s} "
        f"{'RSS MB':>7s}  stages (s)"
    )
    print(head)
    for row in rows:
        stages = " ".join(f"{k}={row['stages'][k]:.1f}" for k in STAGES if k in row["stages"])
        print(
            f"{row['variant'][-24:]:24s} {row['wall_s']:8.1f} {row['ingest_s']:8.1f} {row['chunks']:7d} "
            f"{row['chunks_per_s']:9.2f} {row['articles_per_s']:6.2f} {row['peak_rss_mb']:7.0f}  {stages}"
        )
    if len(rows) > 1:
        base = rows[0]
        for row in rows[1:]:
            print(f"{row['variant']} / {base['variant']}: {row['chunks_per_s'] / base['chunks_per_s']:.2f}× chunks/s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cpu_flags": flags, "articles": n, "rows": rows}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
