"""The chat page in a real browser: Debian's chromium, headless, driven by Playwright for Python.

Asks questions, clicks a citation, checks that the highlighted span is exactly the quote at the
cited offsets (including after emoji, which are two UTF-16 units in JavaScript), checks the
"sources do not say" state, text-only rendering of article markup, and the API-key flow.
Screenshots go to ``artifacts/`` (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_helpers import ARTICLES, DATES_Q, DESAL_Q, REEF_Q, UNRELATED_Q, ingest, make_assistant, running
from procs import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_missing, click_citations_and_check_highlights

from qa.http import BackgroundServer

ARTICLE_TEXT = {a["id"]: a["text"] for a in ARTICLES}
KEY = "web-key"
AUTH = {"Authorization": f"Bearer {KEY}"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(chromium_missing(), reason="chromium is not installed (apt-get install chromium)"),
]

if Path(CHROMIUM).exists():
    from playwright.sync_api import Browser, Page, expect, sync_playwright
else:  # pragma: no cover - the module is skipped
    Browser = Page = Any


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    assistant = make_assistant(tmp_path_factory.mktemp("web-home"), api_key=KEY)
    with running(assistant) as srv:
        ingest(srv.url, ARTICLES, headers=AUTH)
        yield srv


@pytest.fixture
def page(browser: Browser, server: BackgroundServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar")
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def expected_answer(server: BackgroundServer, question: str) -> dict[str, Any]:
    """What the API answers (the page must show the same)."""
    r = httpx.post(f"{server.url}/v1/ask", json={"question": question}, headers=AUTH, timeout=60)
    r.raise_for_status()
    answer: dict[str, Any] = r.json()
    return answer


def enter_key(page: Page, server: BackgroundServer) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#key-form")).to_be_visible()
    page.fill("#key-input", KEY)
    page.click("#key-form button[type=submit]")
    expect(page.locator("#key-form")).to_be_hidden()


def ask(page: Page, question: str, n: int) -> Any:
    """Type a question, send it, wait for the n-th (1-based) answer to settle; return its locator."""
    page.fill("#question", question)
    page.press("#question", "Enter")
    answer = page.locator("li.msg.assistant").nth(n - 1)
    expect(answer).to_have_attribute("data-status", "answered", timeout=30_000)
    return answer


def test_ask_click_citation_and_see_the_quote_highlighted(page: Page, server: BackgroundServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    enter_key(page, server)

    # An Arabic question whose cited sentence comes after an emoji (astral characters).
    expected = expected_answer(server, DATES_Q)
    assert expected["status"] == "answered"
    answer = ask(page, DATES_Q, 1)
    user = page.locator("li.msg.user").first
    expect(user).to_have_attribute("dir", "rtl")
    expect(answer).to_have_attribute("dir", "rtl")
    expect(answer.locator(".text")).to_have_text(expected["answer"])
    click_citations_and_check_highlights(page, answer, expected["citations"], ARTICLE_TEXT)
    # The offsets were code points, not UTF-16 units: astral characters came before the quote.
    assert any(
        any(ord(ch) > 0xFFFF for ch in ARTICLE_TEXT[c["article_id"]][: c["start"]]) for c in expected["citations"]
    )
    page.screenshot(path=str(ARTIFACTS / "web-arabic-citation.png"), full_page=True)

    # English: left-to-right, and article markup shown as text, never as HTML.
    answer = ask(page, REEF_Q, 2)
    expect(answer).to_have_attribute("dir", "ltr")
    expect(answer).to_have_attribute("lang", "en")
    answer.locator(".refs button.cite").first.click()
    body = page.locator("#article-text")
    expect(body).to_contain_text("<script>alert(1)</script>")
    assert body.locator("script, b").count() == 0
    expect(body).to_have_attribute("dir", "ltr")
    page.screenshot(path=str(ARTIFACTS / "web-english-citation.png"), full_page=True)

    # A question the articles do not answer: a visible "sources do not say" state.
    page.fill("#question", UNRELATED_Q)
    page.press("#question", "Enter")
    third = page.locator("li.msg.assistant").nth(2)
    expect(third).to_have_attribute("data-status", "insufficient_evidence", timeout=30_000)
    badge = third.locator(".badge")
    expect(badge).to_be_visible()
    expect(badge).to_have_text("المصادر لا تذكر ذلك")
    assert third.locator("button.cite").count() == 0
    page.screenshot(path=str(ARTIFACTS / "web-chat.png"), full_page=True)


def test_follow_up_keeps_the_session(page: Page, server: BackgroundServer) -> None:
    enter_key(page, server)
    ask(page, DESAL_Q, 1)
    page.fill("#question", "وماذا عن عدد المهندسين؟")
    page.press("#question", "Enter")
    second = page.locator("li.msg.assistant").nth(1)
    expect(second).to_have_attribute("data-status", re.compile(r"^(answered|insufficient_evidence)$"), timeout=30_000)
    expect(second.locator(".rewrite")).to_contain_text("الجبيل", timeout=30_000)


def test_wrong_key_is_refused_and_remembered_key_is_used(page: Page, server: BackgroundServer) -> None:
    page.goto(server.url + "/")
    expect(page.locator("#key-form")).to_be_visible()
    page.fill("#key-input", "not-the-key")
    page.click("#key-form button[type=submit]")
    expect(page.locator("#key-error")).to_be_visible()
    enter_key(page, server)
    assert page.evaluate("localStorage.getItem('sanad.apiKey')") == KEY
    page.reload()
    expect(page.locator("#key-form")).to_be_hidden()
    ask(page, DESAL_Q, 1)
