"""What a question says about time, read without a model: the period its time words name, and
whether it asks for the newest news.

:func:`time_intent` finds the question's date mentions with :func:`index.dates.find_dates` (the one
resolver), resolved against ``as_of`` (the day the question is asked; default today) as if the
question were an article published that day:

- "أمس", "الأسبوع الماضي", "في أغسطس", "last week", "5 أكتوبر 2025", "عام 2015" … → a period
  ``[since, until]``, the union of the mentions' days and ranges;
- after منذ / since ("منذ بداية الشهر", "منذ 16 مارس") the period runs on to ``as_of``;
- "ما آخر …", "آخر تطورات", "أحدث", "التطورات الأخيرة", "مؤخراً", "latest", "most recent",
  "newest", "recently" ask for the newest news (``latest``);
- a bare "اليوم" / "today" is neither: in questions it mostly means "nowadays" ("as it is today",
  6 of the 6 in the QA sets), and a one-day period on the day of asking would find nothing in an
  archive a day behind; "now", "currently", "حالياً", "الآن" likewise ("what is now Jacksonville").

A question that asks *for* a date ("متى …", "في أي عام …", "in which year …") names no date: the
resolver finds nothing in it, so it has no period. The question's text is never changed: the
mentions keep their offsets into it. How the period and the cue act on retrieval is
:mod:`qa.time_filter`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from index.dates import DateMention, find_dates
from index.normalize import normalise, tokens

from .models import QuestionTime

_SINCE = frozenset({"منذ", "ومنذ", "since", "from"})
_NOW_WORDS = frozenset({"اليوم", "today"})

# Normalised (index.normalize) token runs that ask for the newest news.
_AR_LATEST = re.compile(
    r"^(?:و|ف)?(?:اخر|احدث)(?: |$)"
    r"|(?:^| )(?:و|ف)?(?:ما|ماذا|ماهي|ماهو|هي|هو|عن) (?:اخر|احدث)(?: |$)"
    r"|(?:^| )(?:اخر|احدث) (?:ال)?(?:اخبار|خبر|تطورات|مستجدات|انباء|تصريحات|ما|مره|حصيله|ارقام|نتايج)(?: |$)"
    r"|(?:^| )(?:ال)?(?:اخبار|تطورات|مستجدات|انباء|تصريحات) (?:الاخيره|الجديده)(?: |$)"
    r"|(?:^| )(?:موخرا)(?: |$)"
)
_EN_LATEST = re.compile(r"\b(?:latest|most recent|newest|recently)\b")


@dataclass(frozen=True)
class TimeIntent:
    """The question's period (``since``/``until``, both included, None when it names none), its
    ``latest`` cue, the mentions that set the period (offsets into the question) and ``as_of``."""

    as_of: dt.date
    since: dt.date | None = None
    until: dt.date | None = None
    latest: bool = False
    mentions: tuple[DateMention, ...] = ()

    @property
    def restricts(self) -> bool:
        """True when the question names a period."""
        return self.since is not None and self.until is not None

    @property
    def any(self) -> bool:
        """True when time acts on this question at all (a period or the latest cue)."""
        return self.restricts or self.latest

    def describe(self) -> QuestionTime | None:
        """What an answer reports of it (None for a question without time intent)."""
        if not self.any:
            return None
        return QuestionTime(
            as_of=self.as_of,
            since=self.since,
            until=self.until,
            latest=self.latest,
            words=[m.text for m in self.mentions],
        )


def _word_before(text: str, at: int) -> str:
    match = re.search(r"(\w+)\W*$", text[max(0, at - 20) : at])
    return match.group(1).lower() if match else ""


def _bounds(m: DateMention) -> tuple[dt.date, dt.date] | None:
    if m.range is not None:
        return m.range
    return (m.date, m.date) if m.date is not None else None


def asks_latest(question: str) -> bool:
    """ "ما آخر …", "أحدث", "التطورات الأخيرة", "مؤخراً", "latest", "most recent" … (not "آخر" for
    "another": "مكان آخر")."""
    joined = " ".join(tokens(question))
    return _AR_LATEST.search(joined) is not None or _EN_LATEST.search(joined) is not None


def time_intent(question: str, as_of: dt.date | None = None) -> TimeIntent:
    """The period and the latest cue of ``question``, resolved against ``as_of`` (default today)."""
    day = as_of or dt.date.today()
    latest = asks_latest(question)
    used: list[DateMention] = []
    since: dt.date | None = None
    until: dt.date | None = None
    for m in find_dates(question, day):
        bounds = _bounds(m)
        if bounds is None:
            continue
        if normalise(m.text).strip() in _NOW_WORDS:
            continue
        first, last = bounds
        if _word_before(question, m.start) in _SINCE:
            last = max(last, day)
        since = first if since is None else min(since, first)
        until = last if until is None else max(until, last)
        used.append(m)
    return TimeIntent(as_of=day, since=since, until=until, latest=latest, mentions=tuple(used))


def period(since: dt.date | None, until: dt.date | None, as_of: dt.date | None = None) -> TimeIntent:
    """A period given by its bounds (``sanad timeline --since/--until``): open ends run from the
    earliest day to ``as_of``."""
    day = as_of or dt.date.today()
    if since is None and until is None:
        return TimeIntent(as_of=day)
    return TimeIntent(as_of=day, since=since or dt.date.min, until=until or max(day, since or day))
