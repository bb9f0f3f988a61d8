"""Story grouping on SaudiNewsNet (issue 13 part 2): duplicates grouped, near-duplicate pairs to
read, and the ingest overhead of fingerprinting.

    .venv/bin/python benchmarks/stories.py                     # all of ../shared/data/news/saudinewsnet
    .venv/bin/python benchmarks/stories.py --limit 3000 --embed-slice 0

1. Reads the zips with the project's readers (``index.readers.read_paths``, the ingest's own limits)
   and feeds every article to :class:`index.stories.StoryIndex` in groups of ``--batch`` (what
   ``sanad ingest`` does after each group commit), without embedding anything.
2. Exact duplicates, three ways: the same text, the same text with whitespace squashed, the same
   normalised body (:func:`index.stories.body_fingerprint`); for each, how many of the copies are in
   the story of their first copy (all should be).
3. Writes ``--sample`` near-identical sentence pairs (linked, different fingerprints), drawn with
   ``--seed``, and as many article pairs grouped into a story without an identical body, to
   ``--pairs`` (Markdown) to be read and judged by hand.
4. Overhead (``--embed-slice N``): a real ingest of the first N articles (default settings, the e5
   embedder, a fresh home) and its stage seconds: the story step against embedding and the whole.

Prints tables and writes JSON (default benchmarks/results/stories.json).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval_lab import SHARED, table  # noqa: E402

from index.documents import Article  # noqa: E402
from index.readers import read_paths  # noqa: E402
from index.stories import StoryIndex, body_fingerprint, wire_credit  # noqa: E402

DEFAULT = SHARED / "data/news/saudinewsnet"
MAX_BYTES = 20_000_000
MAX_CHARS = 500_000


def show(title: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        table(title, list(rows[0]), [list(r.values()) for r in rows])


def read(src: Path, limit: int | None) -> tuple[float, list[Article], int]:
    t0 = time.perf_counter()
    articles: list[Article] = []
    bad = 0
    for item in read_paths([src], max_bytes=MAX_BYTES, max_article_chars=MAX_CHARS):
        if isinstance(item, Article):
            articles.append(item)
            if limit and len(articles) >= limit:
                break
        else:
            bad += 1
    return time.perf_counter() - t0, articles, bad


def duplicates(articles: list[Article], story: dict[str, str]) -> list[dict[str, Any]]:
    ways: dict[str, Callable[[Article], str]] = {
        "same text": lambda a: a.text,
        "same text, spaces squashed": lambda a: " ".join(a.text.split()),
        "same normalised body": lambda a: body_fingerprint(a.text),
    }
    out = []
    for name, key in ways.items():
        first: dict[str, str] = {}
        copies = grouped = 0
        groups: Counter[str] = Counter()
        for a in articles:
            k = key(a)
            if k in first:
                copies += 1
                groups[k] += 1
                grouped += story.get(a.id) == story.get(first[k])
            else:
                first[k] = a.id
        out.append({"duplicates": name, "copies": copies, "groups": len(groups), "in their first's story": grouped})
    return out


def sample_pairs(index: StoryIndex, articles: dict[str, Article], n: int, rng: random.Random) -> list[dict[str, Any]]:
    near = index.links(near_only=True)
    picked = rng.sample(near, min(n, len(near)))
    rows = []
    for a, b in picked:
        rows.append(
            {
                "similarity": round(a.similarity, 3),
                "a": a.article_id,
                "b": b.article_id,
                "a_source": articles[a.article_id].source,
                "b_source": articles[b.article_id].source,
                "a_text": articles[a.article_id].text[a.start : a.end],
                "b_text": articles[b.article_id].text[b.start : b.end],
            }
        )
    return rows


def story_pairs(index: StoryIndex, articles: dict[str, Article], n: int, rng: random.Random) -> list[dict[str, Any]]:
    """Article pairs of one story whose bodies differ: one random pair from each of ``n`` random stories."""
    stories = [s for s in index.stories() if len({body_fingerprint(articles[a.id].text) for a in s.articles}) > 1]
    out = []
    for story in rng.sample(stories, min(n, len(stories))):
        members = [a.id for a in story.articles]
        for _ in range(20):
            x, y = rng.sample(members, 2)
            if body_fingerprint(articles[x].text) != body_fingerprint(articles[y].text):
                break
        out.append(
            {
                "story": story.id,
                "size": len(members),
                "a": x,
                "b": y,
                "a_title": articles[x].title,
                "b_title": articles[y].title,
                "a_head": " ".join(articles[x].text.split())[:400],
                "b_head": " ".join(articles[y].text.split())[:400],
            }
        )
    return out


def write_pairs(path: Path, sentences: list[dict[str, Any]], stories: list[dict[str, Any]]) -> None:
    lines = ["# Near-identical sentence pairs (judge each: same statement?)", ""]
    for i, p in enumerate(sentences, 1):
        lines += [
            f"## S{i} sim {p['similarity']} · {p['a']} ({p['a_source']}) / {p['b']} ({p['b_source']})",
            f"- A: {p['a_text']}",
            f"- B: {p['b_text']}",
            "",
        ]
    lines += ["# Article pairs grouped into one story with different bodies (judge: same story?)", ""]
    for i, p in enumerate(stories, 1):
        lines += [
            f"## P{i} {p['story']} ({p['size']} articles) · {p['a']} / {p['b']}",
            f"- A: {p['a_title']} — {p['a_head']}",
            f"- B: {p['b_title']} — {p['b_head']}",
            "",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def overhead(articles: list[Article]) -> dict[str, Any]:
    """A real ingest of ``articles`` (default settings, fresh home): its stage seconds."""
    from qa.assistant import Assistant
    from qa.settings import load_settings

    with tempfile.TemporaryDirectory() as home, Assistant(load_settings(home=home)) as assistant:
        assistant.warm_up()  # the model load is not ingest
        report = assistant.indexer.ingest(articles)
    stages = {k: round(v, 3) for k, v in report.stages.items()}
    embed = sum(v for k, v in report.stages.items() if k in ("embed", "sentences"))
    stories = report.stages.get("stories", 0.0)
    return {
        "articles": len(articles),
        "chunks": report.chunks,
        "ingest_s": round(report.seconds, 3),
        "stages": stages,
        "stories_s": round(stories, 3),
        "embed_s": round(embed, 3),
        "stories_share_of_ingest": round(stories / report.seconds, 4) if report.seconds else None,
        "stories_vs_embed": round(stories / embed, 4) if embed else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ap.add_argument("--batch", type=int, default=50, help="articles per story-index write (the ingest's group)")
    ap.add_argument("--sample", type=int, default=100, help="near-identical sentence pairs to write")
    ap.add_argument("--story-sample", type=int, default=50, help="article pairs of one story to write")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--embed-slice", type=int, default=50, help="articles ingested for real to time the overhead")
    ap.add_argument("--pairs", type=Path, default=ROOT / "benchmarks/results/stories_pairs.md")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/stories.json")
    args = ap.parse_args()

    read_s, articles, bad = read(args.src, args.limit)
    by_id = {a.id: a for a in articles}
    with tempfile.TemporaryDirectory() as tmp:
        index = StoryIndex(Path(tmp) / "stories.sqlite3")
        t0 = time.perf_counter()
        for i in range(0, len(articles), args.batch):
            index.upsert_articles(articles[i : i + args.batch])
        upsert_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        story = index.story_ids()
        group_s = time.perf_counter() - t1
        sizes = Counter(Counter(story.values()).values())
        links = index.links()
        near = sum(1 for a, _ in links if a.similarity < 1.0)
        rng = random.Random(args.seed)
        sentences = sample_pairs(index, by_id, args.sample, rng)
        pairs = story_pairs(index, by_id, args.story_sample, rng)
        index.close()
    write_pairs(args.pairs, sentences, pairs)
    dups = duplicates(articles, story)
    credits = Counter(wire_credit(a.text, a.source) or "(none)" for a in articles)
    multi = {s for s, n in Counter(story.values()).items() if n > 1}
    summary = {
        "articles": len(articles),
        "unreadable_or_empty": bad,
        "read_s": round(read_s, 2),
        "fingerprint_and_link_s": round(upsert_s, 2),
        "per_article_ms": round(1000 * upsert_s / max(1, len(articles)), 2),
        "group_s": round(group_s, 2),
        "stories_of_2_or_more": len(multi),
        "articles_in_them": sum(1 for s in story.values() if s in multi),
        "largest_story": max(Counter(story.values()).values(), default=0),
        "linked_sentence_pairs": len(links),
        "near_identical_pairs": near,
    }
    show("story index", [summary])
    show("exact duplicates", dups)
    show("story sizes", [{"story size": k, "stories": v} for k, v in sorted(sizes.items())[:12]])
    show("wire credits", [{"credit": k, "articles": v} for k, v in credits.most_common(10)])
    result: dict[str, Any] = {
        "machine": platform.platform(),
        "src": str(args.src),
        "summary": summary,
        "duplicates": dups,
        "story_sizes": dict(sorted(sizes.items())),
        "credits": dict(credits.most_common()),
        "pairs_file": str(args.pairs),
    }
    if args.embed_slice:
        result["overhead"] = overhead(articles[: args.embed_slice])
        o = result["overhead"]
        show("ingest overhead", [{k: v for k, v in o.items() if k != "stages"}])
        print("stages:", o["stages"])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.json} and {args.pairs}")


if __name__ == "__main__":
    main()
