"""Two ``sanad serve`` replicas on one real ``chroma run`` (issue 15, part 4), as shipped: each its
own fresh ``SANAD_HOME``, ``SANAD_CHROMA_URL`` the only setting, the default embedder. An article
ingested through one replica's HTTP API is found by the other's hybrid search *in its lexical
leg* (its own tantivy index, which follows the store's change log) by a search sent within a
second; a forget through the first is gone from the second's lexical index likewise."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from procs import OASIS_ARTICLE, SAMPLES, chroma_run, run_sanad, sanad_serve, user_env

pytestmark = pytest.mark.shipped

ARTICLE = OASIS_ARTICLE
QUERY = "مكتبة الواحة العامة وأربعين ألف كتاب"
WITHIN_S = 1.0


def search(url: str) -> list[dict[str, Any]]:
    r = httpx.post(f"{url}/v1/search", json={"query": QUERY, "k": 5}, timeout=300)
    assert r.status_code == 200, r.text
    return list(r.json()["passages"])


def lexical_articles(home: Path) -> set[str]:
    """What the replica's own lexical index holds (its SQLite sidecar, read only)."""
    root = home / "lexical" / "sanad"
    generation = (root / "CURRENT").read_text(encoding="utf-8").strip()
    db = sqlite3.connect(f"file:{root / generation / 'lexical.sqlite3'}?mode=ro", uri=True)
    try:
        return {row[0] for row in db.execute("SELECT article_id FROM articles")}
    finally:
        db.close()


def until(found: Any, what: str) -> float:
    """Send searches until ``found()`` holds; the seconds it took. Fails when no search sent
    within :data:`WITHIN_S` of the start found it."""
    started = time.perf_counter()
    while True:
        sent = time.perf_counter() - started
        if found():
            return time.perf_counter() - started
        if sent > WITHIN_S:
            pytest.fail(f"{what}: not after {sent:.2f}s of searches")


def test_two_replicas_on_one_chroma_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("shipped-replicas")
    home_a, home_b = root / "home-a", root / "home-b"
    with chroma_run(root / "db") as (chroma, _):
        env_a = user_env(home_a, shipped=True, SANAD_CHROMA_URL=chroma)
        env_b = user_env(home_b, shipped=True, SANAD_CHROMA_URL=chroma)
        run_sanad(env_a, "ingest", str(SAMPLES))  # through replica a's home: b's caches start empty
        with sanad_serve(env_a, root / "a.log") as a, sanad_serve(env_b, root / "b.log") as b:
            assert search(b)  # warm: model loaded, b's lexical index opened (filled from the store)
            assert "oasis-library" not in lexical_articles(home_b)

            r = httpx.post(f"{a}/v1/articles", json={"articles": [ARTICLE]}, timeout=300)
            assert r.status_code == 200 and r.json()["added"] == 1, r.text

            def lexical_hit() -> bool:
                return any(p["article_id"] == "oasis-library" and "lexical_rank" in p["scores"] for p in search(b))

            seconds = until(lexical_hit, "b's hybrid search has no lexical hit on the article ingested through a")
            print(f"\nb found a's ingest in its lexical leg after {seconds:.2f}s")
            assert "oasis-library" in lexical_articles(home_b)

            r = httpx.delete(f"{a}/v1/articles/oasis-library", timeout=300)
            assert r.status_code == 200 and r.json()["chunks_removed"] >= 1, r.text

            def forgotten() -> bool:
                hits = search(b)
                return "oasis-library" not in lexical_articles(home_b) and all(
                    p["article_id"] != "oasis-library" for p in hits
                )

            seconds = until(forgotten, "b's lexical index still holds the article forgotten through a")
            print(f"b dropped a's forget from its lexical index after {seconds:.2f}s")

            # The story cache follows too: b lists its stories (the cache is open), a ingests the
            # article and a copy of it under another id, and b's stories put the two together.
            def stories_of_b() -> list[set[str]]:
                r = httpx.get(f"{b}/v1/stories", timeout=300)
                assert r.status_code == 200, r.text
                return [{x["id"] for x in s["articles"]} for s in r.json()["stories"]]

            before = stories_of_b()
            copy = {**ARTICLE, "id": "oasis-library-copy", "title": "نسخة من الخبر"}
            r = httpx.post(f"{a}/v1/articles", json={"articles": [ARTICLE, copy]}, timeout=300)
            assert r.status_code == 200 and r.json()["added"] == 2, r.text
            pair = {"oasis-library", "oasis-library-copy"}
            assert not any(pair <= s for s in before)
            seconds = until(lambda: any(pair <= s for s in stories_of_b()), "b's stories miss a's copy")
            print(f"b's stories grouped a's copy after {seconds:.2f}s")
