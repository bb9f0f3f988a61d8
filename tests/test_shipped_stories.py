"""Issue 13 part 2 as a new user sees it: the two seed articles (a wire-style retelling of one
meeting), a fresh ``SANAD_HOME``, default settings, the real ``sanad`` command and ``sanad serve``,
nothing injected. Skipped where the seeds are not beside the checkout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from procs import CHROMIUM, CHROMIUM_ARGS, ROOT, chromium_missing, run_sanad, sanad_serve, user_env

pytestmark = pytest.mark.shipped

SEEDS = ROOT.parent / "shared" / "data" / "seeds"
TURKISH_SIDE = "وشارك في اللقاء من الجانب التركي وزيرا الخارجية هاكان فيدان"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not any(SEEDS.glob("*.txt")):
        pytest.skip(f"the seed articles are not in {SEEDS}")
    home = tmp_path_factory.mktemp("shipped-stories-home")
    report = json.loads(run_sanad(user_env(home, shipped=True), "ingest", str(SEEDS), "--json").stdout)
    assert report["added"] == 2, report
    return home


@pytest.fixture(scope="module")
def url(home: Path) -> Iterator[str]:
    with sanad_serve(user_env(home, shipped=True), home.parent / f"{home.name}-serve.log") as url:
        yield url


def stored_text(url: str, article_id: str) -> str:
    text: str = httpx.get(f"{url}/v1/articles/{article_id}", timeout=60).json()["text"]
    return text


def test_the_answer_cites_one_article_and_shows_the_other_as_corroboration(home: Path, url: str) -> None:
    env = user_env(home, shipped=True)
    answer: dict[str, Any] = json.loads(run_sanad(env, "ask", "من شارك في اللقاء من الجانب التركي؟", "--json").stdout)
    assert answer["status"] == "answered"
    first = answer["citations"][0]
    assert first["quote"].startswith(TURKISH_SIDE)
    assert stored_text(url, first["article_id"])[first["start"] : first["end"]] == first["quote"]
    (other,) = first["corroborated_by"]
    assert other["article_id"] != first["article_id"]
    assert other["quote"].startswith(TURKISH_SIDE)
    assert stored_text(url, other["article_id"])[other["start"] : other["end"]] == other["quote"]
    # one credits Anadolu, the other SANA: two origins, however many copies
    assert first["origins"] == 2 and answer["claims"][0]["origins"] == 2
    shown = run_sanad(env, "ask", "من شارك في اللقاء من الجانب التركي؟").stdout
    assert "= also:" in shown and other["article_id"] in shown and "independent origins: 2" in shown


def test_stories_and_articles_show_the_story(home: Path, url: str) -> None:
    env = user_env(home, shipped=True)
    (story,) = json.loads(run_sanad(env, "stories", "--json").stdout)
    ids = sorted(a["id"] for a in story["articles"])
    assert len(ids) == 2 and len(story["origins"]) == 2
    articles = json.loads(run_sanad(env, "articles", "--json").stdout)
    assert {a["story"] for a in articles} == {story["id"]}
    got = httpx.get(f"{url}/v1/stories", timeout=60).json()
    assert got["count"] == 1 and got["stories"][0]["id"] == story["id"]
    assert httpx.get(f"{url}/v1/stories", params={"since": "2030-01-01"}, timeout=60).json()["count"] == 0
    assert httpx.get(f"{url}/v1/stories", params={"since": "x"}, timeout=60).status_code == 422


@pytest.mark.skipif(chromium_missing(), reason="chromium is not installed (apt-get install chromium)")
def test_the_chat_page_shows_the_corroboration(url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    question = "من شارك في اللقاء من الجانب التركي؟"
    expected = httpx.post(f"{url}/v1/ask", json={"question": question}, timeout=300).json()
    (other,) = expected["citations"][0]["corroborated_by"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="ar")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url + "/")
            page.fill("#question", question)
            page.press("#question", "Enter")
            answer = page.locator("li.msg.assistant").first
            expect(answer).to_have_attribute("data-status", "answered", timeout=120_000)
            also = answer.locator(".refs ul.also li").first
            expect(also.locator("q")).to_have_text(other["quote"])
            expect(answer.locator(".refs .origins").first).to_contain_text("2")
            assert errors == [], f"JavaScript errors on the page: {errors}"
        finally:
            browser.close()


def test_forgetting_one_copy_shrinks_the_story(home: Path, url: str) -> None:
    env = user_env(home, shipped=True)
    (story,) = json.loads(run_sanad(env, "stories", "--json").stdout)
    run_sanad(env, "forget", story["articles"][0]["id"])
    assert json.loads(run_sanad(env, "stories", "--json").stdout) == []
    (alone,) = json.loads(run_sanad(env, "stories", "--all", "--json").stdout)
    assert [a["id"] for a in alone["articles"]] == [story["articles"][1]["id"]]
    assert "no stories" in run_sanad(env, "stories").stdout
