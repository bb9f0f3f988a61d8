"""``sanad timeline``: the dated events about a topic, in date order.

:func:`build_timeline` retrieves the topic's passages (``TIMELINE_PASSAGES`` of them, under the
period ``--since``/``--until`` and the topic's own time words, as a question's period acts in
:mod:`qa.time_filter`), then reads every sentence of them that holds at least half of the topic's
content words (time words aside) and a date mention resolved against its article's publication
date (:func:`index.dates.find_dates`, read in the sentence as citations are). Each such mention is an
event: the sentence is its quote, an exact slice of the stored article (``text[start:end] ==
quote``; a passage that no longer matches its article is skipped), with the mention's day or range.
Events outside the period are left out.

Copies are merged: events whose sentences have the same normalised words
(:func:`index.stories.sentence_key`, the fingerprint rule of stories and wire copies) and that
resolve to the same day or range are one event, told by its earliest article. With the story index
(:mod:`index.stories`, issue 13 part 2; the assistant always passes it) each event's sentence also
gets its verified identical or near-identical statements in other articles
(:func:`qa.corroboration.corroborations`, as citations do); an event that is such a copy of an
earlier-published event is merged into it (its own date, resolved against a later publication, is
dropped). ``corroboration`` counts the distinct articles that state the event, ``origins`` their
independent origins (a wire agency's copies count once), ``copies`` lists the others.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from index.dates import DateMention, find_dates
from index.documents import Filters, Passage
from index.stories import StoryIndex, sentence_key

from .corroboration import ArticleReader, corroborations
from .models import Citation, Corroboration
from .question_intent import terms
from .time_filter import story_terms
from .time_intent import TimeIntent, period, time_intent

TIMELINE_PASSAGES = 20

Retrieve = Callable[[str, int, Filters | None, TimeIntent], list[Passage]]
Texts = Callable[[Sequence[Passage]], Mapping[str, str]]


class TimelineEvent(BaseModel):
    """One dated event: a verified quote (``article.text[start:end] == quote``) and its date."""

    date: dt.date | None = Field(default=None, description="The day the mention names, when it names a day.")
    range: tuple[dt.date, dt.date] | None = Field(default=None, description="First and last day, for a period.")
    when: str = Field(description="The date mention as the article writes it.")
    mention_start: int = Field(description="Offset of the mention in the ARTICLE text.")
    mention_end: int
    quote: str = Field(description="The sentence that states the event, exactly as the article has it.")
    article_id: str
    chunk_id: str
    title: str = ""
    source: str = ""
    published: dt.date | None = None
    start: int = Field(description="Offset of the quote in the ARTICLE text.")
    end: int
    corroboration: int = Field(description="Distinct articles that state this sentence, this one included.")
    origins: int = Field(default=1, description="Independent origins among them: wire copies count once.")
    copies: list[Corroboration] = Field(
        default_factory=list, description="The other articles that state it, each with its own verified quote."
    )

    @property
    def first_day(self) -> dt.date:
        return self.date or (self.range[0] if self.range else dt.date.max)


class Timeline(BaseModel):
    query: str
    as_of: dt.date
    since: dt.date | None = None
    until: dt.date | None = None
    corroboration: Literal["stories", "same-sentence"] = Field(
        default="same-sentence",
        description="How copies are found: the story index's identical and near-identical sentences, verified "
        "(stories), or only articles stating the same normalised sentence (same-sentence).",
    )
    events: list[TimelineEvent] = Field(default_factory=list, description="In date order.")


def timeline_period(query: str, since: dt.date | None, until: dt.date | None, as_of: dt.date | None) -> TimeIntent:
    """The period of a timeline: ``since``/``until`` and the query's own time words, both (their overlap)."""
    given = period(since, until, as_of)
    asked = time_intent(query, given.as_of)
    if not asked.restricts:
        return given
    if not given.restricts:
        return TimeIntent(as_of=given.as_of, since=asked.since, until=asked.until, mentions=asked.mentions)
    assert given.since and given.until and asked.since and asked.until
    return TimeIntent(
        as_of=given.as_of,
        since=max(given.since, asked.since),
        until=min(given.until, asked.until),
        mentions=asked.mentions,
    )


def _key(sentence: str, m: DateMention) -> tuple[str, dt.date | None, tuple[dt.date, dt.date] | None]:
    return sentence_key(sentence), m.date, m.range


def _events(
    query: str, passages: Sequence[Passage], texts: Mapping[str, str], intent: TimeIntent
) -> list[TimelineEvent]:
    wanted = story_terms(query)
    need = math.ceil(len(wanted) / 2)
    seen: set[tuple[str, int]] = set()
    out: list[TimelineEvent] = []
    for p in passages:
        text = texts.get(p.article_id)
        if text is None:
            continue
        for span in p.sentences:
            sentence = text[span.start : span.end]
            if p.text[span.start - p.start : span.end - p.start] != sentence:
                continue  # the article changed since this passage was indexed
            if len(wanted & set(terms(sentence))) < need:
                continue
            for m in find_dates(sentence, p.date):
                day = m.first_day
                if day is None or (p.article_id, span.start + m.start) in seen:
                    continue
                if intent.restricts and not (intent.since and intent.until and intent.since <= day <= intent.until):
                    continue
                seen.add((p.article_id, span.start + m.start))
                out.append(
                    TimelineEvent(
                        date=m.date, range=m.range, when=m.text, mention_start=span.start + m.start,
                        mention_end=span.start + m.end, quote=sentence, article_id=p.article_id, chunk_id=p.chunk_id,
                        title=p.title, source=p.source, published=p.date, start=span.start, end=span.end,
                        corroboration=1,
                    )
                )  # fmt: skip
    return out


def merge_copies(events: Sequence[TimelineEvent]) -> list[TimelineEvent]:
    """One event per (normalised sentence, day or range), told by its earliest article, in date order."""
    groups: dict[tuple[str, dt.date | None, tuple[dt.date, dt.date] | None], list[TimelineEvent]] = {}
    for e in events:
        mention = DateMention(e.mention_start, e.mention_end, e.when, e.date, e.range)
        groups.setdefault(_key(e.quote, mention), []).append(e)
    merged: list[TimelineEvent] = []
    for members in groups.values():
        ordered = sorted(members, key=lambda e: e.published or dt.date.max)  # stable: retrieval order on ties
        lead, others = ordered[0], ordered[1:]
        copies = [
            Corroboration(
                article_id=e.article_id, title=e.title, source=e.source, date=e.published, start=e.start, end=e.end,
                quote=e.quote,
            )
            for e in others
            if e.article_id != lead.article_id
        ]  # fmt: skip
        distinct = {e.article_id for e in members}
        merged.append(lead.model_copy(update={"corroboration": len(distinct), "copies": copies}))
    last = dt.date.max
    merged.sort(key=lambda e: (e.first_day, e.range[1] if e.range else e.first_day, e.published or last, e.article_id))
    return merged


def _covered(e: TimelineEvent, copies: Sequence[Corroboration]) -> bool:
    return any(c.article_id == e.article_id and c.start < e.end and c.end > e.start for c in copies)


def with_stories(events: Sequence[TimelineEvent], stories: StoryIndex, read: ArticleReader) -> list[TimelineEvent]:
    """Each event with the verified statements of its sentence in other articles (the story index's
    identical and near-identical sentences, :func:`qa.corroboration.corroborations`) and their
    independent origins; an event that is a copy of an earlier-published one is merged into it."""
    kept: list[TimelineEvent] = []
    for e in sorted(events, key=lambda e: (e.published or dt.date.max, e.first_day)):
        if any(_covered(e, k.copies) for k in kept):
            continue
        cited = Citation(n=1, article_id=e.article_id, chunk_id=e.chunk_id, start=e.start, end=e.end, quote=e.quote)
        found = {c.article_id: c for c in e.copies}
        found.update({c.article_id: c for c in corroborations(cited, stories, read)})
        found.pop(e.article_id, None)
        origin = stories.origin_of([e.article_id]).get(e.article_id, f"article:{e.article_id}")
        origins = {origin} | {c.origin or f"article:{c.article_id}" for c in found.values()}
        copies = sorted(found.values(), key=lambda c: (c.date is None, c.date, c.article_id))
        kept.append(e.model_copy(update={"copies": copies, "corroboration": 1 + len(copies), "origins": len(origins)}))
    kept.sort(key=lambda e: (e.first_day, e.range[1] if e.range else e.first_day, e.published or dt.date.max))
    return kept


def build_timeline(
    query: str,
    retrieve: Retrieve,
    texts: Texts,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    as_of: dt.date | None = None,
    passages: int = TIMELINE_PASSAGES,
    stories: StoryIndex | None = None,
    read: ArticleReader | None = None,
) -> Timeline:
    """The timeline of ``query`` (see the module docstring); with ``stories`` (and ``read``, an article
    by id) copies and corroboration come from the story index."""
    intent = timeline_period(query, since, until, as_of)
    empty = intent.restricts and intent.since is not None and intent.until is not None and intent.since > intent.until
    found: list[Passage] = [] if empty else retrieve(query, passages, None, intent)
    events = merge_copies(_events(query, found, texts(found), intent))
    how: Literal["stories", "same-sentence"] = "same-sentence"
    if stories is not None and read is not None:
        events, how = with_stories(events, stories, read), "stories"
    shown_since = intent.since if intent.restricts and intent.since != dt.date.min else None
    return Timeline(
        query=query, as_of=intent.as_of, since=shown_since, until=intent.until, corroboration=how, events=events
    )
