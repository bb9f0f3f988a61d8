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


def test_whole_escape_sequences_and_bidi_overrides_are_dropped() -> None:
    shown = safe(HOSTILE)
    assert "[2J" not in shown and "owned" not in shown and "evil.example" not in shown and "31m" not in shown
    assert shown.replace(" ", "") == "عنوانانقر"
    # RLO … PDF would show "abc" as "cba"; the marks Arabic text uses (RLM, ALM) stay.
    assert safe("x\u202eabc\u202c \u2067y\u2069") == "xabc y"
    assert safe("١٢\u200f\u061c") == "١٢\u200f\u061c"


def test_sources_in_chat_show_no_escapes_and_keep_the_highlight() -> None:
    from index.documents import Article
    from qa.cli.chat import QUOTE_STYLE, quote_context

    text = "تمهيد\x1b[2J قبل. الجملة المقتبسة\x1b]0;owned\x07 هنا. بعد\u202e ذلك."
    quote = "الجملة المقتبسة\x1b]0;owned\x07 هنا."
    start = text.index(quote)
    article = Article(id="a1", title="t", text=text)
    citation = Citation(n=1, article_id="a1", chunk_id="c1", start=start, end=start + len(quote), quote=quote)
    shown = quote_context(article, citation)
    assert "\x1b" not in shown.plain and "\u202e" not in shown.plain and "owned" not in shown.plain
    (span,) = [s for s in shown.spans if s.style == QUOTE_STYLE]
    assert shown.plain[span.start : span.end] == "الجملة المقتبسة هنا."
