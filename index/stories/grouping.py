"""From sentence links to stories and origins (pure functions; :mod:`.store` feeds them).

Two articles belong to one story when

* their bodies are identical (same :func:`~.fingerprint.body_fingerprint`), or
* one of them shares most of its content with the other: at least ``SHARE`` of its eligible
  sentences are identical or near-identical to sentences of the other, or
* they share a run of ``RUN`` consecutive sentences (consecutive in either article).

Template text is no evidence: a sentence linked to more than ``SAME_SOURCE_MAX`` other articles of
its own source (a newspaper's footer, "رابط الخبر بصحيفة …") or to more than ``MAX_DEGREE``
articles in all is left out of the rule.

Stories are the connected groups of that relation; a story's id is derived from the smallest
article id in it, so it is stable across re-ingest and rebuilds and changes only when that
article leaves the story.

An article's *origin*: the wire agency it credits (:func:`~.credits.wire_credit`), else its body
when another article has the identical body (copies are one origin), else its source (an outlet
restating itself is one origin), else the article itself.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .fingerprint import digest

SHARE = 0.5
RUN = 3
SAME_SOURCE_MAX = 3
MAX_DEGREE = 30


@dataclass(frozen=True)
class ArticleRow:
    """What grouping needs of one article."""

    id: str
    body: str
    credit: str | None
    source: str
    title: str
    date: dt.date | None
    eligible: int  # sentences of at least MIN_WORDS words


@dataclass
class StoryArticle:
    id: str
    title: str
    source: str
    date: dt.date | None
    origin: str

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "date": self.date.isoformat() if self.date else None,
            "origin": self.origin,
        }


@dataclass
class Story:
    """Articles that tell one story, oldest first; ``origins`` are the distinct origins among them."""

    id: str
    articles: list[StoryArticle] = field(default_factory=list)

    @property
    def origins(self) -> list[str]:
        return sorted({a.origin for a in self.articles})

    @property
    def sources(self) -> list[str]:
        return sorted({a.source for a in self.articles if a.source})

    @property
    def first(self) -> dt.date | None:
        return min((a.date for a in self.articles if a.date), default=None)

    @property
    def last(self) -> dt.date | None:
        return max((a.date for a in self.articles if a.date), default=None)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "articles": [a.as_dict() for a in self.articles],
            "sources": self.sources,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "origins": self.origins,
        }


def story_id(article_ids: Iterable[str]) -> str:
    return "story-" + digest(min(article_ids))[:12]


def longest_run(positions: Iterable[int]) -> int:
    ordered = sorted(set(positions))
    best = run = 0
    for i, p in enumerate(ordered):
        run = run + 1 if i and p == ordered[i - 1] + 1 else 1
        best = max(best, run)
    return best


def related(a: ArticleRow, b: ArticleRow, shared_a: set[int], shared_b: set[int]) -> bool:
    """The story rule of the module docstring; ``shared_x``: x's eligible positions linked to the other."""
    if a.body and a.body == b.body:
        return True
    if a.eligible and len(shared_a) >= SHARE * a.eligible:
        return True
    if b.eligible and len(shared_b) >= SHARE * b.eligible:
        return True
    return longest_run(shared_a) >= RUN or longest_run(shared_b) >= RUN


def origins(rows: Mapping[str, ArticleRow]) -> dict[str, str]:
    """Each article's origin (see the module docstring)."""
    bodies: dict[str, int] = defaultdict(int)
    for row in rows.values():
        if row.body:
            bodies[row.body] += 1
    out = {}
    for row in rows.values():
        if row.credit:
            out[row.id] = f"wire:{row.credit}"
        elif row.body and bodies[row.body] > 1:
            out[row.id] = f"copy:{row.body}"
        elif row.source:
            out[row.id] = f"source:{row.source}"
        else:
            out[row.id] = f"article:{row.id}"
    return out


def boilerplate(rows: Mapping[str, ArticleRow], links: Iterable[tuple[str, int, str, int]]) -> set[tuple[str, int]]:
    """The sentences ``(article, eligible position)`` that are template text (see the module docstring)."""
    linked: dict[tuple[str, int], set[str]] = defaultdict(set)
    for a, ea, b, eb in links:
        linked[(a, ea)].add(b)
        linked[(b, eb)].add(a)
    out = set()
    for (aid, pos), others in linked.items():
        source = rows[aid].source
        same = sum(1 for o in others if source and rows[o].source == source)
        if same > SAME_SOURCE_MAX or len(others) > MAX_DEGREE:
            out.add((aid, pos))
    return out


def group(rows: Mapping[str, ArticleRow], links: Iterable[tuple[str, int, str, int]]) -> dict[str, str]:
    """Article id → story id, from ``links`` ``(a, a's eligible position, b, b's eligible position)``."""
    kept = [(a, ea, b, eb) for a, ea, b, eb in links if a in rows and b in rows and a != b]
    template = boilerplate(rows, kept)
    shared: dict[tuple[str, str], set[int]] = defaultdict(set)
    for a, ea, b, eb in kept:
        if (a, ea) not in template and (b, eb) not in template:
            shared[(a, b)].add(ea)
            shared[(b, a)].add(eb)
    parent = {aid: aid for aid in rows}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: str, y: str) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)

    by_body: dict[str, str] = {}
    for row in rows.values():
        if row.body:
            if row.body in by_body:
                union(row.id, by_body[row.body])
            else:
                by_body[row.body] = row.id
    for (a, b), positions in shared.items():
        if a < b and find(a) != find(b) and related(rows[a], rows[b], positions, shared.get((b, a), set())):
            union(a, b)
    members: dict[str, list[str]] = defaultdict(list)
    for aid in rows:
        members[find(aid)].append(aid)
    out = {}
    for ids in members.values():
        sid = story_id(ids)
        out.update({aid: sid for aid in ids})
    return out
