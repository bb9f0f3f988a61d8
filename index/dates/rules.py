"""The rule-based date finder: every pattern of :mod:`index.dates.patterns` proposes mentions over
the folded text, the longest non-overlapping ones win, and each is resolved against ``published``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from . import calendar as cal
from . import patterns as P
from .mention import DateMention
from .normal import fold, fold_word

Value = date | tuple[date, date] | None


@dataclass(frozen=True)
class _Found:
    start: int  # in the folded text
    end: int
    value: Value


def _span(m: re.Match[str]) -> tuple[int, int]:
    group = "m" if m.group("m") is not None else "m2"
    return m.span(group)


def _word_before(text: str, at: int) -> str:
    match = re.search(r"(\w+)\W*$", text[max(0, at - 40) : at])
    return match.group(1) if match else ""


def _word_after(text: str, at: int) -> str:
    match = re.match(r"\s*(\w+)", text[at : at + 40])
    return match.group(1) if match else ""


def _future(text: str, at: int) -> bool:
    """A future verb or cue earlier in the same sentence (at most 80 characters back)."""
    before = text[max(0, at - 80) : at]
    ends = list(P.SENTENCE_END.finditer(before))
    if ends:
        before = before[ends[-1].end() :]
    return P.FUTURE_CUES.search(before) is not None


def _since(text: str, m: re.Match[str]) -> str | None:
    """ "past" after منذ/since ("منذ 16 مارس" is the last 16 March), else None."""
    return "past" if _word_before(text, m.start(0)) in ("منذ", "ومنذ", "since") else None


def _direction(mod: str | None) -> str | None:
    if not mod:
        return None
    word = fold_word(mod)
    if word in P.PAST_WORDS:
        return "past"
    if word in P.NEXT_WORDS:
        return "next"
    return "this" if word in P.THIS_WORDS else None


def _month(name: str) -> int:
    return P.MONTHS[fold_word(name).rstrip(".")]


def _gated(text: str, m: re.Match[str]) -> bool:
    """A month name alone is a date only after a word like في/منذ/خلال (clitics stripped)."""
    clitic = text[m.start(0) : m.start("m")]
    if any(c in clitic for c in "بلك"):
        return True
    word = _word_before(text, m.start(0))
    if clitic == "و" and word in P.MONTHS:
        return True  # "بين يناير ومارس"
    return _one_of(word, P.MONTH_GATES)


def _one_of(word: str, words: frozenset[str]) -> bool:
    """``word`` is in ``words``, maybe behind a glued و/ف/ب/ل ("وفي", "بملعب")."""
    return word in words or (len(word) > 2 and word[0] in "وفبل" and word[1:] in words)


def _year_from(m: re.Match[str], published: date | None) -> tuple[int | None, bool]:
    """(year, given): an explicit year, or one relative to publication ("من العام الماضي")."""
    groups = m.groupdict()
    if groups.get("year"):
        return int(groups["year"]), True
    if "yearmod" in groups and _has_rel_year(m):
        if published is None:
            return None, True
        shift = {"past": -1, "next": 1}.get(_direction(groups.get("yearmod")) or "", 0)
        return published.year + shift, True
    return None, False


def _has_rel_year(m: re.Match[str]) -> bool:
    return P.OF_THE_YEAR.search(m.group("m")) is not None


def _day_month(text: str, published: date | None) -> Iterator[_Found]:
    for regex in (P.DAY_MONTH, P.MONTH_DAY):
        for m in regex.finditer(text):
            if _one_of(_word_before(text, m.start(0)), P.NAME_NOUNS):
                continue  # ملعب 15 أكتوبر: a stadium
            groups = m.groupdict()
            day = int(m["day"]) if m["day"] else P.ORDINALS[fold_word(groups["ordinal"])]
            month = _month(m["month"])
            first = int(groups["day0"]) if groups.get("day0") else None
            if not 1 <= day <= 31 or (first is not None and not 1 <= first < day):
                continue
            start, end = _span(m)
            year, given = _year_from(m, published)
            if not given and published is not None:
                direction = _direction(m.groupdict().get("mod")) or _since(text, m)
                direction = direction or ("future" if _future(text, start) else None)
                year = cal.nearest_year(published, month, day, direction)
            when = cal.safe_date(year, month, day) if year else None
            if year and when is None:
                continue  # 31 June: not a date
            if when is not None and first is not None:
                yield _Found(start, end, (when.replace(day=first), when))
            else:
                yield _Found(start, end, when)


def _month_only(text: str, published: date | None) -> Iterator[_Found]:
    for m in P.MONTH_ONLY.finditer(text):
        name = fold_word(m["month"]).rstrip(".")
        month = P.MONTHS[name]
        strong = bool(m["year"] or m["mod"] or m["month2"] or m["shahr"] or m["en_mod"] or _has_rel_year(m))
        if not strong and (name in P.WEAK_MONTHS or not (m["part"] or m["half"] or _gated(text, m))):
            continue
        start, end = _span(m)
        year, given = _year_from(m, published)
        if not given and published is not None:
            direction = _direction(m["mod"] or m["en_mod"]) or _since(text, m)
            direction = direction or ("future" if _future(text, start) else None)
            year = cal.nearest_year(published, month, None, direction)
        if year is None:
            yield _Found(start, end, None)
            continue
        whole = cal.month_range(year, month)
        if m["half"]:
            first_half = fold_word(m["half"]).endswith("الاول")
            yield _Found(
                start, end, (whole[0], whole[0].replace(day=15)) if first_half else (whole[0].replace(day=16), whole[1])
            )
            continue
        part = P.PARTS[fold_word(m["part"])] if m["part"] else None
        yield _Found(start, end, cal.part_of(whole, "month", part))


def _year_only(text: str, published: date | None) -> Iterator[_Found]:
    for m in P.YEAR_ONLY.finditer(text):
        if m["m"] is not None and not (m["part"] or m["noun"]):
            continue  # a bare number: "2000 شخص"
        start, end = _span(m)
        year = int(m["year"] or text[start:end])
        part = P.PARTS[fold_word(m["part"])] if m["part"] else None
        yield _Found(start, end, cal.part_of(cal.year_range(year), "year", part))


def _numeric(text: str, published: date | None) -> Iterator[_Found]:
    for m in P.NUMERIC.finditer(text):
        if m["year"]:
            a, b, year = int(m["a"]), int(m["b"]), int(m["year"])
            day, month = (b, a) if a <= 12 < b else (a, b)  # day/month, unless only month/day fits
        else:
            year, month, day = int(m["year2"]), int(m["b2"]), int(m["c2"])
        when = cal.safe_date(year, month, day)
        if when is not None:
            yield _Found(*m.span("m"), when)


def _relative_day(text: str, published: date | None) -> Iterator[_Found]:
    for m in P.RELATIVE_DAY.finditer(text):
        rel = fold_word(m["rel"])
        if not m["weekday"] and rel in ("اليوم", "غدا", "الامس", "امس", "الليله"):
            after = _word_after(text, m.end("m"))
            if (after.startswith("ال") and after not in P.WEEKDAYS) or after in P.NOT_TODAY_AFTER:
                continue  # اليوم الوطني, اليوم التالي, غدا المشهد (the verb), الأمس القريب
            if _word_before(text, m.start(0)) in P.NOT_TODAY_BEFORE:
                continue
        start, end = _span(m)
        if published is None:
            yield _Found(start, end, None)
            continue
        offset = P.RELATIVE_DAYS[rel]
        when = cal.add_days(published, offset)
        if m["weekday"] and P.WEEKDAYS[m["weekday"]] != when.weekday():
            # "اليوم الاثنين" in an article dated a Friday: the date is a crawl's, the weekday the writer's
            weekday = P.WEEKDAYS[m["weekday"]]
            when = cal.weekday_after(published, weekday) if offset > 0 else cal.weekday_on_or_before(when, weekday)
        yield _Found(start, end, when)


def _weekday(text: str, published: date | None) -> Iterator[_Found]:
    for m in P.WEEKDAY_ONLY.finditer(text):
        if m["weekday"] == "الاحد" and not m["mod"] and _word_after(text, m.end("m")) == "عشر":
            continue  # الأحد عشر: eleven
        after = _word_after(text, m.end("m"))
        if m["weekday"] == "الاثنين" and not m["mod"] and after.startswith("ال") and after != "الموافق":
            continue  # المصابين الاثنين الآخرين: the two
        start, end = _span(m)
        if published is None:
            yield _Found(start, end, None)
            continue
        weekday = P.WEEKDAYS[m["weekday"]]
        direction = _direction(m["mod"] or m["en_mod"])
        after_next = P.AFTER_NEXT.match(text, end)
        if after_next is not None:  # "الأربعاء بعد المقبل": the Wednesday after next
            yield _Found(start, after_next.end(), cal.add_days(cal.weekday_after(published, weekday), 7))
            continue
        if direction is None and _future(text, start):
            direction = "next"
        if direction == "next":
            when = cal.weekday_after(published, weekday)
        elif direction == "this":
            when = cal.add_days(cal.week_range(published)[0], weekday)
        else:  # bare or "الماضي": the last such day on or before publication
            when = cal.weekday_on_or_before(published, weekday)
        yield _Found(start, end, when)


def _period(text: str, published: date | None) -> Iterator[_Found]:
    for m in P.PERIOD.finditer(text):
        noun = m["noun"]
        unit = P.PERIODS.get(noun) or P.PERIODS["ال" + noun.removeprefix("ال").removeprefix("ل")]
        this = fold_word(m["this"]) if m["this"] else None
        part = P.PARTS[fold_word(m["part"])] if m["part"] else None
        mod = _direction(m["mod"]) or {"last": "past", "past": "past", "next": "next"}.get(this or "")
        if mod is None and (this is not None):
            mod = "this"
        if mod is None and part is None:
            continue  # "الأسبوع" alone is no date
        if mod is None and this is None and _word_after(text, m.end("m")).startswith("ال"):
            continue  # نهاية العام الدراسي, نهاية الشهر الثاني عشر: another year or month
        if unit == "year" and this is None and part is None and _word_before(text, m.start(0)) in P.GENERAL_NOUNS:
            continue  # الأمين العام, المؤتمر العام المقبل: the adjective "general"
        start, end = _span(m)
        if published is None:
            yield _Found(start, end, None)
            continue
        shift = {"past": -1, "next": 1}.get(mod or "", 0)
        if unit == "weekend" or (unit == "week" and part == "late" and mod is None):
            unit, part = "week", "late"
            if mod is None:  # "نهاية الأسبوع": the one to come after a future verb, else the last one begun
                shift = 0 if _future(text, start) or published.weekday() >= 4 else -1
        yield _Found(start, end, cal.part_of(_unit_range(published, unit, shift), unit, part))


def _unit_range(published: date, unit: str, shift: int) -> tuple[date, date]:
    if unit == "week":
        return cal.week_range(published, shift)
    if unit == "month":
        return cal.month_range(*cal.shift_month(published.year, published.month, shift))
    return cal.year_range(published.year + shift)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else P.NUMBER_WORDS[fold_word(text)]


def _ago(text: str, published: date | None) -> Iterator[_Found]:
    for m in P.AGO.finditer(text):
        n_text, unit_text = (m["n"], m["unit"]) if m["m"] is not None else (m["n2"], m["unit2"])
        unit = fold_word(unit_text)
        kind, dual = P.AGO_UNITS[unit]
        if n_text is None and unit in P.PLURAL_UNITS:
            continue  # "منذ أيام", "قبل سنوات": how many is not said
        count = dual if n_text is None else _number(n_text)
        start, end = _span(m)
        if m["m"] is not None and fold_word(m["dir"]) == "بعد":
            if not _future(text, start):
                continue  # "ومات بعد سنتين": two years after the story's event, not after publication
            count = -count  # "ستستأنف بعد أسبوعين": two weeks after publication
        if published is None:
            yield _Found(start, end, None)
        elif kind in ("day", "week"):
            yield _Found(start, end, cal.add_days(published, -count * (7 if kind == "week" else 1)))
        elif kind == "month":
            yield _Found(start, end, cal.month_range(*cal.shift_month(published.year, published.month, -count)))
        else:
            yield _Found(start, end, cal.year_range(published.year - count))


def _day_of_month(text: str, published: date | None) -> Iterator[_Found]:
    for m in P.DAY_OF_MONTH.finditer(text):
        if not (m["this"] or m["mod"]) or m["day0"]:
            continue
        day = int(m["day"]) if m["day"] else P.ORDINALS[fold_word(m["ordinal"])]
        start, end = _span(m)
        if published is None:
            yield _Found(start, end, None)
            continue
        shift = {"past": -1, "next": 1}.get(_direction(m["mod"]) or "", 0)
        year, month = cal.shift_month(published.year, published.month, shift)
        when = cal.safe_date(year, month, day)
        if when is not None:
            yield _Found(start, end, when)


FINDERS: tuple[Callable[[str, date | None], Iterator[_Found]], ...] = (
    _day_month,
    _month_only,
    _year_only,
    _numeric,
    _relative_day,
    _weekday,
    _period,
    _ago,
    _day_of_month,
)


def _choose(found: list[_Found]) -> list[_Found]:
    """The longest mentions win; of equal ones, the first found (finder order)."""
    chosen: list[_Found] = []
    for f in sorted(found, key=lambda f: -(f.end - f.start)):
        if all(f.end <= c.start or f.start >= c.end for c in chosen):
            chosen.append(f)
    return sorted(chosen, key=lambda f: f.start)


def find_dates_rules(text: str, published: date | None) -> list[DateMention]:
    """Date mentions of ``text`` by the rules, resolved against ``published``."""
    folded = fold(text)
    found = [f for finder in FINDERS for f in finder(folded.text, published)]
    mentions = []
    for f in _choose(found):
        start, end = folded.span(f.start, f.end)
        day = f.value if isinstance(f.value, date) else None
        span = f.value if isinstance(f.value, tuple) else None
        mentions.append(DateMention(start, end, text[start:end], day, span))
    return mentions
