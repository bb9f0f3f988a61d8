"""Spans inside one sentence that can hold a short answer, found without a model.

Every finder works on the normalised sentence (:func:`index.normalize.normalise_with_map`:
hamza forms, ta marbuta, Arabic-Indic digits folded) and returns ``(start, end)`` offsets into
the ORIGINAL sentence text, so ``sentence[start:end]`` is exactly what the article says.

* :func:`date_spans` — dates and times: "13 أغسطس/آب الماضي", "8 ديسمبر/كانون الأول 2024",
  "عام 1990", "March 3, 2011", "in 1990", weekdays, centuries. When the date module
  (``index.dates.find_dates``) is installed its mentions are used as well.
* :func:`number_spans` — a number with its scale and unit: "12.5 مليون متر مكعب", "40%",
  "$3 billion", "ثلاثة آلاف جندي".
* :func:`word_spans` — every word with its offsets (the place and name finders in
  :mod:`qa.short_answer` walk them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from index.normalize import normalise_with_map

Span = tuple[int, int]


def _alt(words: str) -> str:
    return "|".join(sorted((re.escape(w) for w in words.split("|")), key=len, reverse=True))


_AR_MONTHS = _alt(
    "يناير|كانون الثاني|فبراير|شباط|مارس|اذار|ابريل|نيسان|مايو|ايار|يونيو|يونيه|حزيران|يوليو|يوليه|تموز|"
    "اغسطس|اب|سبتمبر|ايلول|اكتوبر|تشرين الاول|نوفمبر|تشرين الثاني|ديسمبر|كانون الاول|"
    "محرم|ربيع الاول|ربيع الثاني|ربيع الاخر|جمادي الاولي|جمادي الاخره|رجب|شعبان|رمضان|شوال|ذو القعده|ذو الحجه"
)
_EN_MONTHS = _alt(
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_WEEKDAYS = _alt(
    "الاحد|الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه|السبت|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
_PRE = r"(?<![\w])(?:[وفبل]?)"  # a conjunction or preposition glued to the first word
_MONTH = f"(?:{_AR_MONTHS}|{_EN_MONTHS})"
_MONTHS = f"{_MONTH}(?: ?/ ?{_MONTH})?"
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})(?: ?(?:م|ه|هـ|ad|bc|bce|ce)(?![\w]))?"
_RELATIVE = r"(?: (?:الماضي|المقبل|الجاري|الحالي))"
_DATE = re.compile(
    "|".join(
        [
            # 13 أغسطس/آب الماضي · 8 ديسمبر/كانون الأول 2024 · 3 march 2011
            rf"{_PRE}[0-9]{{1,2}} (?:من )?(?:شهر )?{_MONTHS}(?:,? (?:عام |سنه |من عام )?{_YEAR}|{_RELATIVE})?",
            # march 3, 2011 · march 2011 · أغسطس 2011
            rf"{_PRE}(?:شهر )?{_MONTHS}(?: [0-9]{{1,2}}(?:st|nd|rd|th)?)?(?:,? (?:عام |سنه |of )?{_YEAR}|{_RELATIVE})",
            rf"(?<![\w])(?:{_EN_MONTHS}) [0-9]{{1,2}}(?:st|nd|rd|th)?(?![\w])",
            # عام 1990 · سنة 1990 · in 1990 · 1990
            rf"{_PRE}(?:(?:العام|عام|سنه|السنه) )?{_YEAR}(?: ?(?:-|الى|حتي|to|and|و) ?{_YEAR})?(?![\w])",
            # the 1990s · الثمانينيات · القرن التاسع عشر · the 19th century
            r"(?<![\w])(?:1[0-9]{3}|20[0-9]{2})s(?![\w])",
            r"(?<![\w])(?:[0-9]{1,2}(?:st|nd|rd|th)|[a-z]+(?:th|st|nd|rd)) century(?![\w])",
            r"(?<![\w])[وفب]?(?:ال)?قرن (?:ال)?[\w]+(?: (?:عشر|الميلادي|الهجري|قبل الميلاد))?",
            # يوم الجمعة · الأحد الماضي · 10:30 · الساعة العاشرة
            rf"{_PRE}(?:يوم )?(?:{_WEEKDAYS}){_RELATIVE}?(?![\w])",
            r"(?<![\w])(?:الساعه )?[0-9]{1,2}[:.][0-9]{2}(?: ?(?:am|pm|صباحا|مساء))?(?![\w])",
        ]
    )
)

_SCALE = _alt("الف|الاف|مليون|ملايين|مليار|مليارات|ترليون|thousand|million|billion|trillion|hundred")
_UNIT = _alt(
    "دولار|دولارا|يورو|جنيه|جنيها|ريال|ريالا|درهم|درهما|دينار|دينارا|ليره|ين|روبل|"
    "كيلومتر|كيلومترا|كم|متر|مترا|ميل|ميلا|سنتيمتر|ملم|هكتار|فدان|كيلوغرام|كيلوجرام|كغ|كلغ|غرام|طن|طنا|لتر|برميل|"
    "ميغاواط|ميجاوات|ميغاوات|كيلوواط|واط|درجه|درجات|بالمئه|بالمائه|في المئه|في المائه|بالمئة|"
    "شخص|شخصا|اشخاص|نسمه|مواطن|مواطنا|جندي|جنديا|طالب|طالبا|عامل|عاملا|زائر|زائرا|قتيل|قتيلا|لاعب|لاعبا|"
    "سنه|سنوات|عاما|اعوام|شهر|شهرا|اشهر|يوم|يوما|ايام|ساعه|ساعات|دقيقه|دقائق|"
    "متر مكعب|مترا مكعبا|كيلومتر مربع|كيلومترا مربعا|متر مربع|"
    "percent|per cent|dollars|euros|pounds|km|kilometres|kilometers|miles|metres|meters|feet|kg|tonnes|tons|"
    "people|years|months|days|hours|minutes|mw|gw|square kilometres|square miles|acres|hectares|students|members"
)
_AR_NUMBER_WORDS = _alt(
    "واحد|اثنان|اثنين|ثلاث|ثلاثه|اربع|اربعه|خمس|خمسه|ست|سته|سبع|سبعه|ثماني|ثمانيه|تسع|تسعه|عشر|عشره|"
    "عشرون|عشرين|ثلاثون|ثلاثين|اربعون|اربعين|خمسون|خمسين|ستون|ستين|سبعون|سبعين|ثمانون|ثمانين|تسعون|تسعين|"
    "مئه|مائه|مئتي|مئتين|مئات|عشرات|الفين"
)
_EN_NUMBER_WORDS = _alt(
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|dozens"
)
_NUM = r"[0-9]+(?:[.,][0-9]+)*"
_NUMBER = re.compile(
    rf"(?<![\w.,])[وفبل]?(?:[$£€]|us\$ ?)?(?:{_NUM}|(?:{_AR_NUMBER_WORDS}|{_EN_NUMBER_WORDS})(?![\w]))"
    rf"(?: ?%| (?:{_SCALE})(?![\w]))*(?: (?:من )?(?:{_UNIT})(?![\w]))?(?: ?%)?"
)


def _mapped(text: str, pattern: re.Pattern[str]) -> list[Span]:
    norm, index = normalise_with_map(text)
    spans: list[Span] = []
    for m in pattern.finditer(norm):
        a, b = m.start(), m.end()
        while a < b and not norm[a].isalnum() and norm[a] not in "$£€":
            a += 1
        if norm[a : a + 1] in ("و", "ف", "ب", "ل") and pattern.fullmatch(norm[a + 1 : b]):
            a += 1  # the conjunction or preposition glued to the first word is not part of the answer
        while b > a and not norm[b - 1].isalnum() and norm[b - 1] != "%":
            b -= 1
        if a < b:
            spans.append((index[a], index[b - 1] + 1))
    return spans


def _dates_module() -> Callable[..., Any] | None:
    """``index.dates.find_dates`` when that module is installed (it is built alongside)."""
    try:
        from index.dates import find_dates
    except ImportError:  # pragma: no cover - our own finder stands alone
        return None
    return find_dates


def date_spans(text: str) -> list[Span]:
    """Date and time mentions of ``text`` (ours and the date module's), the longer where two overlap."""
    spans = _mapped(text, _DATE)
    finder = _dates_module()
    if finder is not None:
        spans.extend((int(m.start), int(m.end)) for m in finder(text, None))
    return _outermost(spans)


def number_spans(text: str) -> list[Span]:
    """Numbers with their scale and unit; a number that is part of a date is not one."""
    dates = date_spans(text)
    return [s for s in _mapped(text, _NUMBER) if not any(d[0] <= s[0] and s[1] <= d[1] for d in dates)]


def _outermost(spans: list[Span]) -> list[Span]:
    """Spans in order, dropping any inside a longer one."""
    spans = sorted(set(spans), key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[Span] = []
    for s in spans:
        if out and s[0] < out[-1][1]:
            if s[1] > out[-1][1]:
                out[-1] = (out[-1][0], s[1])
            continue
        out.append(s)
    return out


_WORD = re.compile(r"\w+", re.UNICODE)


def word_spans(text: str) -> Iterator[tuple[str, int, int]]:
    """``(normalised word, start, end)`` for each word, offsets into ``text``."""
    norm, index = normalise_with_map(text)
    for m in _WORD.finditer(norm):
        yield m.group(), index[m.start()], index[m.end() - 1] + 1
