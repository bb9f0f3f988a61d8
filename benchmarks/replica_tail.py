"""What following the store costs a replica (issue 15, part 4): the lexical index's tail of the
change log (``index.lexical_follow``), on chromadb on disk and on a real ``chroma run`` server.

    .venv/bin/python benchmarks/replica_tail.py                        # 500 articles, both stores
    .venv/bin/python benchmarks/replica_tail.py --articles 2000 --calls 300 --stores server

For each store: a writer ingests ``--articles`` generated Arabic articles (the change log then
holds as many entries, all within its retention), a second replica (its own lexical index, its
own chromadb client) opens and repairs in full, and then is timed for:

* the tail when nothing changed (``catch_up(force=True)``, ``--calls`` times): one ``get`` on the log
  that returns nothing; and right after the bulk ingest, while its entries are still inside the
  window every tail reads again (``VISIBLE_WITHIN_S``, skipped by id);
* the tail when one article has arrived (the writer ingested one between two tails, ``--arrivals`` times):
  the log, the store's hashes, the article's chunks, one tantivy commit;
* the same for one forgotten article;
* the full repair (what every open did before: every article hash compared with the store's);
* what the log costs a writer: appending the entries of one ingest group (50 articles).

The embedder is a small hashed one of this script's (the tail never embeds anything). Prints a
table and writes JSON (default benchmarks/results/replica_tail.json).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval_lab import table  # noqa: E402

from index.changelog import VISIBLE_WITHIN_S  # noqa: E402
from index.documents import Article  # noqa: E402
from index.indexer import Indexer  # noqa: E402
from index.lexical import LexicalIndex  # noqa: E402
from index.lexical_follow import LexicalFollower  # noqa: E402
from index.retrieval import reconcile  # noqa: E402
from index.store import ChunkStore  # noqa: E402

VOCABULARY = (
    "افتتحت بلدية الواحة مكتبة عامة جديدة تضم آلاف الكتب وقال الوزير إن المشروع يخدم السكان في المدينة "
    "والقرى المجاورة وأعلنت الحكومة خطة لتطوير الطرق والمدارس والمستشفيات خلال العام المقبل وشارك وفد "
    "رفيع المستوى في الاجتماع الذي بحث التعاون الاقتصادي والتجاري بين البلدين وارتفعت أسعار النفط"
)
WORDS = VOCABULARY.split()


class HashedEmbedder:
    """Token hashes → a 64-dimension unit vector: deterministic and fast (the tail never embeds)."""

    identity = "bench:hashed-64"
    dim = 64

    def embed(self, texts: Sequence[str], kind: str = "passage") -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in text.split():
                h = hashlib.blake2b(token.encode(), digest_size=4).digest()
                out[i, int.from_bytes(h, "little") % self.dim] += 1.0
            out[i] /= max(1e-9, float(np.linalg.norm(out[i])))
        return out


def article(n: int, rng: random.Random) -> Article:
    sentences = [" ".join(rng.choices(WORDS, k=rng.randint(8, 16))) + "." for _ in range(rng.randint(4, 10))]
    return Article(id=f"bench-{n:06d}", title=" ".join(rng.choices(WORDS, k=5)), text=" ".join(sentences))


@contextlib.contextmanager
def chroma_server(data: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    cli = Path(sys.executable).with_name("chroma")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    cmd = [str(cli), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("chroma run did not start")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def ms(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered) * 1000, 2),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 2),
        "n": len(ordered),
    }


def measure(kind: str, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(15)
    embedder: Any = HashedEmbedder()
    with contextlib.ExitStack() as stack:
        where: dict[str, Any] = {"path": root / "chroma"}
        if kind == "server":
            where = {"url": stack.enter_context(chroma_server(root / "server-db"))}
        writer = stack.enter_context(ChunkStore(embedder, **where))
        writer_lexical = stack.enter_context(LexicalIndex(root / "writer-lexical"))
        indexer = Indexer(embedder, writer, lexical=writer_lexical, sentence_vectors=False)
        t0 = time.perf_counter()
        indexer.ingest([article(n, rng) for n in range(args.articles)])
        ingest_s = time.perf_counter() - t0

        reader = stack.enter_context(ChunkStore(embedder, **where))
        lexical = stack.enter_context(LexicalIndex(root / "replica-lexical"))
        follower = LexicalFollower(reader, lexical)
        first = follower.catch_up(force=True)
        assert first is not None and first.full and len(lexical.article_hashes()) == args.articles

        def idle_tails(n: int) -> list[float]:
            out = []
            for _ in range(n):
                t0 = time.perf_counter()
                report = follower.catch_up(force=True)
                out.append(time.perf_counter() - t0)
                assert report is not None and not report.indexed
            return out

        recent = idle_tails(max(1, args.calls // 4))  # the bulk's entries are still in the re-read window
        time.sleep(VISIBLE_WITHIN_S + 1)
        idle = idle_tails(args.calls)

        arrived, forgotten = [], []
        for i in range(args.arrivals):
            new = article(args.articles + i, rng)
            indexer.ingest([new])
            t0 = time.perf_counter()
            report = follower.catch_up(force=True)
            arrived.append(time.perf_counter() - t0)
            assert report is not None and report.indexed == [new.id], report
        for i in range(args.arrivals):
            gone = f"bench-{i:06d}"
            indexer.forget(gone)
            t0 = time.perf_counter()
            report = follower.catch_up(force=True)
            forgotten.append(time.perf_counter() - t0)
            assert report is not None and report.dropped == [gone], report

        appends = []  # what the log adds to a writer: one more chromadb write per group of 50 articles
        for i in range(args.arrivals):
            t0 = time.perf_counter()
            writer.changes.append([(f"log-only-{i}-{j}", "forget", "") for j in range(50)])
            appends.append(time.perf_counter() - t0)

        full = []
        for _ in range(args.repairs):
            t0 = time.perf_counter()
            reconcile(reader, lexical)
            full.append(time.perf_counter() - t0)
        return {
            "store": kind,
            "articles": args.articles,
            "log_entries": sum(1 for _ in reader.changes.entries()),
            "ingest_seconds": round(ingest_s, 2),
            "tail_nothing_changed_ms": ms(idle),
            "tail_nothing_new_bulk_in_window_ms": ms(recent),
            "tail_one_article_arrived_ms": ms(arrived),
            "tail_one_article_forgotten_ms": ms(forgotten),
            "full_repair_ms": ms(full),
            "writer_append_50_entries_ms": ms(appends),
        }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--arrivals", type=int, default=20)
    ap.add_argument("--repairs", type=int, default=5)
    ap.add_argument("--stores", default="disk,server", help="disk, server (a `chroma run` started here) or both")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/replica_tail.json")
    args = ap.parse_args()

    results = []
    for kind in [s.strip() for s in args.stores.split(",") if s.strip()]:
        root = Path(tempfile.mkdtemp(prefix=f"sanad-replica-{kind}-"))
        try:
            results.append(measure(kind, root, args))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    rows = []
    for r in results:
        for label, key in (
            ("tail, nothing changed", "tail_nothing_changed_ms"),
            (
                f"tail, nothing new, within {VISIBLE_WITHIN_S:.0f} s of a bulk of {args.articles}",
                "tail_nothing_new_bulk_in_window_ms",
            ),
            ("tail, one article arrived", "tail_one_article_arrived_ms"),
            ("tail, one article forgotten", "tail_one_article_forgotten_ms"),
            ("full repair (every open before)", "full_repair_ms"),
            ("writer: log entries of one group (50 articles)", "writer_append_50_entries_ms"),
        ):
            m = r[key]
            rows.append([r["store"], label, m["p50"], m["p95"], m["n"]])
    table(
        f"Replica tail: {args.articles} articles, as many log entries (ms)",
        ["store", "what", "p50", "p95", "n"],
        rows,
    )
    out = {"python": platform.python_version(), "load": os.getloadavg(), "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
