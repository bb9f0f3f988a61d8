"""The product as shipped, over HTTP: ``sanad serve`` started as a user starts it (a fresh
``SANAD_HOME`` filled by ``sanad ingest``, no other setting), then the JSON API, its event
stream, chat, ingest over HTTP, and the OpenAI-compatible endpoint through the real ``openai``
SDK; once more with ``SANAD_API_KEY`` set. Nothing is injected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from procs import OASIS_ARTICLE, SAMPLES, run_sanad, sanad_serve, user_env

pytestmark = pytest.mark.shipped

DESAL_Q = "كم تبلغ الطاقة الإنتاجية لمحطة تحلية المياه؟"
KEY = "shipped-key"
NEW_ARTICLE = OASIS_ARTICLE


def home_with_samples(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    home = tmp_path_factory.mktemp(name)
    run_sanad(user_env(home, shipped=True), "ingest", str(SAMPLES))
    return home


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = home_with_samples(tmp_path_factory, "shipped-http-home")
    with sanad_serve(user_env(home, shipped=True), home.parent / f"{home.name}-serve.log") as url:
        yield url


def verified_against_the_api(url: str, answer: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    """Every citation is the stored article's own text at its offsets."""
    assert answer["citations"], answer
    for c in answer["citations"]:
        article = httpx.get(f"{url}/v1/articles/{c['article_id']}", headers=headers, timeout=30).json()
        assert article["text"][c["start"] : c["end"]] == c["quote"]


def test_ask_json(server: str) -> None:
    r = httpx.post(f"{server}/v1/ask", json={"question": DESAL_Q}, timeout=300)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["status"] == "answered" and answer["mode"] == "extractive"
    assert any("12.5" in c["quote"] for c in answer["citations"])
    verified_against_the_api(server, answer)


def sse_events(response: httpx.Response) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    for block in response.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_streams_events(server: str) -> None:
    r = httpx.post(f"{server}/v1/ask", json={"question": DESAL_Q}, headers={"Accept": "text/event-stream"}, timeout=300)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r)
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "answer" and "token" in kinds and "error" not in kinds
    final = events[-1][1]
    assert "".join(data["text"] for kind, data in events if kind == "token") == final["answer"]
    verified_against_the_api(server, final)


def test_chat_two_turns(server: str) -> None:
    first = httpx.post(f"{server}/v1/chat", json={"message": DESAL_Q}, timeout=300).json()
    assert first["answer"]["status"] == "answered" and first["turns"] == 2
    second = httpx.post(
        f"{server}/v1/chat", json={"message": "وكم بلغت كلفة المشروع؟", "session_id": first["session_id"]}, timeout=300
    ).json()
    assert second["session_id"] == first["session_id"] and second["turns"] == 4
    assert any("38 مليون" in c["quote"] for c in second["answer"]["citations"]), second


def test_ingest_over_http_then_ask_about_it(server: str) -> None:
    r = httpx.post(f"{server}/v1/articles", json={"articles": [NEW_ARTICLE, {"title": "no text"}]}, timeout=300)
    assert r.status_code == 200, r.text
    report = r.json()
    assert [item["status"] for item in report["items"]] == ["added", "skipped"] and not report["ok"]
    assert report["items"][0]["id"] == NEW_ARTICLE["id"] and report["items"][1]["reason"]
    answer = httpx.post(f"{server}/v1/ask", json={"question": "كم كتابا تضم مكتبة الواحة الجديدة؟"}, timeout=300).json()
    assert answer["status"] == "answered"
    assert answer["citations"][0]["article_id"] == NEW_ARTICLE["id"]
    assert "خمسة وأربعين ألف كتاب" in answer["citations"][0]["quote"]
    verified_against_the_api(server, answer)


def test_openai_sdk(server: str) -> None:
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused", timeout=300, max_retries=0)
    assert [m.id for m in client.models.list()] == ["sanad"]
    completion = client.chat.completions.create(model="sanad", messages=[{"role": "user", "content": DESAL_Q}])
    text = completion.choices[0].message.content or ""
    assert "12.5" in text and "المراجع:" in text
    extra = completion.model_extra or {}
    assert extra["sanad"]["status"] == "answered" and extra["sanad"]["citations"]

    stream = client.chat.completions.create(model="sanad", messages=[{"role": "user", "content": DESAL_Q}], stream=True)
    pieces = [chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices]
    assert "".join(pieces) == text


def test_with_an_api_key(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = home_with_samples(tmp_path_factory, "shipped-http-key-home")
    env = user_env(home, shipped=True, SANAD_API_KEY=KEY)
    with sanad_serve(env, home.parent / f"{home.name}-serve.log") as url:
        assert httpx.get(f"{url}/healthz").status_code == 200  # open
        assert httpx.get(f"{url}/").status_code == 200  # the page shell is open; its API calls are not
        refused = httpx.post(f"{url}/v1/ask", json={"question": DESAL_Q}, timeout=60)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
        wrong = httpx.post(f"{url}/v1/ask", json={"question": DESAL_Q}, headers={"Authorization": "Bearer no"})
        assert wrong.status_code == 401
        auth = {"Authorization": f"Bearer {KEY}"}
        answer = httpx.post(f"{url}/v1/ask", json={"question": DESAL_Q}, headers=auth, timeout=300).json()
        assert answer["status"] == "answered"
        verified_against_the_api(url, answer, auth)

        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).models.list()
        client = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, timeout=300, max_retries=0)
        completion = client.chat.completions.create(model="sanad", messages=[{"role": "user", "content": DESAL_Q}])
        assert "12.5" in (completion.choices[0].message.content or "")
