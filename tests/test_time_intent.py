"""A question's time words (qa.time_intent): the period they name against ``as_of``, the latest cue,
and the questions that name no period (those that ask *for* a date, "today" meaning nowadays)."""

from __future__ import annotations

from datetime import date

import pytest

from index.documents import Filters, Passage
from qa.time_filter import LAG_AFTER, LAG_BEFORE, newest_first, window
from qa.time_intent import period, time_intent

SUNDAY = date(2025, 10, 12)


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("ماذا حدث أمس في أنقرة؟", date(2025, 10, 11), date(2025, 10, 11)),
        ("ما الذي جرى الأسبوع الماضي؟", date(2025, 9, 29), date(2025, 10, 5)),
        ("what happened last week?", date(2025, 9, 29), date(2025, 10, 5)),
        ("ماذا وقّع البلدان في أغسطس؟", date(2025, 8, 1), date(2025, 8, 31)),
        ("ماذا حدث في 5 أكتوبر 2025؟", date(2025, 10, 5), date(2025, 10, 5)),
        ("ماذا حدث في 2025-10-05؟", date(2025, 10, 5), date(2025, 10, 5)),
        ("ماذا قال الوزير الشهر الماضي؟", date(2025, 9, 1), date(2025, 9, 30)),
        # after منذ / since the period runs on to as_of
        ("ماذا أعلنت البلدية منذ بداية الشهر؟", date(2025, 10, 1), SUNDAY),
        ("ما الذي تغير منذ 16 مارس؟", date(2025, 3, 16), SUNDAY),
        # two mentions: their union
        ("ماذا حدث بين أغسطس وسبتمبر؟", date(2025, 8, 1), date(2025, 9, 30)),
    ],
)
def test_time_words_resolve_against_as_of(question: str, since: date, until: date) -> None:
    intent = time_intent(question, SUNDAY)
    assert (intent.since, intent.until) == (since, until)
    assert intent.restricts and intent.any and not intent.latest
    for m in intent.mentions:  # offsets into the question, which is left as it is
        assert question[m.start : m.end] == m.text


def test_the_same_words_on_another_day() -> None:
    assert time_intent("ماذا حدث أمس؟", date(2025, 3, 1)).since == date(2025, 2, 28)


def test_as_of_defaults_to_today() -> None:
    assert time_intent("ماذا حدث أمس؟").as_of == date.today()


@pytest.mark.parametrize(
    "question",
    [
        "في أي عام افتتحت المحطة؟",
        "متى افتتحت المحطة؟",
        "In which year did the plant open?",
        "What year was the treaty signed?",
        "كم تنتج محطة تحلية المياه يوميا؟",
        # "today" / "now" mostly mean nowadays in questions: no one-day period, no recency either
        "أين يتم استخدام الحمض النووي اليوم؟",
        "How much lower was the North Sea than it is today?",
        "Prior to the French, the area now known as Jacksonville was inhabited by whom?",
        "ذهب الوفد إلى مكان آخر",  # آخر = another
        "ما هي الدولة الأخرى التي شاركت؟",
    ],
)
def test_no_time_intent(question: str) -> None:
    intent = time_intent(question, SUNDAY)
    assert not intent.any and intent.describe() is None


@pytest.mark.parametrize(
    "question",
    [
        "ما آخر أخبار محطة التحلية؟",
        "ما هي آخر تطورات المفاوضات؟",
        "آخر مستجدات المحطة",
        "ما أحدث ما قاله الوزير؟",
        "التطورات الأخيرة في المفاوضات",
        "ماذا قال الوزير مؤخراً؟",
        "What is the latest on the desalination plant?",
        "the most recent statement of the minister",
    ],
)
def test_latest_cue(question: str) -> None:
    intent = time_intent(question, SUNDAY)
    assert intent.latest and not intent.restricts
    described = intent.describe()
    assert described is not None and described.latest and described.as_of == SUNDAY


def test_latest_and_a_period() -> None:
    intent = time_intent("ما آخر ما أعلنته البلدية الأسبوع الماضي؟", SUNDAY)
    assert intent.latest and (intent.since, intent.until) == (date(2025, 9, 29), date(2025, 10, 5))
    described = intent.describe()
    assert described is not None and described.words == ["الأسبوع الماضي"]


def test_window_widens_the_period_caps_at_as_of_and_keeps_undated() -> None:
    intent = time_intent("ماذا حدث الأسبوع الماضي؟", SUNDAY)
    w = window(None, intent)
    assert w is not None and w.undated
    assert (w.since, w.until) == (date(2025, 9, 29) - LAG_BEFORE, SUNDAY)  # a month after: capped at as_of
    early = window(None, time_intent("ماذا حدث في أغسطس؟", SUNDAY))
    assert early is not None and early.until == date(2025, 8, 31) + LAG_AFTER
    # the caller's own bounds narrow it and leave the undated out, as --since/--until always do
    mine = window(Filters(since=date(2025, 10, 1), sources=["x"]), intent)
    assert mine is not None and (mine.since, mine.until, mine.undated, mine.sources) == (
        date(2025, 10, 1), SUNDAY, False, ["x"]
    )  # fmt: skip
    assert window(Filters(until=date(2025, 1, 1)), intent) is None  # nothing can match
    latest = window(None, time_intent("ما آخر الأخبار؟", SUNDAY))
    assert latest is not None and (latest.since, latest.until, latest.undated) == (None, SUNDAY, True)


def test_period_from_bounds() -> None:
    assert not period(None, None, SUNDAY).any
    p = period(date(2025, 9, 1), None, SUNDAY)
    assert (p.since, p.until) == (date(2025, 9, 1), SUNDAY)
    q = period(None, date(2025, 9, 1), SUNDAY)
    assert q.since == date.min and q.until == date(2025, 9, 1)


def passage(cid: str, text: str, day: date | None) -> Passage:
    return Passage(chunk_id=cid, article_id=cid, date=day, start=0, end=len(text), text=text)


def test_newest_first_moves_only_the_dated_passages_of_the_story() -> None:
    question = "ما آخر أخبار محطة التحلية؟"
    old = passage("old", "افتتاح محطة التحلية في المدينة.", date(2025, 9, 1))
    other = passage("other", "فاز الفريق بالمباراة.", date(2025, 10, 10))
    new = passage("new", "توسعة محطة التحلية الجديدة.", date(2025, 10, 1))
    undated = passage("undated", "تاريخ محطة التحلية.", None)
    ranked = [old, other, undated, new]
    assert [p.chunk_id for p in newest_first(ranked, question)] == ["new", "old", "undated", "other"]
    # nothing dated in the story (Wikipedia paragraphs): the fused order stands
    plain = [passage(c, "محطة التحلية " + c, None) for c in ("a", "b", "c")]
    assert newest_first(plain, question) == plain
