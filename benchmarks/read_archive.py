"""Reading (not embedding) a tar archive of articles: the ANT corpus by default.

    .venv/bin/python benchmarks/read_archive.py                       # ../shared/data/news/antcorpus.tar.gz
    .venv/bin/python benchmarks/read_archive.py PATH.tar.gz --repeat 3

Times ``index.readers.read_paths`` over the archive (decompress, decode, parse, ids: everything
``sanad ingest`` does before chunking and embedding) with the default size limits, and, to show
what the one-pass stream saves, two bare ``tarfile`` loops that only read every member's bytes: the
stream (``r|*``, what the reader uses) and random access (``r:*``: the member index is built first,
then each member is read by seeking). Counts articles, skipped inputs by reason, articles whose text
is empty, duplicate ids and duplicate texts (the same text, whitespace aside, under two ids: the
ingest indexes each and index.stories groups them into one story). Prints a table and
writes JSON (default benchmarks/results/read_archive.json).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tarfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval_lab import SHARED, table  # noqa: E402

from index.documents import Article  # noqa: E402
from index.errors import InputError  # noqa: E402
from index.readers import read_paths  # noqa: E402

DEFAULT = SHARED / "data/news/antcorpus.tar.gz"
MAX_BYTES = 20_000_000  # the settings' defaults (SANAD_INGEST_MAX_BYTES, …_MAX_ARTICLE_CHARS)
MAX_CHARS = 2_000_000


def read_all(path: Path) -> tuple[float, list[Article], list[InputError]]:
    articles: list[Article] = []
    errors: list[InputError] = []
    start = time.perf_counter()
    for item in read_paths([path], max_bytes=MAX_BYTES, max_article_chars=MAX_CHARS):
        (articles if isinstance(item, Article) else errors).append(item)  # type: ignore[arg-type]
    return time.perf_counter() - start, articles, errors


def bare_tar(path: Path, mode: str) -> tuple[float, int, int]:
    """Seconds, members read and bytes read by a bare tarfile loop in ``mode``."""
    start = time.perf_counter()
    members = size = 0
    with tarfile.open(path, mode) as archive:
        infos = archive if "|" in mode else archive.getmembers()
        for info in infos:
            if info.isreg():
                handle = archive.extractfile(info)
                size += len(handle.read()) if handle else 0
                members += 1
    return time.perf_counter() - start, members, size


def reason_kind(error: InputError) -> str:
    reason = str(error.data.get("reason", error.message))
    return reason.split(": ", 1)[1] if reason.startswith("DOC ") and ": " in reason else reason


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("archive", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/read_archive.json")
    args = ap.parse_args()

    runs = [read_all(args.archive) for _ in range(args.repeat)]
    seconds = [r[0] for r in runs]
    _, articles, errors = runs[0]
    stream = [bare_tar(args.archive, "r|*") for _ in range(args.repeat)]
    indexed = [bare_tar(args.archive, "r:*") for _ in range(args.repeat)]

    ids = Counter(a.id for a in articles)
    texts = Counter(" ".join(a.text.split()) for a in articles)  # as index/indexer.py compares them
    reasons = Counter(reason_kind(e) for e in errors)
    chars = [len(a.text) for a in articles]
    result: dict[str, Any] = {
        "archive": str(args.archive),
        "archive_bytes": args.archive.stat().st_size,
        "python": platform.python_version(),
        "repeat": args.repeat,
        "read_paths_seconds": {"median": round(statistics.median(seconds), 3), "runs": [round(s, 3) for s in seconds]},
        "articles_per_second": round(len(articles) / statistics.median(seconds)),
        "bare_stream_seconds": round(statistics.median(s[0] for s in stream), 3),
        "bare_random_access_seconds": round(statistics.median(s[0] for s in indexed), 3),
        "members": stream[0][1],
        "member_bytes": stream[0][2],
        "articles": len(articles),
        "skipped": len(errors),
        "skipped_by_reason": dict(reasons.most_common()),
        "empty_articles": sum(1 for a in articles if not a.text.strip()),
        "duplicate_ids": sum(n - 1 for n in ids.values() if n > 1),
        "duplicate_texts": sum(n - 1 for n in texts.values() if n > 1),
        "distinct_articles": len(texts),
        "undated": sum(1 for a in articles if a.date is None),
        "untitled": sum(1 for a in articles if not a.title),
        "text_chars": {"total": sum(chars), "median": int(statistics.median(chars)) if chars else 0},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    table(
        f"Reading {args.archive.name} ({result['archive_bytes']:,} bytes, {result['members']:,} regular members)",
        ["what", "value"],
        [
            ["read_paths (median of runs)", f"{result['read_paths_seconds']['median']} s"],
            ["articles / s", f"{result['articles_per_second']:,}"],
            ["bare tarfile stream r|* (read bytes only)", f"{result['bare_stream_seconds']} s"],
            ["bare tarfile random access r:*", f"{result['bare_random_access_seconds']} s"],
            ["articles", f"{len(articles):,}"],
            ["skipped", len(errors)],
            *[[f"  skipped: {k}", v] for k, v in reasons.most_common()],
            ["empty articles", result["empty_articles"]],
            ["duplicate ids", result["duplicate_ids"]],
            ["duplicate texts (skipped by the ingest)", result["duplicate_texts"]],
            ["distinct articles to index", f"{len(texts):,}"],
            ["undated / untitled", f"{result['undated']} / {result['untitled']}"],
            ["text characters (total / median)", f"{sum(chars):,} / {result['text_chars']['median']:,}"],
            ["peak RSS", f"{result['peak_rss_mb']} MB"],
        ],
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
