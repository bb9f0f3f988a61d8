"""A question's time intent (:mod:`qa.time_intent`) acting on retrieval.

A question **without** time intent is retrieved exactly as before: :func:`retrieve_in_time` calls the
retriever once with the caller's ``k`` and filters and returns what it returns.

A question that names a **period** ``[since, until]`` keeps a passage when

1. its article was published in the period, or
2. it was published up to a week before the period (a preview: "سيعقد الخميس المقبل") or up to a
   month after it (a report), and a date it mentions — resolved against its own publication date
   by :func:`index.dates.find_dates` — falls in the period (its first day does), or
3. its article has no date: it cannot be placed in time, so time words do not drop it (an
   explicit ``--since``/``--until`` still does). A Wikipedia paragraph asked about "عام 1981" is
   judged by retrieval alone, as before.

Nothing published after ``as_of`` counts. The store and the lexical index filter on the widened
window (rule 2's dates, ``Filters.undated`` for rule 3); the mention rule then runs on the
retrieved candidates (``pool`` of them, the retriever's own candidate count), before the cut to
``k``. Publication alone would miss the article of 12 October that reports "13 أغسطس الماضي" for
a question about August; mentions alone would miss every lead that dates its event by the
dateline only.

A question that asks for the **latest** news ("ما آخر …", "latest") is ranked as usual, then, after
fusion and reranking, the passages of the first ``2k`` that match the question's story — they hold
at least half of its content words, its time words aside — come newest first (undated last, ties
in fused order), the others after them; when none of them is dated the fused order stands; nothing
published after ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence

from index.dates import find_dates
from index.documents import Filters, Passage, date_number

from .question_intent import terms
from .time_intent import TimeIntent

LAG_BEFORE = dt.timedelta(days=7)
LAG_AFTER = dt.timedelta(days=31)
LATEST_POOL = 2  # the latest cue reorders the first LATEST_POOL × k passages

Retrieve = Callable[[str, int, Filters | None], list[Passage]]

_CUE_TERMS = frozenset(
    terms(
        "آخر أحدث أخبار خبر تطورات مستجدات أنباء تصريحات الأخيرة الجديدة مؤخراً latest most recent newest recently news"
    )
)


def window(filters: Filters | None, intent: TimeIntent) -> Filters | None:
    """The store-level filters for ``intent``: the caller's, narrowed to the publication window the
    period allows (undated articles kept unless the caller bounded the dates). None: nothing can match."""
    base = filters or Filters()
    if intent.restricts:
        assert intent.since is not None and intent.until is not None
        hi = min(_add(intent.until, LAG_AFTER), intent.as_of)
        lo = _add(intent.since, -LAG_BEFORE) if hi >= intent.since else _add(hi, -LAG_AFTER)
    else:
        lo, hi = None, intent.as_of
    since = max(d for d in (base.since, lo) if d is not None) if base.since or lo else None
    until = min(d for d in (base.until, hi) if d is not None)
    if since is not None and since > until:
        return None
    undated = not (base.since or base.until)
    return base.model_copy(update={"since": since, "until": until, "undated": undated})


def _add(day: dt.date, delta: dt.timedelta) -> dt.date:
    try:
        return day + delta
    except OverflowError:
        return dt.date.min if delta.days < 0 else dt.date.max


def in_period(passage: Passage, since: dt.date, until: dt.date) -> bool:
    """Rules 1–3 of the module docstring (the window is the store's business)."""
    if passage.date is None or since <= passage.date <= until:
        return True
    for m in find_dates(passage.text, passage.date):
        first = m.first_day
        if first is not None and since <= first <= until:
            return True
    return False


def story_terms(question: str) -> set[str]:
    """The question's content words without its time and recency words."""
    return {t for t in terms(question) if t not in _CUE_TERMS and not t.isdigit()}


def newest_first(passages: Sequence[Passage], question: str) -> list[Passage]:
    """The passages of the question's story newest first (undated last, ties in their order), then the rest."""
    wanted = story_terms(question)
    need = math.ceil(len(wanted) / 2)
    matching = [p for p in passages if len(wanted & set(terms(p.text))) >= need] if wanted else list(passages)
    if not any(p.date for p in matching):
        return list(passages)  # nothing to order by (undated paragraphs): the fused order stands
    ids = {id(p) for p in matching}
    ordered = sorted(matching, key=lambda p: -date_number(p.date))  # stable: same day keeps fused order
    return ordered + [p for p in passages if id(p) not in ids]


def retrieve_in_time(
    retrieve: Retrieve, question: str, k: int, filters: Filters | None, intent: TimeIntent, *, pool: int
) -> list[Passage]:
    """The ``k`` passages for ``question`` under its time intent (see the module docstring)."""
    if not intent.any:
        return retrieve(question, k, filters)
    narrowed = window(filters, intent)
    if narrowed is None:
        return []
    if intent.restricts:
        assert intent.since is not None and intent.until is not None
        since, until = intent.since, intent.until
        found = [p for p in retrieve(question, max(k, pool), narrowed) if in_period(p, since, until)]
    else:
        found = retrieve(question, LATEST_POOL * k, narrowed)
    if intent.latest:
        found = newest_first(found[: LATEST_POOL * k], question)
    return found[:k]
