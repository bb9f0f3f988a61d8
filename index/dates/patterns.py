"""Every table and regular expression the date finder uses, in one place.

The patterns match the *normalised* text of :mod:`index.dates.normal` (hamza forms of alef → ``ا``,
``ى`` → ``ي``, ``ة`` → ``ه``, no diacritics or tatweel, Arabic-Indic digits → ASCII, Latin
lower-cased), so every spelling variant is written once here, in its normalised form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- months ---------------------------------------------------------------------------------------

#: Month names → month number: the Gregorian series of Egypt and the Gulf, the Syriac series of the
#: Levant and Iraq, the French-derived series of Tunisia and Algeria, Morocco's, and English.
MONTHS: dict[str, int] = {
    # Egypt, the Gulf (and Morocco's shared names)
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6,
    "يوليو": 7, "يوليه": 7, "اغسطس": 8, "سبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
    # the Levant, Iraq
    "كانون الثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6, "تموز": 7,
    "اب": 8, "ايلول": 9, "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الاول": 12,
    # Tunisia, Algeria
    "جانفي": 1, "فيفري": 2, "افريل": 4, "ماي": 5, "جوان": 6, "جويليه": 7, "اوت": 8,
    # Morocco
    "يوليوز": 7, "غشت": 8, "شتنبر": 9, "نونبر": 11, "دجنبر": 12,
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

#: Month names that are also common words ("أب" father, "may", "march"): found only next to a day
#: number, a year, a modifier (الماضي…), a month pair (أغسطس/آب) or the word شهر.
WEAK_MONTHS = frozenset({"اب", "ماي", "may", "march", "mar", "jan", "dec", "oct", "sep", "aug", "jun", "jul", "apr"})

# --- weekdays (Python's numbering: Monday 0 … Sunday 6) ------------------------------------------

WEEKDAYS: dict[str, int] = {
    "الاثنين": 0, "الثلاثاء": 1, "الثلثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعه": 4, "السبت": 5,
    "الاحد": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip

# --- modifiers, parts of a period, relative days -------------------------------------------------

PAST_WORDS = (
    "الماضي", "الماضيه", "المنصرم", "المنصرمه", "المنقضي", "المنقضيه", "الفائت", "الفائته", "الفارط",
    "الفارطه", "last", "past",
)  # fmt: skip
NEXT_WORDS = ("المقبل", "المقبله", "القادم", "القادمه", "next", "coming")
THIS_WORDS = ("الجاري", "الجاريه", "الحالي", "الحاليه", "this", "current")

#: Where in a period: early (a month's days 1–10, a week's Monday–Tuesday, a year's January–April),
#: mid (11–20, Wednesday–Thursday, May–August), late (21–end, Friday–Sunday, September–December).
PARTS: dict[str, str] = {
    "مطلع": "early", "بدايه": "early", "اوائل": "early", "مستهل": "early",
    "منتصف": "mid", "اواسط": "mid",
    "اواخر": "late", "نهايه": "late", "اخر": "late", "ختام": "late",
    "early": "early", "the beginning of": "early", "the start of": "early", "beginning of": "early",
    "start of": "early", "mid": "mid", "the middle of": "mid", "middle of": "mid", "late": "late",
    "the end of": "late", "end of": "late",
}  # fmt: skip

#: Relative days: offset from the publication date.
RELATIVE_DAYS: dict[str, int] = {
    "اليوم": 0, "الليله": 0, "هذه الليله": 0, "امس": -1, "الامس": -1, "البارحه": -1, "يوم امس": -1,
    "الليله الماضيه": -1, "الليله قبل الماضيه": -2, "اول امس": -2, "اول من امس": -2, "امس الاول": -2, "غدا": 1, "غد": 1,
    "يوم غد": 1, "بعد غد": 2,
    "today": 0, "tonight": 0, "yesterday": -1, "last night": -1, "the day before yesterday": -2,
    "tomorrow": 1, "the day after tomorrow": 2,
}  # fmt: skip

#: Period nouns → unit.
PERIODS: dict[str, str] = {
    "الاسبوع": "week", "الشهر": "month", "العام": "year", "السنه": "year",
    "week": "week", "month": "month", "year": "year", "weekend": "weekend",
}  # fmt: skip

#: "… ago" units and number words (Arabic duals count as 2).
AGO_UNITS: dict[str, tuple[str, int]] = {
    "يوم": ("day", 1), "يوما": ("day", 1), "اسبوعا": ("week", 1), "شهرا": ("month", 1),
    "عاما": ("year", 1), "ايام": ("day", 1), "يومين": ("day", 2),
    "اسبوع": ("week", 1), "اسابيع": ("week", 1), "اسبوعين": ("week", 2),
    "شهر": ("month", 1), "اشهر": ("month", 1), "شهور": ("month", 1), "شهرين": ("month", 2),
    "عام": ("year", 1), "اعوام": ("year", 1), "عامين": ("year", 2), "سنه": ("year", 1),
    "سنوات": ("year", 1), "سنتين": ("year", 2), "سنين": ("year", 1),
    "day": ("day", 1), "days": ("day", 1), "week": ("week", 1), "weeks": ("week", 1),
    "month": ("month", 1), "months": ("month", 1), "year": ("year", 1), "years": ("year", 1),
}  # fmt: skip
#: Plural units: "منذ أيام" names no number, so no date.
PLURAL_UNITS = _words("ايام اسابيع اشهر شهور اعوام سنوات سنين days weeks months years")
NUMBER_WORDS: dict[str, int] = {
    "واحد": 1, "ثلاثه": 3, "ثلاث": 3, "اربعه": 4, "اربع": 4, "خمسه": 5, "خمس": 5, "سته": 6, "ست": 6,
    "سبعه": 7, "سبع": 7, "ثمانيه": 8, "ثماني": 8, "ثمان": 8, "تسعه": 9, "تسع": 9, "عشره": 10, "عشر": 10,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip

_UNITS = ("الاول", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع")
_TEENS = ("الحادي عشر", "الثاني عشر", "الثالث عشر", "الرابع عشر", "الخامس عشر", "السادس عشر", "السابع عشر",
          "الثامن عشر", "التاسع عشر")  # fmt: skip
#: Ordinal day words: "السابع من أكتوبر", "الحادي والعشرين من مارس".
ORDINALS: dict[str, int] = {
    **{w: n for n, w in enumerate(_UNITS, 1)},
    "العاشر": 10,
    **{w: n for n, w in enumerate(_TEENS, 11)},
    "العشرين": 20,
    **{f"{w} والعشرين".replace("الاول", "الحادي"): 20 + n for n, w in enumerate(_UNITS, 1)},
    "الثلاثين": 30,
    "الحادي والثلاثين": 31,
}

#: Nouns that take العام as the adjective "general" (الأمين العام, المؤتمر العام المقبل): no year.
GENERAL_NOUNS = _words(
    "الامين المدعي النائب المؤتمر الراي القطاع المال الدين النقل المدير المراقب الاضراب العفو الامن النظام "
    "الصالح الشان الطابع الاطار المشهد الاتجاه الوضع المستوي المعدل الانطباع التعليم الانفاق الاستفتاء الحق "
    "المجال الملك المرشد القائد المنسق المفوض الحشد المجلس الاتحاد المستشار الموقف التوجه الاجماع الشعور "
    "المزاج الذوق الامن السياق الهدف المفهوم الاطار الخط المنحي المسار"
)

#: Nouns named after a date: "ملعب 15 أكتوبر", "شارع 26 يوليو" are places, not dates.
NAME_NOUNS = _words("ملعب شارع ساحه ميدان جسر مطار نهج مدرسه معهد مستشفي قاعه حي مدينه")

#: Words beside اليوم/غداً/أمس that make them no date: "ذلك اليوم" (that day), "مرات في اليوم" (a day),
#: "عين اليوم"/"صحيفة اليوم"/"دار اليوم" (newspapers), "اليوم نفسه" (the same day as the story's event).
NOT_TODAY_BEFORE = _words("ذلك هذا مثل نفس ذات في عين صحيفه جريده دار that same")
NOT_TODAY_AFTER = _words("نفسه ذاته")

#: Hijri month names: "قبل شهر رمضان" is no "month ago".
HIJRI_MONTHS = ("محرم", "صفر", "ربيع", "جمادي", "رجب", "شعبان", "رمضان", "شوال", "ذي")

#: The word before a month name (clitics و/ف/ب/ل stripped) that makes it a date: "في مارس".
MONTH_GATES = _words(
    "في منذ خلال حتي مع بعد قبل من الي حلول بحلول شهر اعتبارا ابتداء مطلع بدايه اوائل مستهل منتصف اواسط "
    "اواخر نهايه اخر ختام ومنذ بين in since between during until by from before after of early mid late last next this "
    "through"
)

#: Words before a mention that put it in the future ("سيعقد الجمعة" is the coming Friday).
FUTURE_CUES = re.compile(
    r"(?<!\w)[وف]?(?:سوف|المقرر|المزمع|المرتقب|المرتقبه|المنتظر|يعتزم|تعتزم|يرتقب|ستعقد|سيعقد|سيزور|ستزور|"
    r"سيلتقي|ستلتقي|ستبدا|سيبدا|ستنطلق|سينطلق|ستجري|سيجري|سيتم|ستقام|سيقام|سيصل|ستصل|"
    r"سيشارك|ستشارك|سيعلن|ستعلن|ستشهد|سيشهد|ستنظم|سينظم|سيتوجه|ستستضيف|سيستضيف|سيكون|ستكون|ستفتتح|"
    r"سيفتتح|ستدخل|سيدخل|سيجتمع|ستجتمع|ستنعقد|سينعقد|ستختتم|سيختتم|سيحضر|ستحضر|سيتراس|"
    r"ستستانف|سيستانف|سيعود|ستعود|سيبحث|ستبحث|will|shall|scheduled|due|expected|plans?|planned)(?!\w)"
)

# --- the expressions --------------------------------------------------------------------------------


def _alt(words: Iterable[str]) -> str:
    """A regex alternation of the given words, longest first; spaces match any run of spaces."""
    names = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(n).replace("\\ ", " ").replace(" ", r"\s+") for n in names)


_B = r"(?<![\w])"  # a word starts here
_E = r"(?![\w])"  # a word ends here
_CLITIC = r"(?:[وف]?[بلك]?)"  # و ف ب ل ك glued before a word (kept outside the mention)
_SP = r"\s+"
_ABBREVIATIONS = [m for m in MONTHS if m.isascii() and len(m) <= 4 and m != "june" and m != "july"]
MONTH = rf"(?:(?:{_alt(_ABBREVIATIONS)})\.(?!\w)|{_alt(MONTHS)})"  # "Aug. 29"; no dot after a name
MONTH_PAIR = rf"(?P<month>{MONTH})(?:(?:\s*[/(]\s*|\s+)(?P<month2>{MONTH})(?:\s*\))?)?"
WEEKDAY = rf"(?P<weekday>{_alt(WEEKDAYS)})"
DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
#: A day by number or ordinal word, optionally the end of a day range ("10 إلى 12 نوفمبر", "10-12 March").
DAY_AR = (
    rf"(?:(?P<day0>[0-3]?\d)\s*(?:-|–|الي|حتي|و|to)\s*)?"
    rf"(?:{DAY}|(?P<ordinal>{_alt(ORDINALS)})(?=\s+من\s))"
)
YEAR = r"(?P<year>(?:19|20)\d\d)(?:\s?م(?![\w]))?"
PAST = _alt(PAST_WORDS)
NEXT = _alt(NEXT_WORDS)
THIS = _alt(THIS_WORDS)
_AR_MODS = [w for w in (*PAST_WORDS, *NEXT_WORDS, *THIS_WORDS) if not w.isascii()]
MOD = rf"(?P<mod>{_alt(_AR_MODS)})"  # after the noun: Arabic only ("Sunday last week" is not "Sunday last")
PART = rf"(?P<part>{_alt(PARTS)})"
YEAR_OF = rf"(?:\s*[،,]?\s*(?:من\s+|of\s+)?(?:عام\s+|العام\s+|سنه\s+)?{YEAR})"
OF_THE_YEAR = re.compile(r"من\s+(?:العام|السنه|هذا\s+العام|هذه\s+السنه)")  # inside REL_YEAR
REL_YEAR = rf"(?:\s+من\s+(?:العام|السنه|هذا\s+العام|هذه\s+السنه)(?:\s+(?P<yearmod>{PAST}|{NEXT}|{THIS}))?)"
WEEKDAY_LEAD = rf"(?:(?:يوم\s+|on\s+)?(?P<lead>{_alt(WEEKDAYS)})\s*[،,(]?\s*(?:الموافق\s+)?)"

#: "13 أغسطس/آب 2025", "الأحد 12 أكتوبر", "13 أغسطس الماضي", "5 من يونيو من العام الماضي", "13 August 2025".
DAY_MONTH = re.compile(
    rf"{_B}{_CLITIC}(?P<m>{WEEKDAY_LEAD}?{DAY_AR}\s*(?:من\s+|of\s+)?(?:شهر\s+)?{MONTH_PAIR}"
    rf"(?:{YEAR_OF}|{REL_YEAR}|\s+{MOD})?){_E}"
)
#: "August 13, 2025", "Friday, Aug. 13".
MONTH_DAY = re.compile(rf"{_B}(?P<m>(?:(?P<lead>{_alt(WEEKDAYS)}),?\s+)?{MONTH_PAIR}\s+{DAY}(?:,?\s+{YEAR})?){_E}")
#: "أغسطس/آب الماضي", "في سبتمبر", "أواخر مارس 2024", "شهر يونيو من العام المقبل", "last September".
MONTH_ONLY = re.compile(
    rf"{_B}{_CLITIC}(?P<m>(?:(?P<half>النصف\s+(?:الاول|الثاني))\s+من\s+|{PART}(?:\s+|-))?(?:(?P<en_mod>last|next|this)\s+)?(?P<shahr>شهر\s+)?{MONTH_PAIR}"
    rf"(?:{YEAR_OF}|{REL_YEAR}|\s+{MOD})?){_E}"
)
#: "عام 2011", "مطلع العام 2024", "in 2019".
YEAR_ONLY = re.compile(
    rf"{_B}{_CLITIC}(?P<m>(?:{PART}\s+)?(?:(?P<noun>عام|العام|سنه|السنه|عامي)\s+)?{YEAR}){_E}"
    rf"|{_B}(?:في|منذ|حتي|خلال|بحلول|من|الي|in|since|during|until|by|of|from|early|late|mid)\s+"
    r"(?P<m2>(?:19|20)\d\d)"
    r"(?=\s*(?:$|[.،,؛:)\]\"»]|و|and\s))"
)
#: "13/8/2025", "2025-08-13", "١٣/٠٨/٢٠٢٥".
NUMERIC = re.compile(
    r"(?<![\d/.\-A-Za-z_])(?P<m>(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>(?:19|20)\d\d)"
    r"|(?P<year2>(?:19|20)\d\d)(?P<sep2>[/.-])(?P<b2>\d{1,2})(?P=sep2)(?P<c2>\d{1,2}))(?![\w/]|[.-]\d)"
)
#: "15 من الشهر المقبل", "الخامس من الشهر الجاري": a day of a month named relatively.
DAY_OF_MONTH = re.compile(rf"{_B}{_CLITIC}(?P<m>{DAY_AR}\s+من\s+(?:(?P<this>هذا)\s+)?الشهر(?:\s+{MOD})?){_E}")
#: "اليوم الأحد", "أمس السبت", "أول من أمس", "today", "yesterday".
RELATIVE_DAY = re.compile(
    rf"{_B}{_CLITIC}(?P<m>(?P<rel>{_alt(RELATIVE_DAYS)})(?:\s*[،,(]?\s*(?:يوم\s+)?{WEEKDAY}(?:\s*\))?)?)"
    r"(?![\w])"
)
#: "الجمعة", "يوم الأحد الماضي", "السبت المقبل", "last Sunday", "on Friday".
WEEKDAY_ONLY = re.compile(
    rf"{_B}{_CLITIC}(?P<m>(?:(?P<en_mod>last|next|this)\s+)?(?:يوم\s+)?{WEEKDAY}(?:\s+{MOD})?){_E}"
)
#: After a weekday: "الأربعاء بعد المقبل" (the Wednesday after next).
AFTER_NEXT = re.compile(r"\s+بعد\s+(?:المقبل|القادم|المقبله|القادمه)(?![\w])")
#: "الأسبوع الماضي", "نهاية الأسبوع الماضي", "هذا العام", "مطلع الشهر الجاري", "last month", "the end of next year".
PERIOD = re.compile(
    rf"{_B}{_CLITIC}(?P<m>(?:{PART}\s+)?(?:(?P<this>هذا|هذه|earlier\s+this|later\s+this|this|last|next|past)\s+)?"
    rf"(?P<noun>(?:ال|(?<=ل)ل)?(?:اسبوع|شهر|عام|سنه)|week|month|year|weekend)(?:\s+{MOD})?){_E}"
)
#: "قبل يومين", "منذ ثلاثة أسابيع", "قبل عام", "بعد أسبوعين", "two weeks ago".
AGO = re.compile(
    rf"{_B}{_CLITIC}(?P<m>(?P<dir>قبل|منذ|بعد)\s+(?:(?P<n>\d{{1,2}}|{_alt(NUMBER_WORDS)})\s+)?(?P<unit>{_alt(AGO_UNITS)}))"
    rf"{_E}(?!\s*\d)(?!\s+(?:من\s|علي\s|ال|{_alt(HIJRI_MONTHS)}))"
    rf"|{_B}(?P<m2>(?P<n2>\d{{1,2}}|{_alt(NUMBER_WORDS)})\s+(?P<unit2>{_alt(AGO_UNITS)})\s+ago){_E}"
)
#: What ends a sentence (the future cue is looked for within the sentence only).
SENTENCE_END = re.compile(r"[.!?؟\n]")
