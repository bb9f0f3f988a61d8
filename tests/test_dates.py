"""The date finder (index.dates): resolution rules, exact offsets, the labelled set's bar."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.dates import DateMention, find_dates, published_from_text
from index.dates import calendar as cal
from index.dates import patterns as P
from index.dates.normal import fold, fold_word
from index.dates.scoring import load_cases, score

FIXTURE = Path(__file__).parent / "fixtures" / "dates_labelled.json"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "seeds"
SUNDAY = date(2025, 10, 12)
FRIDAY = date(2025, 10, 17)


def resolved(text: str, published: date | None = SUNDAY) -> list[tuple[str, object]]:
    return [(m.text, m.range or m.date) for m in find_dates(text, published)]


def month(year: int, number: int) -> tuple[date, date]:
    return cal.month_range(year, number)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("وصل الوفد اليوم الأحد إلى أنقرة", [("اليوم الأحد", SUNDAY)]),
        ("أعلنت أمس السبت أن الوفد", [("أمس السبت", date(2025, 10, 11))]),
        ("ووقّعت تركيا وسوريا في 13 أغسطس/آب الماضي اتفاقية", [("13 أغسطس/آب الماضي", date(2025, 8, 13))]),
        ("في 8 ديسمبر/كانون الأول 2024 سيطرتها", [("8 ديسمبر/كانون الأول 2024", date(2024, 12, 8))]),
        ("وفي سبتمبر/أيلول الماضي، أجرى وفد", [("سبتمبر/أيلول الماضي", month(2025, 9))]),
        ("الشهر الماضي", [("الشهر الماضي", month(2025, 9))]),
        ("العام المقبل", [("العام المقبل", (date(2026, 1, 1), date(2026, 12, 31)))]),
        ("أول أمس", [("أول أمس", date(2025, 10, 10))]),
        ("غداً", [("غداً", date(2025, 10, 13))]),
        ("الأسبوع الماضي", [("الأسبوع الماضي", (date(2025, 9, 29), date(2025, 10, 5)))]),
        ("نهاية الأسبوع الماضي", [("نهاية الأسبوع الماضي", (date(2025, 10, 3), date(2025, 10, 5)))]),
        ("١٣ أغسطس ٢٠٢٥", [("١٣ أغسطس ٢٠٢٥", date(2025, 8, 13))]),
        ("13/8/2025 و2025-08-14", [("13/8/2025", date(2025, 8, 13)), ("2025-08-14", date(2025, 8, 14))]),
        ("السابع من أكتوبر الماضي", [("السابع من أكتوبر الماضي", date(2025, 10, 7))]),
        ("من 10 إلى 12 نوفمبر المقبل", [("10 إلى 12 نوفمبر المقبل", (date(2025, 11, 10), date(2025, 11, 12)))]),
        ("قبل يومين", [("قبل يومين", date(2025, 10, 10))]),
        ("منذ 3 أشهر", [("منذ 3 أشهر", month(2025, 7))]),
        ("مطلع 2024", [("مطلع 2024", (date(2024, 1, 1), date(2024, 4, 30)))]),
        ("yesterday and last month", [("yesterday", date(2025, 10, 11)), ("last month", month(2025, 9))]),
        ("on December 8, 2024", [("December 8, 2024", date(2024, 12, 8))]),
        ("two weeks ago", [("two weeks ago", date(2025, 9, 28))]),
        ("صدر البيان الليلة قبل الماضية", [("الليلة قبل الماضية", date(2025, 10, 10))]),
        ("تقام المباراة الأربعاء بعد المقبل", [("الأربعاء بعد المقبل", date(2025, 10, 22))]),
        ("يلتقي الفريقان مساء غد (الاثنين)", [("غد (الاثنين)", date(2025, 10, 13))]),
        ("وصل الوفد مساء أمس (السبت)", [("أمس (السبت)", date(2025, 10, 11))]),
        ("وستستأنف المحادثات بعد أسبوعين", [("بعد أسبوعين", date(2025, 10, 26))]),
    ],
)
def test_resolutions(text: str, expected: list[tuple[str, object]]) -> None:
    assert resolved(text) == expected


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("جانفي", 1), ("فيفري", 2), ("مارس", 3), ("أفريل", 4), ("ماي", 5), ("جوان", 6), ("جويلية", 7),
        ("أوت", 8), ("سبتمبر", 9), ("أكتوبر", 10), ("نوفمبر", 11), ("ديسمبر", 12),
        ("كانون الثاني", 1), ("شباط", 2), ("آذار", 3), ("نيسان", 4), ("أيار", 5), ("حزيران", 6), ("تموز", 7),
        ("آب", 8), ("أيلول", 9), ("تشرين الأول", 10), ("تشرين الثاني", 11), ("كانون الأول", 12),
    ],
)  # fmt: skip
def test_every_month_series(name: str, number: int) -> None:
    assert resolved(f"يوم 14 {name} 2024 صدر القرار") == [(f"14 {name} 2024", date(2024, number, 14))]
    assert resolved(f"في {name} الماضي") == [(f"{name} الماضي", cal.month_range(*_last_before(SUNDAY, number)))]


def _last_before(published: date, number: int) -> tuple[int, int]:
    return (published.year, number) if number < published.month else (published.year - 1, number)


def test_weekdays_are_the_last_on_or_before_publication_unless_marked_next() -> None:
    assert resolved("الجمعة", FRIDAY) == [("الجمعة", FRIDAY)]
    assert resolved("يوم الأحد الماضي", FRIDAY) == [("يوم الأحد الماضي", SUNDAY)]
    assert resolved("السبت المقبل", FRIDAY) == [("السبت المقبل", date(2025, 10, 18))]
    assert resolved("ومن المقرر أن يصل الوفد الخميس", FRIDAY) == [("الخميس", date(2025, 10, 23))]
    assert resolved("last Sunday", FRIDAY) == [("last Sunday", SUNDAY)]


def test_seed_phrases_of_the_phone_call_article() -> None:
    text = "عُقد في أنقرة نهاية الأسبوع الماضي. والأحد الماضي، بحثت تركيا وسوريا. وفي وقت سابق اليوم الجمعة"
    assert resolved(text, FRIDAY) == [
        ("نهاية الأسبوع الماضي", (date(2025, 10, 10), SUNDAY)),
        ("الأحد الماضي", SUNDAY),
        ("اليوم الجمعة", FRIDAY),
    ]


def test_without_a_publication_date_relative_mentions_are_kept_unresolved() -> None:
    found = find_dates("أمس السبت، وفي 13 أغسطس الماضي، وفي 8 ديسمبر 2024", None)
    assert [(m.text, m.resolved) for m in found] == [
        ("أمس السبت", False),
        ("13 أغسطس الماضي", False),
        ("8 ديسمبر 2024", True),
    ]
    assert found[0].as_dict() == {"start": 0, "end": 9, "text": "أمس السبت", "date": None}


def test_words_that_are_not_dates() -> None:
    for text in (
        "وقال الأمين العام إن المؤتمر العام المقبل سيعقد في بغداد",
        "وتحتفل المدارس باليوم الوطني",
        "وقال النائب إن الحزب مارس دوراً محورياً",
        "وقال الأب إن ابنه عاد",
        "وبلغ عدد المشاركين 2024 مشاركاً من 35 دولة",
        "وجاء الإعلان قبل يومين من انطلاق المفاوضات",
        "واشترى سيارة نيسان جديدة",
        "وغادر البلاد ثم عاد بعد سنتين",
        "وتتألف القصيدة من الأبيات الأحد عشر",
        "وتكرر ذلك مرات في اليوم",
        "وقال منذ أيام إن الوضع تحسن قبل سنوات",
        "في نهاية العام الدراسي",
        "وستقام المباراة بملعب 15 أكتوبر",
        "وغادر المصابان الاثنان أما المصابين الاثنين الآخرين فبقيا",
        "The plant employs 2000 people and may expand.",
    ):
        assert find_dates(text, SUNDAY) == [], text


def test_as_dict_shapes() -> None:
    day, span = find_dates("أمس والشهر الماضي", SUNDAY)
    assert day.as_dict() == {"start": 0, "end": 3, "text": "أمس", "date": "2025-10-11"}
    assert span.as_dict() == {"start": 5, "end": 17, "text": "الشهر الماضي", "range": ["2025-09-01", "2025-09-30"]}


def test_the_labelled_set_meets_the_bar() -> None:
    cases = load_cases(FIXTURE, SEEDS)
    result = score(cases, find_dates)
    assert result.labels >= 150
    assert result.accuracy >= 0.95, result.errors


def test_every_table_word_is_written_folded() -> None:
    tables: list[object] = [P.MONTHS, P.WEEKDAYS, P.PARTS, P.RELATIVE_DAYS, P.AGO_UNITS, P.NUMBER_WORDS]
    tables += [P.ORDINALS, P.MONTH_GATES, P.GENERAL_NOUNS, P.PAST_WORDS, P.NEXT_WORDS, P.THIS_WORDS, P.NAME_NOUNS]
    tables += [P.NOT_TODAY_BEFORE, P.NOT_TODAY_AFTER, P.PLURAL_UNITS, P.HIJRI_MONTHS]
    for table in tables:
        for word in table:  # type: ignore[attr-defined]
            assert fold_word(word) == word, word


def test_published_from_a_dateline() -> None:
    assert published_from_text("أنقرة - الأحد 12 أكتوبر 2025 - وصل وفد سوري") == SUNDAY
    assert published_from_text("الرياض (12/10/2025): أعلنت الوزارة") == SUNDAY
    assert published_from_text("وصل وفد سوري. وفي 8 ديسمبر 2024 سيطرت الفصائل") is None
    assert published_from_text("أعلنت الوزارة اليوم عن خطة جديدة") is None


# --- properties -------------------------------------------------------------------------------------

PHRASES = [
    "اليوم الأحد", "أمس السبت", "غداً", "13 أغسطس/آب الماضي", "8 ديسمبر/كانون الأول 2024", "الأسبوع الماضي",
    "نهاية الأسبوع الماضي", "الشهر الماضي", "في سبتمبر/أيلول الماضي", "العام المقبل", "يوم الأحد الماضي",
    "الجمعة", "١٣/٠٨/٢٠٢٥", "قبل يومين", "جويلية 2024", "last week", "on Friday", "August 13, 2025",
]  # fmt: skip
FILLER = ["وصل", "الوفد", "إلى", "أنقرة", "،", ".", "\n", "وقال", "3", "ملايين", "ـ", "ً", "x", "  ", "و", "ب"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PHRASES + FILLER), max_size=25), st.dates(date(1990, 1, 1), date(2035, 12, 31)))
def test_offsets_are_exact_and_mentions_disjoint(parts: list[str], published: date) -> None:
    text = " ".join(parts)
    mentions = find_dates(text, published)
    last_end = 0
    for m in mentions:
        assert text[m.start : m.end] == m.text
        assert m.start < m.end and m.start >= last_end
        assert m.text == m.text.strip()
        assert (m.date is None) != (m.range is None)
        if m.range is not None:
            assert m.range[0] <= m.range[1]
        last_end = m.end


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(PHRASES), st.text(alphabet="ابت ثجح.،\n0123456789ًـ", max_size=30), st.dates())
def test_a_phrase_resolves_the_same_wherever_it_is(phrase: str, prefix: str, published: date) -> None:
    alone = find_dates(phrase, published)
    placed = find_dates(f"{prefix}. {phrase}", published)  # a sentence before it, not a word of it
    shift = len(prefix) + 2
    moved = [DateMention(m.start - shift, m.end - shift, m.text, m.date, m.range) for m in placed if m.start >= shift]
    assert moved == alone


@settings(max_examples=200, deadline=None)
@given(st.dates(date(1900, 1, 8), date(2100, 12, 24)), st.integers(0, 6))
def test_weekday_arithmetic(day: date, weekday: int) -> None:
    before = cal.weekday_on_or_before(day, weekday)
    after = cal.weekday_after(day, weekday)
    assert before.weekday() == after.weekday() == weekday
    assert day - timedelta(days=6) <= before <= day < after <= day + timedelta(days=7)
    monday, sunday = cal.week_range(day)
    assert monday.weekday() == 0 and sunday - monday == timedelta(days=6) and monday <= day <= sunday


def test_folding_keeps_the_way_back() -> None:
    text = "غداً الأحدُ ـ ١٢"
    folded = fold(text)
    assert folded.text == "غدا الاحد  12"
    assert folded.span(0, 3) == (0, 4)  # the tanween belongs to the word
