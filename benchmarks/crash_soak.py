"""Random-kill soak: ``sanad ingest`` killed with SIGKILL at random moments, re-run, compared with an
uninterrupted run (issue 12).

The corpus is the first ``--articles`` articles of a SaudiNewsNet zip (../shared/data/news/saudinewsnet)
written to one JSONL file. A clean home ingests it once without interruption (the reference). A
second home runs ``sanad ingest`` ``--kills`` times, each killed (SIGKILL to its process group) at a
random moment between ``--min-delay`` seconds and the reference's ingest time; after every kill the
index is opened as any command opens it (which reconciles) and checked: every visible chunk is
listed by a committed record, no orphan chunk or sentence vector is left, nothing pending. Then one
last uninterrupted run, and the final index is compared with the reference: article ids and content
hashes, chunk ids, sentence vector count, lexical index, and the top-5 hybrid results of a few
questions. Real processes, the default settings (e5, chromadb on disk, tantivy). Prints a table and
writes JSON (default benchmarks/results/crash_soak.json).

    .venv/bin/python benchmarks/crash_soak.py [--articles 40] [--kills 8] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.documents import Article  # noqa: E402
from index.readers import read_paths  # noqa: E402
from qa.assistant import Assistant  # noqa: E402
from qa.settings import Settings  # noqa: E402

DEFAULT_ZIP = ROOT.parent / "shared" / "data" / "news" / "saudinewsnet" / "2015-07-21.zip"
QUESTIONS = ("ما آخر أخبار وزارة الصحة؟", "أسعار النفط", "مباراة كرة القدم", "الأمطار في الرياض")
SANAD = Path(sys.executable).with_name("sanad")


def corpus(zip_path: Path, n: int, folder: Path) -> Path:
    articles = [
        a for a in read_paths([zip_path], max_bytes=20_000_000, max_article_chars=200_000) if isinstance(a, Article)
    ]
    out = folder / "corpus.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for a in articles[:n]:
            record: dict[str, str | None] = {"id": a.id, "title": a.title, "text": a.text, "source": a.source}
            record |= {"url": a.url, "date": a.date.isoformat() if a.date else None}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANAD_", "OPENAI_"))}
    env["SANAD_HOME"] = str(home)
    return env


def ingest(home: Path, data: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(SANAD), "ingest", str(data), "--json"], env=env_for(home), check=True, capture_output=True)
    return time.perf_counter() - started


def state(home: Path) -> dict[str, Any]:
    """The index as any command opens it (reconciled), raw collections beside what is visible."""
    with Assistant(Settings(home=home)) as a:
        store = a.store
        infos = store.list_articles()
        visible = sorted(p.chunk_id for p in store.iter_passages())
        raw = sorted(store._chunks.get(include=[])["ids"])
        sentence_meta = store._sentences.get(include=["metadatas"])["metadatas"] or []
        hits = {q: [p.chunk_id for p in a.search(q, k=5)] for q in QUESTIONS} if infos else {}
        return {
            "articles": {i.id: store.article_hash(i.id) for i in infos},
            "record_chunks": sum(i.chunks for i in infos),
            "visible_chunks": visible,
            "raw_chunks": raw,
            "sentences": len(sentence_meta),
            "sentence_articles": sorted({str((m or {}).get("article_id")) for m in sentence_meta}),
            "lexical_articles": sorted(a.lexical.article_hashes()),
            "pending": store._pending_ids(),
            "search": hits,
        }


def consistent(s: dict[str, Any]) -> list[str]:
    problems = []
    if len(s["visible_chunks"]) != s["record_chunks"]:
        problems.append(f"{len(s['visible_chunks'])} visible chunks, records commit {s['record_chunks']}")
    if s["raw_chunks"] != s["visible_chunks"]:
        problems.append(f"{len(set(s['raw_chunks']) - set(s['visible_chunks']))} orphan chunks")
    if not set(s["sentence_articles"]) <= set(s["articles"]):
        problems.append("sentence vectors of uncommitted articles")
    if s["pending"]:
        problems.append(f"pending mark left: {s['pending']}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", type=Path, default=DEFAULT_ZIP)
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--min-delay", type=float, default=3.0, help="seconds after start, earliest kill")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "crash_soak.json")
    args = parser.parse_args()
    if not args.zip.exists():
        print(f"no corpus at {args.zip}; nothing to measure", file=sys.stderr)
        return 1
    rng = random.Random(args.seed)
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        data = corpus(args.zip, args.articles, Path(tmp))
        reference_home, soak_home = Path(tmp, "reference"), Path(tmp, "soak")
        reference_seconds = ingest(reference_home, data)
        reference = state(reference_home)
        kills: list[dict[str, Any]] = []
        for n in range(args.kills):
            delay = rng.uniform(args.min_delay, max(args.min_delay + 1, reference_seconds))
            proc = subprocess.Popen(
                [str(SANAD), "ingest", str(data), "--json"],
                env=env_for(soak_home),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            time.sleep(delay)
            finished = proc.poll() is not None
            if not finished:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            after = state(soak_home)
            kills.append(
                {
                    "n": n + 1,
                    "delay_s": round(delay, 1),
                    "killed": not finished,
                    "articles": len(after["articles"]),
                    "chunks": after["record_chunks"],
                    "problems": consistent(after),
                }
            )
        final_seconds = ingest(soak_home, data)
        final = state(soak_home)
    same = {key: final[key] == reference[key] for key in reference}
    table = Table(title=f"random-kill soak: {args.articles} articles, {args.kills} kills (seed {args.seed})")
    for col in ("kill", "after s", "killed", "articles", "chunks", "consistent"):
        table.add_column(col)
    for k in kills:
        table.add_row(
            str(k["n"]),
            str(k["delay_s"]),
            str(k["killed"]),
            str(k["articles"]),
            str(k["chunks"]),
            "; ".join(k["problems"]) or "yes",
        )
    console.print(table)
    console.print(
        f"reference: {len(reference['articles'])} articles, {reference['record_chunks']} chunks, "
        f"{reference['sentences']} sentence vectors in {reference_seconds:.0f} s; final re-run {final_seconds:.0f} s"
    )
    console.print(
        "final index equal to the uninterrupted run: "
        + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in same.items())
    )
    results = {
        "articles": args.articles,
        "kills": kills,
        "reference": {k: reference[k] for k in ("record_chunks", "sentences")}
        | {"n_articles": len(reference["articles"])},
        "reference_seconds": reference_seconds,
        "final_seconds": final_seconds,
        "equal": same,
        "cpu": Path("/proc/cpuinfo").read_text().split("flags")[1].split("\n")[0]
        if Path("/proc/cpuinfo").exists()
        else "",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    ok = all(same.values()) and not any(k["problems"] for k in kills)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
