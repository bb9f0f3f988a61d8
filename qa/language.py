"""Which language a question is in, and the fixed phrases Sanad says in each language.

Only two languages matter to Sanad: Arabic (``"ar"``) and everything else, answered in
English (``"en"``). The decision is the share of Arabic-script letters among all letters.
"""

from __future__ import annotations

from .models import ShortAnswer, iso_value

Language = str  # "ar" | "en"

# Function words that carry no evidence (normalised forms: alef/ya/ta-marbuta folded).
_STOPWORD_TEXT = """
    في من الي علي عن مع ان او ثم قد لقد كان كانت يكون هو هي هم هن انت انا نحن هذا هذه ذلك تلك
    الذي التي الذين ما ماذا من متي اين كيف لماذا هل كم اي ايه لم لن لا نعم بين عند حتي بعد قبل
    خلال منذ كل بعض غير ايضا اذا لكن بل و ف ب ك ل ال به بها له لها فيه فيها عليه عليها منه منها
    the a an of in on at to for from by with and or is are was were be been who what when where
    which why how did does do that this these those it its as into about than then there their
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_NAMES: dict[str, str] = {"ar": "Arabic", "en": "English"}

_INSUFFICIENT: dict[str, str] = {
    "ar": "لا تتضمن المقالات المتاحة ما يكفي من الأدلة للإجابة عن هذا السؤال.",
    "en": "The available articles do not contain enough evidence to answer this question.",
}


_NOTHING_ASKED: dict[str, str] = {
    "ar": "لا يسأل هذا النص عن شيء يمكن البحث عنه في المقالات المتاحة.",
    "en": "This message does not ask anything the available articles could answer.",
}

_ACCORDING_TO: dict[str, str] = {"ar": "بحسب المقالات: {quotes}", "en": "According to the articles: {quotes}"}
# When the quotes are in the other language than the question.
_ACCORDING_TO_OTHER: dict[str, str] = {
    "ar": "بحسب المقالات (بالإنجليزية): {quotes}",
    "en": "According to the articles (in Arabic): {quotes}",
}

_SHORT_ANSWER_LABEL: dict[str, str] = {"ar": "الإجابة المختصرة", "en": "Short answer"}


def _is_arabic_letter(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x0600 <= cp <= 0x06FF  # Arabic
        or 0x0750 <= cp <= 0x077F  # Arabic Supplement
        or 0x08A0 <= cp <= 0x08FF  # Arabic Extended-A
        or 0xFB50 <= cp <= 0xFDFF  # Presentation Forms-A
        or 0xFE70 <= cp <= 0xFEFF  # Presentation Forms-B
    )


def detect_language(text: str, *, threshold: float = 0.5, default: str = "ar") -> str:
    """``"ar"`` when at least ``threshold`` of the letters are Arabic script, else ``"en"``.

    Digits, punctuation and Arabic diacritics are not letters and do not count. Text without
    any letter gets ``default`` (Sanad is Arabic-first).
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return default
    arabic = sum(1 for ch in letters if _is_arabic_letter(ch))
    return "ar" if arabic / len(letters) >= threshold else "en"


def language_name(language: str) -> str:
    """The English name of a language code, for prompts ("ar" → "Arabic")."""
    return _NAMES.get(language, "English")


def insufficient_evidence_text(language: str) -> str:
    """What Sanad says when the articles do not support an answer."""
    return _INSUFFICIENT.get(language, _INSUFFICIENT["en"])


def nothing_asked_text(language: str) -> str:
    """What Sanad says to a message with no content word, or one that addresses the system."""
    return _NOTHING_ASKED.get(language, _NOTHING_ASKED["en"])


def according_to(language: str, quotes: str) -> str:
    """The quoted sentences framed in the question's language ("According to the articles: …")."""
    frames = _ACCORDING_TO if detect_language(quotes, default=language) == language else _ACCORDING_TO_OTHER
    return frames.get(language, frames["en"]).format(quotes=quotes)


def short_answer_label(language: str) -> str:
    """The label before the short answer ("Short answer", "الإجابة المختصرة")."""
    return _SHORT_ANSWER_LABEL.get(language, _SHORT_ANSWER_LABEL["en"])


def short_answer_line(language: str, short: ShortAnswer) -> str:
    """``الإجابة المختصرة: 2025-08-13 (13 أغسطس/آب الماضي) [1]``: the absolute date first when the span resolves."""
    resolved = short.date is not None or short.range is not None
    value = f"{iso_value(short.date, short.range)} ({short.text})" if resolved else short.text
    return f"{short_answer_label(language)}: {value} [{short.citation}]"
