"""The answer Sanad returns, and the shape it asks a language model for."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["answered", "insufficient_evidence"]


def iso_value(day: dt.date | None, period: tuple[dt.date, dt.date] | None) -> str:
    """A resolved date as text: ``2025-08-13``, or ``2025-09-01 – 2025-09-30`` for a period."""
    if period is not None:
        return f"{period[0].isoformat()} – {period[1].isoformat()}"
    return day.isoformat() if day is not None else "?"


class CitedDate(BaseModel):
    """A date the quote mentions, resolved against the article's publication date (index.dates)."""

    text: str = Field(description="The mention as the article writes it: article.text[start:end].")
    start: int = Field(description="Character offset of the mention in the ARTICLE text.")
    end: int
    date: dt.date | None = Field(default=None, description="The day it names, when it names a day.")
    range: tuple[dt.date, dt.date] | None = Field(
        default=None, description="First and last day (inclusive) when it names a week, month, year or part of one."
    )


class Corroboration(BaseModel):
    """Another article that states the cited sentence: its own verified quote, ``article.text[start:end] == quote``."""

    article_id: str
    title: str = ""
    source: str = ""
    date: dt.date | None = None
    start: int = Field(description="Character offset of the quote in THAT article's text.")
    end: int
    quote: str
    origin: str = Field(default="", description="Where that article's text comes from (a wire agency, a source…).")


class Citation(BaseModel):
    """A verified quote: ``article.text[start:end] == quote``."""

    n: int = Field(description="Reference number, as in the answer's [n] markers.")
    article_id: str
    title: str = ""
    chunk_id: str
    start: int = Field(description="Character offset of the quote in the ARTICLE text.")
    end: int
    quote: str
    dates: list[CitedDate] = Field(
        default_factory=list,
        description="Resolved dates the quote holds (أمس → the day before publication), read in its sentence.",
    )
    corroborated_by: list[Corroboration] = Field(
        default_factory=list, description="Other articles that state the same sentence (identical or near-identical)."
    )
    origins: int = Field(
        default=1, description="Independent origins of the quote: wire copies and identical bodies count once."
    )


class Claim(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list, description="Reference numbers (Citation.n).")
    origins: int = Field(default=1, description="Independent origins among its citations and their corroborations.")


class ShortAnswer(BaseModel):
    """The answer in a few words: an exact span of a cited sentence (``article.text[start:end] == text``)."""

    text: str = Field(description="The span as the article writes it: a date, a number with its unit, a place, a name.")
    start: int = Field(description="Character offset of the span in the ARTICLE text.")
    end: int = Field(description="End offset (exclusive) in the ARTICLE text.")
    citation: int = Field(description="The Citation.n of the cited sentence the span lies in.")
    date: dt.date | None = Field(
        default=None, description="The day a date span names, resolved against the article's publication date."
    )
    range: tuple[dt.date, dt.date] | None = Field(
        default=None, description="First and last day (inclusive) when the date span names a period."
    )


class QuestionTime(BaseModel):
    """What the question's time words resolved to, against ``as_of`` (:mod:`qa.time_intent`)."""

    as_of: dt.date = Field(description="The day relative time words resolved against (default: today).")
    since: dt.date | None = Field(default=None, description="First day of the period the question names.")
    until: dt.date | None = Field(default=None, description="Last day (inclusive) of that period.")
    latest: bool = Field(default=False, description="The question asks for the newest news (ما آخر…, latest).")
    words: list[str] = Field(default_factory=list, description="The time expressions, as the question writes them.")


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class Answer(BaseModel):
    question: str
    answer: str = Field(description="Answer text with [n] reference markers.")
    status: Status
    short_answer: ShortAnswer | None = Field(
        default=None, description="The answer in a few words, when a span of a cited sentence holds it (else null)."
    )
    claims: list[Claim] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    unsupported_claims: int = Field(default=0, description="Claims dropped because no citation verified.")
    language: str = "ar"
    mode: Literal["llm", "extractive"] = "extractive"
    model: str = ""
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per stage.")
    usage: Usage | None = None
    time: QuestionTime | None = Field(
        default=None, description="The period / newest-first the question's time words asked for (else null)."
    )


# --- what the language model is asked to return (json_schema response format) -------------


class DraftCitation(BaseModel):
    passage: int = Field(description="Number of the passage the quote is copied from.")
    quote: str = Field(description="A short verbatim quote from that passage.")


class DraftClaim(BaseModel):
    text: str = Field(description="One statement of the answer, in the question's language.")
    citations: list[DraftCitation]


class DraftAnswer(BaseModel):
    status: Status
    answer: str = Field(description="The whole answer, in the question's language, without markers.")
    claims: list[DraftClaim] = Field(default_factory=list)
