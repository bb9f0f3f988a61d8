"""Word substitutions: near-identical word sets that still state different facts.

Protocol news repeats one template with another name or act in its slot: "شكره لجلالة ملك المغرب" and
"شكره لوزير الداخلية بمملكة البحرين", "كان في وداعه" and "كان في استقباله", "وصل إلى" and "غادر". Their
word sets share most words, so Jaccard alone links them. :func:`substituted` says when *each*
sentence holds a content word the other has in no form: not a function word, a verb of saying, a
title, a time word or a number word (:data:`NEUTRAL`), not a clitic or spelling variant of a word
the other holds ("وحدات"/"ووحدات", "ميشيل"/"ميشال", "عبد العزيز"/"عبدالعزيز"), not one of a few
interchangeable news words ("تضم"/"تشمل"). Words only one side adds (a credit, a title, a clause) are
no substitution. Long sentences (:data:`SUBSTITUTION_MAX_WORDS` words or more on both sides) are
not checked: fifty shared words are one statement.

Written on the 100 pairs of ``benchmarks/stories.py --seed 14`` (read by hand, 8 wrong): all 8 are
substitutions, and 3 of the 92 right ones are too (a name dropped for a title, "لتنفيذ"/"لصالح").
Then checked on a fresh sample (seed 15, 98 of 100 right): it drops one of the 2 wrong ones and
one right one (a broken plural, "أنشطة"/"نشاطات").
"""

from __future__ import annotations

from functools import lru_cache

from ..normalize import normalise
from ..stemming import LIGHT10_PREFIXES, LIGHT10_SUFFIXES, STOPWORDS, get_stemmer

SUBSTITUTION_MAX_WORDS = 50
"""Sentences this long (both of them) are never checked for substitutions."""
VARIANT_EDITS = ((7, 2), (3, 1))
"""Two forms this close are spellings of one word: 2 letters changed in 7 or more (وولفغانغ/وولفجانج),
1 in 3 or more (بيغن/بيجن); "تونسية" and "تهنئة" are not."""

_NEUTRAL_TEXT = """
قال أوضح ذكر أضاف أشار أكد بين لفت نوه صرح أفاد أعلن موضحا مشيرا مضيفا لافتا مؤكدا منوها
يذكر يشار الجدير بالذكر كذلك أيضا بينما فيما لكن إذ وقد عبر لدى نحو حوالي قرابة أقل عدة عدد
مماثلة مقر مدينة منطقة الجانب المملكة السعودية العربية جمهورية حكومة دولة سبق واس
صاحب أصحاب السمو الملكي سمو معالي فخامة جلالة الأمير الأمراء الدكتور د الأستاذ الشيخ فضيلة
السيد سعادة المهندس
اليوم أمس غدا أول الماضي الجاري المقبل الحالي الشهر العام الأسبوع صباح مساء عصر ظهر
السبت الأحد الاثنين الإثنين الثلاثاء الأربعاء الخميس الجمعة
يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر
كانون الثاني شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين الأول
واحد اثنان اثنين ثلاث ثلاثة أربع أربعة خمس خمسة ست ستة سبع سبعة ثماني ثمانية تسع تسعة
عشر عشرة مئة مائة ألف آلاف مليون ملايين مليار
"""
NEUTRAL = STOPWORDS | frozenset(normalise(w) for w in _NEUTRAL_TEXT.split())
"""Words whose change alone never makes another statement (normalised)."""

_INTERCHANGEABLE = ("تضم تشمل تتضمن", "عقدت نظمت أقامت", "عقد نظم أقام")
_SAME: dict[str, str] = {normalise(w): normalise(g.split()[0]) for g in _INTERCHANGEABLE for w in g.split()}

# the light stemmer's affixes, and the one-letter clitics and endings it leaves alone
_PREFIXES = (*LIGHT10_PREFIXES, "وس", "و", "ف", "ب", "ل", "ك", "س")
_SUFFIXES = (*LIGHT10_SUFFIXES, "هم", "هن", "ا", "ت")


@lru_cache(maxsize=100_000)
def _forms(word: str) -> frozenset[str]:
    """The word, without one clitic prefix, without one suffix, and its light stem (3 letters or more)."""
    out = {word, get_stemmer().stem(word)}
    out |= {word[len(p) :] for p in _PREFIXES if word.startswith(p) and len(word) - len(p) >= 3}
    out |= {w[: -len(s)] for w in list(out) for s in _SUFFIXES if w.endswith(s) and len(w) - len(s) >= 3}
    return frozenset(_SAME.get(w, w) for w in out)


def _neutral(word: str) -> bool:
    return len(word) <= 1 or any(c.isdigit() for c in word) or not _forms(word).isdisjoint(NEUTRAL)


def _spelt_alike(word: str, others: frozenset[str]) -> bool:
    """``word`` is a spelling variant of one of ``others`` (:func:`_close` in some form), or they are
    one word split in two ("عبد" in "عبدالعزيز")."""
    mine = _forms(word)
    for other in others:
        if len(word) >= 3 and len(other) >= 3 and (word in other or other in word):
            return True
        if any(_close(m, t) for m in mine for t in _forms(other)):
            return True
    return False


def _close(a: str, b: str) -> bool:
    """Within :data:`VARIANT_EDITS` of each other (letters changed, added, dropped or swapped:
    "أمريكا"/"أميركا" is one edit), by the shorter's length."""
    short = min(len(a), len(b))
    limit = next((edits for length, edits in VARIANT_EDITS if short >= length), 0)
    if limit == 0 or abs(len(a) - len(b)) > limit:
        return False
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(row[j] + 1, cur[j - 1] + 1, row[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], before[j - 2] + 1)
        if min(cur) > limit:
            return False
        before, row = row, cur
    return row[-1] <= limit


def _own_content(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    """``mine`` holds a content word that ``theirs`` has in no form: no shared form (a clitic, a light
    stem, an interchangeable word), no spelling variant among the words only ``theirs`` has."""
    their_forms: set[str] = set()
    for w in theirs:
        their_forms |= _forms(w)
    extra = theirs - mine
    return any(
        not _neutral(w) and _forms(w).isdisjoint(their_forms) and not _spelt_alike(w, extra) for w in mine - theirs
    )


def substituted(a: frozenset[str], b: frozenset[str]) -> bool:
    """True when each word set holds a content word the other lacks in every form (see the module)."""
    if min(len(a), len(b)) >= SUBSTITUTION_MAX_WORDS:
        return False
    return _own_content(a, b) and _own_content(b, a)
