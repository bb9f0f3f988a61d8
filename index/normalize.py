"""Arabic text normalisation, shared by the lexical index, citation checks and evaluation.

``normalise`` folds the forms that vary in written Arabic without changing meaning:
diacritics and Quranic marks, tatweel, alef/hamza forms, alef maqsura, ta marbuta,
Arabic-Indic digits; Latin is case-folded. ``normalise_with_map`` also returns, for every
character of the result, its index in the input, so a match found in normalised text can
be mapped back to exact offsets in the original.
"""

from __future__ import annotations

import re
import unicodedata

# Harakat, tanwin, shadda, sukun, dagger alef, Quranic annotation marks, small high letters.
_DIACRITICS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u08d3-\u08ff]"
)
_TATWEEL = "\u0640"
_CHAR_MAP = str.maketrans(
    {
        "\u0622": "\u0627",  # آ → ا
        "\u0623": "\u0627",  # أ → ا
        "\u0625": "\u0627",  # إ → ا
        "\u0671": "\u0627",  # ٱ → ا
        "\u0649": "\u064a",  # ى → ي
        "\u0629": "\u0647",  # ة → ه
        "\u0624": "\u0648",  # ؤ → و
        "\u0626": "\u064a",  # ئ → ي
        "\u06cc": "\u064a",  # Persian yeh → ي
        "\u06a9": "\u0643",  # keheh → ك
        # Arabic-Indic and Eastern Arabic-Indic digits → ASCII
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        "\u060c": ",",  # Arabic comma
        "\u061b": ";",  # Arabic semicolon
        "\u061f": "?",  # Arabic question mark
        "\u066b": ".",  # Arabic decimal separator
        "\u066c": ",",  # Arabic thousands separator
        "\u00a0": " ",
    }
)


def _fold_char(ch: str) -> str:
    """Normalise one character; '' when it is dropped."""
    if ch == _TATWEEL or _DIACRITICS.match(ch):
        return ""
    return ch.translate(_CHAR_MAP).casefold()


def normalise(text: str) -> str:
    """Fold Arabic spelling variants; keeps one output char per kept input char (mostly)."""
    text = unicodedata.normalize("NFC", text)
    return "".join(_fold_char(ch) for ch in text)


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Like :func:`normalise` on the exact input (no NFC), plus each output char's input index."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        for c in folded:
            out.append(c)
            index.append(i)
    return "".join(out), index


_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Normalised word tokens (no stemming)."""
    return _WORD.findall(normalise(text))


def squash_spaces(text: str) -> str:
    return " ".join(text.split())
