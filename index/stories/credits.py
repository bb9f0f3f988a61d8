"""Wire credits: which agency an article says its text comes from.

Read on the normalised text (:func:`index.normalize.normalise`, so أ/ا and ة/ه do not matter): a
credit in brackets or after a dash ("(واس)", "الرياض - واس", "(أ ف ب)", "(رويترز)", "(سانا)"),
"وكالة الأناضول" / "بحسب وكالة …", the agencies' full Arabic names, and "Reuters", "AP",
"Associated Press", "AFP" in Latin script, and the agency's name alone ending a dateline line
("… 2015 م واس"). The earliest credit in the text is the article's; an article whose source is an
agency (SaudiNewsNet's ``was``) without a credit is that agency's.
"""

from __future__ import annotations

import re

from ..normalize import normalise

# (agency, patterns on normalised text). Arabic letters are written folded: ا not أ, ه not ة.
_AGENCIES: list[tuple[str, list[str]]] = [
    ("واس", [r"\(\s*واس\s*\)", r"(?:^|[-–:]\s*)واس\b", r"\bواس[ \t]*$", r"وكاله الانباء السعوديه"]),
    ("الأناضول", [r"\(\s*الاناضول\s*\)", r"وكاله الاناضول", r"الاناضول للانباء", r"\banadolu\b"]),
    ("رويترز", [r"\(\s*رويترز\s*\)", r"وكاله رويترز", r"(?:^|[-–:]\s*)رويترز\b", r"\breuters\b"]),
    ("أ ف ب", [r"\(\s*ا\s*\.?\s*ف\s*\.?\s*ب\s*\.?\s*\)", r"فرانس\s*برس", r"\bafp\b"]),
    ("سانا", [r"\(\s*سانا\s*\)", r"وكاله الانباء السوريه", r"\bsana\b"]),
    ("أ ب", [r"\(\s*ا\s*[\s.]\s*ب\s*\.?\s*\)", r"اسوشيتد\s*برس", r"\(ap\)", r"\bassociated press\b", r"^ap\b"]),
    ("د ب أ", [r"\(\s*د\s*\.?\s*ب\s*\.?\s*ا\s*\.?\s*\)", r"الالمانيه للانباء"]),
    ("كونا", [r"\(\s*كونا\s*\)", r"وكاله الانباء الكويتيه"]),
    ("وام", [r"\(\s*وام\s*\)", r"وكاله انباء الامارات"]),
    ("قنا", [r"\(\s*قنا\s*\)", r"وكاله الانباء القطريه"]),
    ("بنا", [r"\(\s*بنا\s*\)", r"وكاله انباء البحرين"]),
    ("أ ش أ", [r"\(\s*ا\s*\.?\s*ش\s*\.?\s*ا\s*\.?\s*\)", r"وكاله انباء الشرق الاوسط"]),
    ("واف", [r"\(\s*واف\s*\)", r"وكاله الانباء الفلسطينيه"]),
]

SOURCE_AGENCIES = {"was": "واس", "spa": "واس", "sana": "سانا", "aa": "الأناضول", "reuters": "رويترز", "afp": "أ ف ب"}
"""Article sources that are themselves an agency (SaudiNewsNet's ``was`` is the Saudi Press Agency)."""

_PATTERNS = [(agency, re.compile(p, re.MULTILINE)) for agency, patterns in _AGENCIES for p in patterns]


def wire_credit(text: str, source: str = "") -> str | None:
    """The agency the text credits first (its Arabic short name, e.g. ``"واس"``), or the agency the
    source is (:data:`SOURCE_AGENCIES`), or ``None``."""
    folded = normalise(text)
    own = SOURCE_AGENCIES.get(source.strip().casefold())
    best: tuple[int, str] | None = None
    for agency, pattern in _PATTERNS:
        m = pattern.search(folded)
        if m is not None and (best is None or m.start() < best[0]):
            best = (m.start(), agency)
    return best[1] if best else own
