"""The HTTP API over real HTTP: a uvicorn server on 127.0.0.1, chromadb on disk in a temp folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fakes import HashEmbedder
from http_helpers import ARTICLES, DATES_Q, DESAL_Q, REEF_Q, UNRELATED_Q, ingest, make_assistant, running
from openai_stub import OpenAIStub, Reply

from index.documents import Filters, Passage
from index.serial import SerialEmbedder
from qa.assistant import Assistant
from qa.http import BackgroundServer
from qa.llm import OpenAIChatModel
from qa.settings import ServerSettings, Settings

ARTICLE_TEXT = {a["id"]: a["text"] for a in ARTICLES}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    home = tmp_path_factory.mktemp("http-home")
    assistant = make_assistant(home, server=ServerSettings(max_body_bytes=64_000), max_question_chars=500)
    with running(assistant) as srv:
        ingest(srv.url, ARTICLES)
        yield srv


@pytest.fixture
def client(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    """Parse a text/event-stream body into (event, data) pairs."""
    out: list[tuple[str, Any]] = []
    for block in response.text.split("\n\n"):
        if not block.strip():
            continue
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        out.append((name, json.loads("\n".join(data))))
    return out


def assert_verified(answer: dict[str, Any]) -> None:
    """The answer cites something, and every citation's quote is the article text at its offsets."""
    assert answer["status"] == "answered" and answer["citations"]
    for c in answer["citations"]:
        assert ARTICLE_TEXT[c["article_id"]][c["start"] : c["end"]] == c["quote"]
        assert f"[{c['n']}]" in answer["answer"]


# --- health, articles ---------------------------------------------------------------------------


def test_healthz(client: httpx.Client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_openapi_lists_the_routes(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/v1/ask", "/v1/search", "/v1/chat", "/v1/articles", "/v1/chat/completions", "/healthz"):
        assert route in paths
    assert client.get("/docs").status_code == 200


def test_articles_listed_and_readable(client: httpx.Client) -> None:
    listing = client.get("/v1/articles").json()
    ids = {a["id"] for a in listing["articles"]}
    assert {a["id"] for a in ARTICLES} <= ids
    assert listing["count"] == len(listing["articles"])
    for sent in ARTICLES:
        got = client.get(f"/v1/articles/{sent['id']}").json()
        assert got["text"] == sent["text"]
        assert got["title"] == sent["title"]
        assert got["source"] == sent["source"]
        assert got["date"] == sent["date"]


def test_unknown_article_is_a_json_404(client: httpx.Client) -> None:
    r = client.get("/v1/articles/no-such-article")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert "no-such-article" in r.json()["error"]["message"]


def test_ingest_reports_each_item(client: httpx.Client) -> None:
    batch = [
        ARTICLES[0],  # unchanged: already indexed
        {"id": "http-new-1", "title": "خبر قصير", "text": "أعلنت البلدية عن افتتاح حديقة عامة جديدة في الحي."},
        {"title": "بلا نص"},  # no text
        {"id": "http-empty", "text": "   "},
        {"title": "بلا معرف", "text": "افتتح معرض الكتاب أبوابه للزوار صباح اليوم في العاصمة."},
    ]
    r = client.post("/v1/articles", json={"articles": batch})
    assert r.status_code == 200
    report = r.json()
    assert report["ok"] is False
    assert (report["added"], report["unchanged"]) == (2, 1)
    items = report["items"]
    assert [i["index"] for i in items] == [0, 1, 2, 3, 4]
    assert [i["status"] for i in items] == ["unchanged", "added", "skipped", "skipped", "added"]
    assert "text" in items[2]["reason"] and "text" in items[3]["reason"]
    derived = items[4]["id"]
    assert derived  # an id was derived for the article sent without one
    assert client.get(f"/v1/articles/{derived}").json()["title"] == "بلا معرف"
    # Sending the same again changes nothing.
    again = client.post("/v1/articles", json=[batch[1], batch[4]]).json()
    assert (again["added"], again["unchanged"], again["ok"]) == (0, 2, True)


def test_forget_article(client: httpx.Client) -> None:
    client.post("/v1/articles", json={"articles": [{"id": "to-forget", "text": "خبر سيحذف بعد قليل من الفهرس."}]})
    r = client.delete("/v1/articles/to-forget")
    assert r.status_code == 200
    assert r.json()["chunks_removed"] >= 1
    assert client.get("/v1/articles/to-forget").status_code == 404
    assert client.delete("/v1/articles/to-forget").status_code == 404


# --- asking and searching ---------------------------------------------------------------------


def test_ask_returns_a_verified_answer(client: httpx.Client) -> None:
    r = client.post("/v1/ask", json={"question": DESAL_Q})
    assert r.status_code == 200
    answer = r.json()
    assert answer["status"] == "answered"
    assert answer["mode"] == "extractive"
    assert answer["language"] == "ar"
    assert answer["citations"]
    assert any("ستمائة ألف متر مكعب" in c["quote"] and c["article_id"] == "desal-jubail" for c in answer["citations"])
    assert_verified(answer)
    assert answer["timings"]["total"] >= answer["timings"]["retrieve"]


def test_ask_with_astral_characters_before_the_quote(client: httpx.Client) -> None:
    answer = client.post("/v1/ask", json={"question": DATES_Q}).json()
    assert answer["status"] == "answered"
    assert any("مئة مليون ريال" in c["quote"] and c["article_id"] == "dates-festival" for c in answer["citations"])
    assert_verified(answer)


def test_ask_in_english(client: httpx.Client) -> None:
    answer = client.post("/v1/ask", json={"question": REEF_Q}).json()
    assert answer["status"] == "answered"
    assert answer["language"] == "en"
    assert any("seventy percent" in c["quote"] and c["article_id"] == "reef-survey" for c in answer["citations"])
    assert_verified(answer)


def test_ask_without_evidence(client: httpx.Client) -> None:
    answer = client.post("/v1/ask", json={"question": UNRELATED_Q}).json()
    assert answer["status"] == "insufficient_evidence"
    assert answer["citations"] == []


def test_ask_filters(client: httpx.Client) -> None:
    only_okaz = client.post("/v1/ask", json={"question": DESAL_Q, "filters": {"sources": ["okaz"]}}).json()
    assert all(c["article_id"] == "rail-riyadh" for c in only_okaz["citations"])
    late = client.post("/v1/ask", json={"question": DESAL_Q, "filters": {"since": "2025-06-01"}}).json()
    assert all(c["article_id"] not in ("desal-jubail", "rail-riyadh") for c in late["citations"])
    bad = client.post("/v1/ask", json={"question": DESAL_Q, "filters": {"since": "2025-06-01", "until": "2025-01-01"}})
    assert bad.status_code == 422
    assert "since" in bad.json()["error"]["message"]
    not_a_date = client.post("/v1/ask", json={"question": DESAL_Q, "filters": {"since": "June"}})
    assert not_a_date.status_code == 422
    assert not_a_date.json()["error"]["code"] == "invalid_request"


def test_ask_streams_tokens_then_the_verified_answer(client: httpx.Client) -> None:
    r = client.post("/v1/ask", json={"question": DESAL_Q}, headers={"Accept": "text/event-stream"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    evs = events(r)
    names = [name for name, _ in evs]
    assert names[-1] == "answer"
    assert set(names[:-1]) == {"token"} and len(names) > 2
    final = evs[-1][1]
    assert "".join(data["text"] for name, data in evs[:-1]) == final["answer"]
    assert final["status"] == "answered"
    assert_verified(final)
    # The body flag does the same as the Accept header.
    flagged = events(client.post("/v1/ask", json={"question": DESAL_Q, "stream": True}))
    assert flagged[-1][1]["answer"] == final["answer"]


def test_search_returns_scored_passages(client: httpx.Client) -> None:
    r = client.post("/v1/search", json={"query": DESAL_Q, "k": 2})
    assert r.status_code == 200
    passages = r.json()["passages"]
    assert 1 <= len(passages) <= 2
    assert passages[0]["article_id"] == "desal-jubail"
    for p in passages:
        assert ARTICLE_TEXT.get(p["article_id"], p["text"])[p["start"] : p["end"]] == p["text"]
        assert isinstance(p["score"], float)


# --- chat sessions ------------------------------------------------------------------------------


def test_chat_session_keeps_turns(client: httpx.Client) -> None:
    first = client.post("/v1/chat", json={"message": DESAL_Q}).json()
    sid = first["session_id"]
    assert first["turns"] == 2
    assert first["answer"]["status"] == "answered"
    message = "وماذا عن عدد المهندسين؟"
    follow = client.post("/v1/chat", json={"message": message, "session_id": sid}).json()
    assert follow["session_id"] == sid
    assert follow["turns"] == 4
    # The follow-up was made standalone from the session's earlier turn.
    assert follow["question"] != message and "الجبيل" in follow["question"]
    assert follow["answer"]["question"] == follow["question"]
    assert client.delete(f"/v1/chat/{sid}").status_code == 204
    gone = client.post("/v1/chat", json={"message": DESAL_Q, "session_id": sid})
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"


def test_chat_streams(client: httpx.Client) -> None:
    r = client.post("/v1/chat", json={"message": DATES_Q}, headers={"Accept": "text/event-stream"})
    evs = events(r)
    name, final = evs[-1]
    assert name == "answer"
    assert final["turns"] == 2
    assert "".join(d["text"] for n, d in evs if n == "token") == final["answer"]["answer"]
    assert_verified(final["answer"])
    # The session was kept: a second streamed turn continues it.
    again = events(
        client.post(
            "/v1/chat",
            json={"message": "وكم عدد المزارعين المشاركين؟", "session_id": final["session_id"], "stream": True},
        )
    )
    assert again[-1][0] == "answer"
    assert again[-1][1]["turns"] == 4
    assert "التمور" in again[-1][1]["question"]


def test_unknown_chat_session(client: httpx.Client) -> None:
    r = client.post("/v1/chat", json={"message": DESAL_Q, "session_id": "nope"})
    assert r.status_code == 404
    assert client.delete("/v1/chat/nope").status_code == 404


# --- limits and error shapes ---------------------------------------------------------------------


def test_question_length_is_bounded(client: httpx.Client) -> None:
    for path, field in (("/v1/ask", "question"), ("/v1/search", "query"), ("/v1/chat", "message")):
        r = client.post(path, json={field: "س" * 501})
        assert r.status_code == 422, path
        err = r.json()["error"]
        assert err["code"] == "bad_request"
        assert "501" in err["message"] and "500" in err["message"]
        empty = client.post(path, json={field: "   "})
        assert empty.status_code == 422
        assert "empty" in empty.json()["error"]["message"]


def test_body_size_is_bounded_by_content_length(client: httpx.Client) -> None:
    big = {"articles": [{"id": "big", "text": "كلمة " * 20_000}]}
    r = client.post("/v1/articles", json=big)
    assert r.status_code == 413
    err = r.json()["error"]
    assert err["code"] == "payload_too_large"
    assert "64000" in err["message"]
    assert client.get("/v1/articles/big").status_code == 404


def test_body_size_is_bounded_when_streamed_without_length(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"articles": [{"id": "big-chunked", "text": "'
        for _ in range(100):
            yield ("كلمة " * 200).encode()
        yield b'"}]}'

    r = client.post("/v1/articles", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert client.get("/v1/articles/big-chunked").status_code == 404


def test_errors_have_one_shape(client: httpx.Client) -> None:
    cases = [
        client.get("/v1/nowhere"),
        client.post("/v1/ask", json={"questio": "x"}),
        client.post("/v1/ask", content=b"{not json", headers={"Content-Type": "application/json"}),
        client.put("/v1/ask", json={"question": "x"}),
        client.post("/v1/ask", json={"question": DESAL_Q, "k": 0}),
    ]
    assert [r.status_code for r in cases] == [404, 422, 422, 405, 422]
    for r in cases:
        err = r.json()["error"]
        assert set(err) >= {"code", "message"}
        assert isinstance(err["message"], str) and err["message"]


class ExplodingRetriever:
    def retrieve(self, query: str, k: int, filters: Filters | None = None) -> list[Passage]:
        raise RuntimeError("secret internal detail /etc/passwd")


def test_unexpected_errors_leak_nothing(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assistant = Assistant(settings, embedder=HashEmbedder(), retriever=ExplodingRetriever())
    with running(assistant) as srv:
        for accept in ("application/json", "text/event-stream"):
            r = httpx.post(f"{srv.url}/v1/ask", json={"question": DESAL_Q}, headers={"Accept": accept}, timeout=30)
            assert r.status_code == 500
            assert r.json() == {
                "error": {"code": "internal_error", "message": "internal server error (details are in the server log)"}
            }
            assert "secret" not in r.text and "Traceback" not in r.text


# --- auth and CORS ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    assistant = make_assistant(tmp_path_factory.mktemp("locked-home"), api_key="s3cret-key")
    with running(assistant) as srv:
        yield srv


def test_auth_required_everywhere_but_health_and_page(locked: BackgroundServer) -> None:
    url = locked.url
    good = {"Authorization": "Bearer s3cret-key"}
    for method, path, body in (
        ("GET", "/v1/articles", None),
        ("POST", "/v1/ask", {"question": DESAL_Q}),
        ("POST", "/v1/articles", {"articles": ARTICLES[:1]}),
        ("GET", "/v1/models", None),
        ("POST", "/v1/chat/completions", {"model": "sanad", "messages": [{"role": "user", "content": "hi"}]}),
        ("GET", "/openapi.json", None),
        ("GET", "/v1/no-such-route", None),
    ):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-key"}):
            r = httpx.request(method, url + path, json=body, headers=headers, timeout=30)
            assert r.status_code == 401, (method, path, headers)
            assert r.json()["error"]["code"] == "unauthorized"
            assert r.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(url + "/v1/articles", headers=good).status_code == 200
    ingested = httpx.post(url + "/v1/articles", json={"articles": ARTICLES[:1]}, headers=good, timeout=60)
    assert ingested.status_code == 200
    asked = httpx.post(url + "/v1/ask", json={"question": DESAL_Q}, headers=good, timeout=60)
    assert asked.status_code == 200 and asked.json()["status"] == "answered"
    # Open: liveness and the page shell (the page asks for the key itself).
    assert httpx.get(url + "/healthz").status_code == 200
    assert httpx.get(url + "/").status_code == 200
    assert httpx.get(url + "/static/app.js").status_code == 200
    schema = httpx.get(url + "/openapi.json", headers=good).json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_cors_is_off_by_default(client: httpx.Client) -> None:
    r = client.options(
        "/v1/ask", headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in r.headers
    r = client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_when_configured(tmp_path: Path) -> None:
    origin = "https://news.example"
    assistant = make_assistant(tmp_path, api_key="k", server=ServerSettings(cors_origins=[origin]))
    with running(assistant) as srv:
        pre = httpx.options(
            f"{srv.url}/v1/ask",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == origin
        denied = httpx.get(f"{srv.url}/v1/articles", headers={"Origin": origin})
        assert denied.status_code == 401
        assert denied.headers["access-control-allow-origin"] == origin  # the page can read the 401
        other = httpx.options(
            f"{srv.url}/v1/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert other.headers.get("access-control-allow-origin") != "https://evil.example"


# --- the page shell -----------------------------------------------------------------------------


def test_page_is_served_with_a_strict_policy(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert '<script src="/static/app.js"' in r.text
    js = client.get("/static/app.js")
    assert js.status_code == 200
    assert "innerHTML" not in js.text  # article text only ever goes in as text


# --- with a language model: streamed preview, verified final event ---------------------------------


FABRICATED = "ويعمل في المشروع عشرة آلاف مهندس"
DRAFT = {
    "status": "answered",
    "answer": "تبلغ الطاقة الإنتاجية ستمائة ألف متر مكعب يوميا، ويعمل فيه عشرة آلاف مهندس.",
    "claims": [
        {
            "text": "تبلغ الطاقة الإنتاجية ستمائة ألف متر مكعب يوميا.",
            "citations": [{"passage": 1, "quote": "تبلغ الطاقة الإنتاجية للمحطة ستمائة ألف متر مكعب يوميا"}],
        },
        {"text": "يعمل فيه عشرة آلاف مهندس.", "citations": [{"passage": 1, "quote": FABRICATED}]},
    ],
}


@pytest.fixture
def llm_server(tmp_path: Path) -> Iterator[tuple[BackgroundServer, OpenAIStub]]:
    """Sanad with a scripted OpenAI-compatible model behind it (the real SDK over HTTP)."""
    with OpenAIStub() as stub:
        chat = OpenAIChatModel(base_url=stub.base_url, model=stub.model, max_retries=0, timeout=20)
        assistant = Assistant(Settings(home=tmp_path), embedder=SerialEmbedder(HashEmbedder), chat_model=chat)
        with running(assistant) as srv:
            ingest(srv.url, ARTICLES[:2])
            yield srv, stub


def assert_only_verified(final: dict[str, Any]) -> None:
    assert final["mode"] == "llm"
    assert final["unsupported_claims"] == 1
    assert len(final["citations"]) == 1
    assert "عشرة آلاف" not in final["answer"]
    assert all(FABRICATED not in c["quote"] for c in final["citations"])
    assert_verified(final)


def test_llm_stream_preview_then_only_verified_citations(llm_server: tuple[BackgroundServer, OpenAIStub]) -> None:
    srv, stub = llm_server
    stub.script(Reply.json(DRAFT))
    r = httpx.post(
        f"{srv.url}/v1/ask",
        json={"question": DESAL_Q, "filters": {"sources": ["spa"]}},
        headers={"Accept": "text/event-stream"},
        timeout=60,
    )
    assert stub.chat_requests and stub.chat_requests[0].body.get("stream") is True
    evs = events(r)
    tokens = [d["text"] for n, d in evs if n == "token"]
    assert len(tokens) > 1
    assert "".join(tokens) == DRAFT["answer"]  # the preview: the model's draft as it was written
    name, final = evs[-1]
    assert name == "answer"
    assert_only_verified(final)


def test_llm_chat_stream(llm_server: tuple[BackgroundServer, OpenAIStub]) -> None:
    srv, stub = llm_server
    stub.script(Reply.json(DRAFT))
    r = httpx.post(
        f"{srv.url}/v1/chat",
        json={"message": DESAL_Q, "filters": {"sources": ["spa"]}, "stream": True},
        timeout=60,
    )
    evs = events(r)
    assert "".join(d["text"] for n, d in evs if n == "token") == DRAFT["answer"]
    name, final = evs[-1]
    assert name == "answer" and final["turns"] == 2
    assert_only_verified(final["answer"])


def test_llm_completions_stream_only_verified_text(llm_server: tuple[BackgroundServer, OpenAIStub]) -> None:
    srv, stub = llm_server
    stub.script(Reply.json(DRAFT))
    with openai.OpenAI(base_url=f"{srv.url}/v1", api_key="unused", max_retries=0, timeout=60) as client:
        stream = client.chat.completions.create(
            model="sanad", messages=[{"role": "user", "content": DESAL_Q}], stream=True
        )
        text = ""
        final: dict[str, Any] = {}
        with stream:
            for chunk in stream:
                for choice in chunk.choices:
                    text += choice.delta.content or ""
                final = (chunk.model_extra or {}).get("sanad", final)
    assert "عشرة آلاف" not in text  # a client cannot take streamed text back: only verified text is sent
    assert text.startswith(final["answer"])
    assert_only_verified(final)


# --- `sanad serve` through the real entry point ----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_sanad_serve_command(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    env |= {"SANAD_HOME": str(tmp_path / "home"), "SANAD_API_KEY": "cli-key"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"sanad serve exited early: {proc.communicate()[0]}"
            try:
                health = httpx.get(url + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "sanad serve did not come up in 60 s"
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        assert httpx.get(url + "/v1/articles", timeout=10).status_code == 401  # SANAD_API_KEY was read
        assert httpx.get(url + "/", timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output = proc.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            proc.kill()
            output = proc.communicate()[0]
    assert proc.returncode == 0, output


def test_lone_surrogates_are_refused_with_a_reason(client: httpx.Client) -> None:
    """``"\\ud800"`` is valid JSON but not text: each door answers 422 with the reason (not 500), and a
    batch of articles keeps its good records."""
    bad = '"\\u0645\\u062d\\u0637\\u0629 \\ud800"'  # the JSON escape, as a hostile client sends it
    bodies = {
        "/v1/ask": f'{{"question": {bad}}}',
        "/v1/search": f'{{"query": {bad}}}',
        "/v1/chat": f'{{"message": {bad}}}',
        "/v1/chat/completions": f'{{"messages": [{{"role": "user", "content": {bad}}}]}}',
    }
    for route, body in bodies.items():
        r = client.post(route, content=body.encode(), headers={"Content-Type": "application/json"})
        assert r.status_code == 422, (route, r.status_code, r.text)
        assert "surrogate" in r.json()["error"]["message"], route
    good = {"id": "surrogate-neighbour", "text": "خبر سليم يجاور خبرا فيه حرف مكسور في الدفعة نفسها."}
    body = f'{{"articles": [{json.dumps(good)}, {{"id": "surrogate-bad", "text": {bad}}}]}}'
    r = client.post("/v1/articles", content=body.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["status"] for i in items] == ["added", "skipped"]
    assert "surrogate" in items[1]["reason"]
    assert client.get("/v1/articles/surrogate-neighbour").status_code == 200


def test_bad_bodies_are_explained(client: httpx.Client) -> None:
    broken = client.post("/v1/ask", content=b'{"question": "x",,}', headers={"Content-Type": "application/json"})
    assert broken.status_code == 422
    message = broken.json()["error"]["message"]
    assert message.startswith("the body is not valid JSON at character ") and "JSON decode error" in message
    plain = client.post("/v1/ask", content="ما هي الأخبار؟".encode(), headers={"Content-Type": "text/plain"})
    assert plain.status_code == 422
    assert "Content-Type: application/json" in plain.json()["error"]["message"]
    assert "text/plain" in plain.json()["error"]["message"]
