"""Sentence splitting: Arabic and Latin boundaries, the traps (numbers, abbreviations, URLs), exact offsets."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.documents import Span
from index.sentences import split_sentences

FIXTURES = Path(__file__).parent / "fixtures"


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def check_invariants(text: str, spans: list[Span]) -> None:
    """Ordered, non-overlapping, trimmed, non-empty; every non-space character in exactly one span."""
    covered = [0] * len(text)
    previous_end = 0
    for span in spans:
        assert previous_end <= span.start < span.end <= len(text)
        piece = text[span.start : span.end]
        assert piece == piece.strip()
        for i in range(span.start, span.end):
            covered[i] += 1
        previous_end = span.end
    for i, ch in enumerate(text):
        assert covered[i] <= 1
        if not ch.isspace():
            assert covered[i] == 1, (i, ch)


# --------------------------------------------------------------------------- Arabic


def test_arabic_terminators_split_and_comma_does_not() -> None:
    text = "هل وصل الوفد؟ نعم، وصل صباحاً. وبحث الطرفان ضبط الحدود؛ ثم انتهى اللقاء! وماذا بعد…"
    assert sentences(text) == [
        "هل وصل الوفد؟",
        "نعم، وصل صباحاً.",
        "وبحث الطرفان ضبط الحدود؛",
        "ثم انتهى اللقاء!",
        "وماذا بعد…",
    ]


def test_arabic_question_mark_glued_to_next_word_still_splits() -> None:
    assert sentences("لماذا تأخر الوفد؟قال المتحدث إن الطائرة تأخرت.") == [
        "لماذا تأخر الوفد؟",
        "قال المتحدث إن الطائرة تأخرت.",
    ]


@pytest.mark.parametrize("number", ["13.5", "١٣٫٥", "١٣.٥", "0.75", "21.07.2015", "2015.07.21", "1,250.50", "3.14159"])
def test_no_split_inside_numbers(number: str) -> None:
    text = f"بلغت النسبة {number} في المئة هذا العام. وارتفعت الأسعار."
    assert sentences(text) == [f"بلغت النسبة {number} في المئة هذا العام.", "وارتفعت الأسعار."]


@pytest.mark.parametrize("abbr", ["د.", "أ.", "م.", "هـ."])
def test_arabic_abbreviations_and_initials(abbr: str) -> None:
    text = f"وقال {abbr} أحمد الحسن إن الاجتماع مثمر. وأضاف أنه سيعقد مجدداً."
    assert sentences(text) == [f"وقال {abbr} أحمد الحسن إن الاجتماع مثمر.", "وأضاف أنه سيعقد مجدداً."]


def test_mixed_latin_names_inside_arabic() -> None:
    text = "التقى هاكان فيدان (Hakan Fidan) بنظيره في Ankara. وحضر ممثل عن شركة Blue Water Ltd. البريطانية."
    assert sentences(text) == [
        "التقى هاكان فيدان (Hakan Fidan) بنظيره في Ankara.",
        "وحضر ممثل عن شركة Blue Water Ltd. البريطانية.",
    ]


def test_closing_quote_stays_with_its_sentence() -> None:
    text = 'قال الوزير: "انتهى الاجتماع." ثم غادر القاعة. (وكان ذلك متوقعاً.) وصدر بيان «لاحقاً؟» مساءً.'
    assert sentences(text) == [
        'قال الوزير: "انتهى الاجتماع."',
        "ثم غادر القاعة.",
        "(وكان ذلك متوقعاً.)",
        "وصدر بيان «لاحقاً؟»",
        "مساءً.",
    ]


# --------------------------------------------------------------------------- Latin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Smith met Mr. Jones. They talked.", ["Dr. Smith met Mr. Jones.", "They talked."]),
        ("The U.S. Army left. Others stayed.", ["The U.S. Army left.", "Others stayed."]),
        ("Fruit, e.g. apples, is good. Eat it.", ["Fruit, e.g. apples, is good.", "Eat it."]),
        ("J. K. Rowling wrote it. Then she rested.", ["J. K. Rowling wrote it.", "Then she rested."]),
        ("It costs approx. five dollars. Cheap!", ["It costs approx. five dollars.", "Cheap!"]),
        ("Wait... what happened? Nobody knows!", ["Wait... what happened?", "Nobody knows!"]),
        ("He waited... Nobody came.", ["He waited...", "Nobody came."]),
        ("See No. 5 in Jan. 2020 for details. Done.", ["See No. 5 in Jan. 2020 for details.", "Done."]),
        ("1. Buy bread and milk", ["1. Buy bread and milk"]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
    ],
)
def test_latin_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_urls_and_emails_are_not_split() -> None:
    text = "Read https://example.com/a.b?x=1&y=2. Or visit www.example.org/news. Mail info@mail.example.com. Bye."
    assert sentences(text) == [
        "Read https://example.com/a.b?x=1&y=2.",
        "Or visit www.example.org/news.",
        "Mail info@mail.example.com.",
        "Bye.",
    ]


def test_line_breaks_end_sentences_without_punctuation() -> None:
    text = "عنوان الخبر بلا نقطة\r\n\nسطر ثان  \n\n  \nسطر ثالث."
    assert sentences(text) == ["عنوان الخبر بلا نقطة", "سطر ثان", "سطر ثالث."]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \u2028"])
def test_blank_text_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_fixture_article_sentences() -> None:
    text = (FIXTURES / "ingest-water-plant.txt").read_text(encoding="utf-8")
    spans = split_sentences(text)
    check_invariants(text, spans)
    got = [text[s.start : s.end] for s in spans]
    # The bullet summary line holds three bullets; each is its own sentence.
    assert [g for g in got if g.startswith("- ")] == [
        "- افتتحت بلدية المدينة الساحلية محطة جديدة لتحلية مياه البحر بطاقة 13.5 ألف متر مكعب يومياً.",
        "- قال مدير المشروع د. سامر الخطيب إن المحطة ستخدم نحو ٤٠ ألف نسمة.",
        "- يُتوقع أن تبدأ المرحلة الثانية من المشروع في ربيع العام المقبل.",
    ]
    assert "وشاركت في التمويل شركة Blue Water Ltd. البريطانية، إلى جانب صندوق محلي للتنمية." in got
    assert any("www.example.org/water" in g and "press@example.org" in g for g in got)
    assert any("03.10.2023 بإشراف م. ليلى حداد" in g for g in got)


# --------------------------------------------------------------------------- properties

_ALPHABET = st.sampled_from(
    list("ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإىةـَُِّ")
    + list("abcXYZ0123456789٠١٢٣٤٥٦٧٨٩")
    + list(".!?؟؛…،,:;\"'«»()[]-/@")
    + [" ", " ", " ", "\n", "\r\n", "\t", "\u00a0", "\u2028"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=300).map("".join))
def test_spans_partition_every_non_space_character(text: str) -> None:
    check_invariants(text, split_sentences(text))


_WORDS = st.sampled_from(["الوفد", "وصل", "أنقرة", "Ankara", "talks", "د.", "Dr.", "U.S.", "،", "و", "the"])
_TERMS = st.sampled_from([".", "؟", "!", "؛", "?", "…", ""])
_NUMBERS = st.one_of(
    st.tuples(st.integers(0, 9999), st.integers(0, 999)).map(lambda t: f"{t[0]}.{t[1]}"),
    st.tuples(st.integers(0, 9999), st.integers(0, 999)).map(
        lambda t: f"{t[0]}٫{t[1]}".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    ),
    st.tuples(st.integers(1, 28), st.integers(1, 12), st.integers(1900, 2100)).map(
        lambda t: f"{t[0]:02d}.{t[1]:02d}.{t[2]}"
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(_WORDS, min_size=1, max_size=6), _NUMBERS, _TERMS), min_size=1, max_size=8))
def test_never_splits_inside_generated_numbers(parts: list[tuple[list[str], str, str]]) -> None:
    pieces: list[str] = []
    numbers: list[tuple[int, int]] = []
    pos = 0
    for words, number, term in parts:
        head = " ".join(words) + " "
        pieces.append(head)
        pos += len(head)
        numbers.append((pos, pos + len(number)))
        pieces.append(number + term + " ")
        pos += len(number) + len(term) + 1
    text = "".join(pieces)
    spans = split_sentences(text)
    check_invariants(text, spans)
    for start, end in numbers:
        # the whole number lies inside one span
        assert any(s.start <= start and end <= s.end for s in spans), text[start:end]
