"""The timeline view of the chat page, in Debian's chromium (headless): reached from an answer, it lists
the topic's dated events in date order (the corpus of tests/fixtures/news_dated), shows how many
articles state each one, and an event opens its article with the quote highlighted at its offsets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import HashEmbedder
from http_helpers import running
from procs import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromium_missing

from index.serial import SerialEmbedder
from qa.assistant import Assistant
from qa.http import BackgroundServer
from qa.settings import Settings

CORPUS = Path(__file__).parent / "fixtures" / "news_dated"
QUESTION = "ما أخبار محطة تحلية المياه في الواحة؟"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(chromium_missing(), reason="chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    assistant = Assistant(Settings(home=tmp_path_factory.mktemp("web-timeline")), embedder=SerialEmbedder(HashEmbedder))
    assert not assistant.ingest([CORPUS]).skipped
    with running(assistant) as srv:
        yield srv


def test_timeline_view_from_an_answer(server: BackgroundServer) -> None:
    from playwright.sync_api import expect, sync_playwright

    expected: dict[str, Any] = httpx.get(f"{server.url}/v1/timeline", params={"q": QUESTION}, timeout=60).json()
    events = expected["events"]
    assert len(events) >= 4 and any(e["corroboration"] == 2 for e in events)
    days = [e["date"] or e["range"][0] for e in events]
    assert days == sorted(days)
    texts = {e["article_id"]: httpx.get(f"{server.url}/v1/articles/{e['article_id']}").json()["text"] for e in events}

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ar")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url + "/")
            expect(page.locator("#timeline")).to_be_hidden()
            page.fill("#question", QUESTION)
            page.press("#question", "Enter")
            answer = page.locator("li.msg.assistant").first
            expect(answer).to_have_attribute(
                "data-status", re.compile("answered|insufficient_evidence"), timeout=30_000
            )
            expect(answer.locator(".footer button.timeline-open")).to_be_visible(timeout=30_000)
            answer.locator(".footer button.timeline-open").click()
            items = page.locator("#timeline-events li.event")
            expect(items).to_have_count(len(events))
            for i, e in enumerate(events):
                item = items.nth(i)
                expect(item.locator("button.day")).to_have_text(e["date"] or f"{e['range'][0]} – {e['range'][1]}")
                expect(item.locator("q")).to_have_text(e["quote"])
                if e["corroboration"] > 1:
                    expect(item.locator(".source")).to_contain_text(f"×{e['corroboration']}")
            # an event opens its article, the quote highlighted at the event's offsets
            for i, e in enumerate(events):
                items.nth(i).locator("button.day").click()
                mark = page.locator("#article-text mark#highlight")
                expect(mark).to_have_attribute("data-n", str(i + 1))
                text = texts[e["article_id"]]
                assert mark.text_content() == e["quote"] == text[e["start"] : e["end"]]
                expect(page.locator("#article-warning")).to_be_hidden()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "web-timeline.png"), full_page=True)
            page.click("#timeline-close")
            expect(page.locator("#timeline")).to_be_hidden()
            # a question with time intent says so under its answer
            page.fill("#question", "ما آخر أخبار محطة تحلية المياه في الواحة؟")
            page.press("#question", "Enter")
            latest = page.locator("li.msg.assistant").nth(1)
            expect(latest.locator(".footer")).to_contain_text("newest first", timeout=30_000)
            expect(answer.locator(".footer")).not_to_contain_text("newest first")
            assert errors == [], f"JavaScript errors on the page: {errors}"
        finally:
            browser.close()
