"""Citations carry the dates their quotes hold, resolved against the article's date, and every text
rendering shows them (the terminal, the OpenAI-compatible references)."""

from __future__ import annotations

from datetime import date

import pytest

from index.documents import Passage, Span
from qa.citations import cited_dates, verify
from qa.extractive import ExtractiveAnswerer
from qa.models import Answer, DraftAnswer, DraftCitation, DraftClaim
from qa.references import references_text

ARTICLE = (
    "وصل وفد سوري إلى أنقرة اليوم الأحد لإجراء محادثات أمنية. "
    "وكانت الخارجية التركية قد أعلنت أمس السبت أن الوفد سيلتقي وزير الدفاع. "
    "ووقّع البلدان في 13 أغسطس/آب الماضي اتفاقية تعاون عسكري."
)
SUNDAY = date(2025, 10, 12)


def sentences(text: str, offset: int = 0) -> list[Span]:
    spans, start = [], 0
    for end in [i + 1 for i, ch in enumerate(text) if ch == "."]:
        spans.append(Span(start=offset + start, end=offset + end))
        start = end + 1
    return spans


def passage(published: date | None = SUNDAY) -> Passage:
    return Passage(
        chunk_id="c1", article_id="ankara", title="محادثات", date=published, start=0, end=len(ARTICLE),
        text=ARTICLE, sentences=sentences(ARTICLE),
    )  # fmt: skip


def draft(quote: str) -> DraftAnswer:
    return DraftAnswer(
        status="answered", answer="…", claims=[DraftClaim(text="…", citations=[DraftCitation(passage=1, quote=quote)])]
    )


def test_a_verified_citation_carries_its_dates() -> None:
    _, citations, _ = verify(draft("أعلنت أمس السبت أن الوفد سيلتقي"), [passage()])
    (citation,) = citations
    assert [(d.text, d.date, d.range) for d in citation.dates] == [("أمس السبت", date(2025, 10, 11), None)]
    d = citation.dates[0]
    assert ARTICLE[d.start : d.end] == d.text


def test_a_mention_is_read_in_the_quotes_sentence() -> None:
    # the quote cuts the mention: it is still found, whole, in the sentence around it
    quote = "ووقّع البلدان في 13 أغسطس"
    _, (citation,), _ = verify(draft(quote), [passage()])
    assert [(d.text, d.date) for d in citation.dates] == [("13 أغسطس/آب الماضي", date(2025, 8, 13))]


def test_no_dates_outside_the_quote_nor_unresolved_ones() -> None:
    _, (citation,), _ = verify(draft("لإجراء محادثات أمنية"), [passage()])
    assert citation.dates == []
    _, (undated,), _ = verify(draft("أعلنت أمس السبت أن الوفد سيلتقي"), [passage(None)])
    assert undated.dates == []


def test_the_extractive_answer_carries_dates_and_puts_the_day_first() -> None:
    answer = ExtractiveAnswerer(None).answer("متى وقع البلدان اتفاقية التعاون العسكري؟", [passage()])
    short = answer.short_answer
    assert short is not None and short.text == "13 أغسطس/آب الماضي" and short.date == date(2025, 8, 13)
    assert answer.answer.startswith(f"الإجابة المختصرة: 2025-08-13 (13 أغسطس/آب الماضي) [{short.citation}]")
    cited = next(c for c in answer.citations if c.n == short.citation)
    assert [(d.text, d.date) for d in cited.dates] == [("13 أغسطس/آب الماضي", date(2025, 8, 13))]
    undated = ExtractiveAnswerer(None).answer("متى وقع البلدان اتفاقية التعاون العسكري؟", [passage(None)])
    assert undated.short_answer is not None and undated.short_answer.date is None
    assert undated.answer.startswith(f"الإجابة المختصرة: 13 أغسطس/آب الماضي [{undated.short_answer.citation}]")


def test_a_moved_passage_keeps_article_offsets() -> None:
    p = passage()
    start = ARTICLE.index("أمس")
    (d,) = cited_dates(p.model_copy(update={"start": 5, "end": 5 + len(ARTICLE)}), start, start + 9, base=0)
    assert (d.start, d.end, d.text) == (start, start + 9, "أمس السبت")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_references_text_shows_the_dates(language: str) -> None:
    _, citations, _ = verify(draft("أعلنت أمس السبت أن الوفد سيلتقي"), [passage()])
    answer = Answer(question="متى؟", answer="… [1]", status="answered", citations=citations, language=language)
    assert "(أمس السبت = 2025-10-11)" in references_text(answer)


def test_the_terminal_shows_a_citations_dates(capsys: pytest.CaptureFixture[str]) -> None:
    from qa.cli.render import print_answer

    _, citations, _ = verify(draft("أعلنت أمس السبت أن الوفد سيلتقي"), [passage()])
    print_answer(Answer(question="متى؟", answer="… [1]", status="answered", citations=citations))
    assert "أمس السبت = 2025-10-11" in capsys.readouterr().out
