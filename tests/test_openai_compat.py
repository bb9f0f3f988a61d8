"""Sanad as an OpenAI "model": the real ``openai`` SDK against ``/v1/chat/completions`` over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from http_helpers import ARTICLES, DESAL_Q, REEF_Q, UNRELATED_Q, ingest, make_assistant, running

from qa.http import BackgroundServer

KEY = "compat-key"
ARTICLE_TEXT = {a["id"]: a["text"] for a in ARTICLES}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    assistant = make_assistant(tmp_path_factory.mktemp("compat-home"), api_key=KEY)
    with running(assistant) as srv:
        ingest(srv.url, ARTICLES, headers={"Authorization": f"Bearer {KEY}"})
        yield srv


@pytest.fixture
def client(server: BackgroundServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=KEY, max_retries=0, timeout=60) as c:
        yield c


def sanad_of(obj: Any) -> dict[str, Any]:
    """The structured citations riding on a response or chunk (an extra field the SDK keeps)."""
    extra = obj.model_extra or {}
    data: dict[str, Any] = extra["sanad"]
    return data


def assert_verified(data: dict[str, Any]) -> None:
    assert data["citations"]
    for c in data["citations"]:
        assert ARTICLE_TEXT[c["article_id"]][c["start"] : c["end"]] == c["quote"]


def test_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["sanad"]


def test_completion_carries_references_in_text_and_data(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="sanad", messages=[{"role": "user", "content": DESAL_Q}])
    assert completion.object == "chat.completion"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    text = choice.message.content or ""
    data = sanad_of(completion)
    assert data["status"] == "answered"
    assert_verified(data)
    assert text.startswith(data["answer"])
    assert "المراجع:" in text
    for c in data["citations"]:
        assert f"[{c['n']}]" in data["answer"]
        assert f"[{c['n']}] {c['title']}" in text
        assert c["quote"] in text
    assert completion.usage is not None


def test_stream_matches_the_non_streamed_reply(client: openai.OpenAI) -> None:
    messages: list[Any] = [{"role": "user", "content": REEF_Q}]
    whole = client.chat.completions.create(model="sanad", messages=messages)
    stream = client.chat.completions.create(
        model="sanad", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    parts: list[str] = []
    finish: list[str] = []
    extras: list[dict[str, Any]] = []
    usage_chunks = 0
    with stream:
        for chunk in stream:
            assert chunk.object == "chat.completion.chunk"
            if chunk.usage is not None:
                usage_chunks += 1
            for choice in chunk.choices:
                if choice.delta.content:
                    parts.append(choice.delta.content)
                if choice.finish_reason:
                    finish.append(choice.finish_reason)
            if chunk.model_extra and "sanad" in chunk.model_extra:
                extras.append(chunk.model_extra["sanad"])
    assert len(parts) > 1
    assert "".join(parts) == whole.choices[0].message.content
    assert "References:" in "".join(parts)
    assert finish == ["stop"]
    assert usage_chunks == 1
    assert len(extras) == 1
    assert extras[0]["citations"] == sanad_of(whole)["citations"]
    assert_verified(extras[0])


def test_earlier_turns_make_a_follow_up(client: openai.OpenAI) -> None:
    message = "وماذا عن عدد المهندسين؟"
    first = client.chat.completions.create(model="sanad", messages=[{"role": "user", "content": DESAL_Q}])
    follow = client.chat.completions.create(
        model="sanad",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": DESAL_Q},
            {"role": "assistant", "content": first.choices[0].message.content or ""},
            {"role": "user", "content": [{"type": "text", "text": message}]},
        ],
    )
    data = sanad_of(follow)
    # The earlier turns made the follow-up a standalone question about the same plant.
    assert data["question"] != message
    assert "المهندسين" in data["question"] and "الجبيل" in data["question"]
    assert data["status"] in ("answered", "insufficient_evidence")
    if data["citations"]:
        assert_verified(data)


def test_no_evidence_is_said_plainly(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="sanad", messages=[{"role": "user", "content": UNRELATED_Q}])
    data = sanad_of(completion)
    assert data["status"] == "insufficient_evidence"
    assert data["citations"] == []
    assert completion.choices[0].message.content == data["answer"]


def test_sdk_errors(server: BackgroundServer, client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as bad:
        client.chat.completions.create(model="sanad", messages=[{"role": "assistant", "content": "hello"}])
    assert "last message" in str(bad.value)
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="sanad", messages=[])
    with (
        openai.OpenAI(base_url=f"{server.url}/v1", api_key="wrong", max_retries=0) as wrong,
        pytest.raises(openai.AuthenticationError),
    ):
        wrong.chat.completions.create(model="sanad", messages=[{"role": "user", "content": DESAL_Q}])
