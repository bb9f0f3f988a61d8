"""What the terminal shows: article text is data, never terminal control codes."""

from __future__ import annotations

import pytest

from index.documents import ArticleInfo, Passage
from qa.cli.render import print_answer, print_articles, print_passages, safe
from qa.models import Answer, Citation

HOSTILE = "عنوان\x1b[2J\x1b]0;owned\x07\x1b]8;;http://evil.example\x1b\\انقر\x1b]8;;\x1b\\ \x9b31m"


def test_safe_keeps_text_and_drops_control_codes() -> None:
    shown = safe(HOSTILE + "\nسطر\tثان")
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown.startswith("عنوان") and "انقر" in shown and "\nسطر\tثان" in shown


def test_answers_passages_and_articles_never_print_escapes(capsys: pytest.CaptureFixture[str]) -> None:
    citation = Citation(n=1, article_id="a1", chunk_id="c1", start=0, end=5, quote=HOSTILE, title=HOSTILE)
    print_answer(Answer(question="q", answer=HOSTILE + " [1]", status="answered", citations=[citation]))
    passage = Passage(chunk_id="c1", article_id="a1", title=HOSTILE, index=0, start=0, end=5, text=HOSTILE)
    print_passages([passage])
    print_articles([ArticleInfo(id="a1", title=HOSTILE, source=HOSTILE, chunks=1)])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "انقر" in out
