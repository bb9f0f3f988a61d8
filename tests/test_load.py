"""A bounded load test: 200 requests from 20 concurrent clients mixing ask and ingest, over real HTTP.

Zero errors allowed; at the end every article sent is indexed exactly once (none lost, none
duplicated, no stray chunks), and every citation served under load was verified. Latency
numbers belong to ``benchmarks/http_load.py``; this test only checks correctness and stops by
itself (a fixed number of requests, per-request timeouts, a test timeout).
"""

from __future__ import annotations

import json
import queue
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_helpers import ARTICLES, DATES_Q, DESAL_Q, REEF_Q, UNRELATED_Q, ingest, make_assistant, running

N_REQUESTS = 200
CLIENTS = 20
NEW_ARTICLES = 50
REPEATS = 10  # articles sent a second time while the load runs: must not be duplicated
STREAMED_EVERY = 7  # every 7th ask is streamed (SSE)


def load_article(i: int) -> dict[str, Any]:
    """A distinct small article per i (numbers in the text keep their contents apart)."""
    return {
        "id": f"load-{i:03d}",
        "title": f"مشروع الحدائق رقم {i}",
        "text": (
            f"أعلنت البلدية افتتاح المشروع رقم {i} الذي يضم {i + 3} حدائق عامة جديدة. "
            f"وتبلغ مساحة حدائق المشروع رقم {i} نحو {10 * i + 7} آلاف متر مربع. "
            f"ويستفيد من المشروع رقم {i} سكان الحي {i % 9 + 1}."
        ),
        "date": f"2025-{i % 12 + 1:02d}-{i % 27 + 1:02d}",
        "source": "load",
    }


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    citations_checked: int = 0

    def count(self, kind: str) -> None:
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def plan() -> list[tuple[str, Any]]:
    rng = random.Random(20251125)
    new = [load_article(i) for i in range(NEW_ARTICLES)]
    ops: list[tuple[str, Any]] = [("ingest", [a]) for a in new]
    ops += [("ingest", [new[rng.randrange(NEW_ARTICLES)]]) for _ in range(REPEATS)]
    questions = [DESAL_Q, DATES_Q, REEF_Q, UNRELATED_Q] + [
        f"كم تبلغ مساحة حدائق المشروع رقم {i}؟" for i in range(0, NEW_ARTICLES, 5)
    ]
    n_ask = N_REQUESTS - len(ops)
    ops += [("ask", questions[i % len(questions)]) for i in range(n_ask)]
    rng.shuffle(ops)
    return ops


def sse_answer(response: httpx.Response) -> dict[str, Any]:
    final: dict[str, Any] | None = None
    for block in response.text.split("\n\n"):
        lines = block.split("\n")
        if lines and lines[0] == "event: answer":
            final = json.loads(lines[1][len("data: ") :])
        elif lines and lines[0] == "event: error":
            raise AssertionError(f"error event: {lines[1]}")
    assert final is not None, "no answer event"
    return final


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_200_requests_from_20_clients(tmp_path: Path) -> None:
    assistant = make_assistant(tmp_path)
    texts = {a["id"]: a["text"] for a in ARTICLES} | {
        a["id"]: a["text"] for a in (load_article(i) for i in range(NEW_ARTICLES))
    }
    ops = plan()
    assert len(ops) == N_REQUESTS
    work: queue.Queue[tuple[int, str, Any]] = queue.Queue()
    for n, (kind, payload) in enumerate(ops):
        work.put((n, kind, payload))
    tally = Tally()

    with running(assistant) as server:
        ingest(server.url, ARTICLES)

        def client() -> None:
            with httpx.Client(base_url=server.url, timeout=120) as http:
                while True:
                    try:
                        n, kind, payload = work.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        one(http, n, kind, payload)
                    except Exception as exc:
                        tally.error(f"request {n} ({kind}): {type(exc).__name__}: {exc}")

        def one(http: httpx.Client, n: int, kind: str, payload: Any) -> None:
            if kind == "ingest":
                r = http.post("/v1/articles", json={"articles": payload})
                assert r.status_code == 200, r.text
                report = r.json()
                assert report["ok"], report
                assert [i["status"] for i in report["items"]] in (["added"], ["unchanged"]), report
                tally.count("ingest")
                return
            streamed = n % STREAMED_EVERY == 0
            headers = {"Accept": "text/event-stream"} if streamed else {}
            r = http.post("/v1/ask", json={"question": payload}, headers=headers)
            assert r.status_code == 200, r.text
            answer = sse_answer(r) if streamed else r.json()
            assert answer["status"] in ("answered", "insufficient_evidence")
            for c in answer["citations"]:
                assert texts[c["article_id"]][c["start"] : c["end"]] == c["quote"], c
                with tally.lock:
                    tally.citations_checked += 1
            tally.count("ask-stream" if streamed else "ask")

        threads = [threading.Thread(target=client, name=f"client-{i}") for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=500)
        assert not any(t.is_alive() for t in threads), "clients did not finish"

        listing = httpx.get(f"{server.url}/v1/articles", timeout=60).json()
        fetched = {
            aid: httpx.get(f"{server.url}/v1/articles/{aid}", timeout=60).json()["text"] for aid in sorted(texts)
        }

    assert tally.errors == []
    assert sum(tally.counts.values()) == N_REQUESTS
    assert tally.counts["ingest"] == NEW_ARTICLES + REPEATS
    assert tally.citations_checked > 0
    ids = [a["id"] for a in listing["articles"]]
    assert len(ids) == len(set(ids)), "an article is listed twice"
    assert set(ids) == set(texts), "an article was lost or one appeared from nowhere"
    assert fetched == texts
    # No duplicated or stray chunks: the chunk collection holds exactly the chunks the articles claim.
    assert assistant.store.count() == sum(a["chunks"] for a in listing["articles"])
