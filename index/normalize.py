"""Arabic text normalisation, shared by the lexical index, citation checks and evaluation.

``normalise`` folds the forms that vary in written Arabic without changing meaning:

* diacritics (harakat, tanwin, shadda, sukun, dagger alef), Quranic annotation marks and
  every other combining mark (so Latin accents go too: ``café`` → ``cafe``);
* tatweel and invisible format characters (ZWNJ, ZWJ, direction marks, BOM);
* alef/hamza forms (أ إ آ ٱ ٲ ٳ ٵ → ا; ؤ → و; ئ → ي), alef maqsura (ى → ي), ta marbuta
  (ة → ه), Persian/Urdu letter shapes (ی ک ۀ ە → ي ك ه ه);
* presentation forms and ligatures (ﻻ → لا), full-width and other compatibility forms (NFKD);
* Arabic-Indic and Eastern Arabic-Indic digits → ASCII; Arabic punctuation (، ؛ ؟ ٫ ٬ « »)
  → ASCII; no-break and other spaces → " ";
* Latin is case-folded.

The folding is done character by character, so ``normalise_with_map`` can return, for every
character of the result, the index of the input character it came from: a match found in
normalised text maps back to exact offsets in the original. ``normalise(text)`` is exactly
the first half of ``normalise_with_map(text)``, and normalising twice changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TATWEEL = "\u0640"
# Arabic marks that are not all of category Mn: small high letters, Quranic stops and signs.
_ARABIC_MARKS = frozenset(
    [chr(c) for c in range(0x0610, 0x061B)]
    + [chr(c) for c in range(0x064B, 0x0660)]
    + ["\u0670"]
    + [chr(c) for c in range(0x06D6, 0x06EE) if c not in (0x06DE, 0x06E9)]  # keep the two symbols
    + [chr(c) for c in range(0x08D3, 0x0900) if c != 0x08E2]
)
# Folded after compatibility decomposition; every value is one character or none.
_CHAR_MAP: dict[str, str] = {
    "\u0671": "\u0627",  # ٱ alef wasla → ا
    "\u0672": "\u0627",  # ٲ → ا
    "\u0673": "\u0627",  # ٳ → ا
    "\u0649": "\u064a",  # ى alef maqsura → ي
    "\u0629": "\u0647",  # ة ta marbuta → ه
    "\u06cc": "\u064a",  # ی Farsi yeh → ي
    "\u06d2": "\u064a",  # ے yeh barree → ي
    "\u06a9": "\u0643",  # ک keheh → ك
    "\u06af": "\u0643",  # گ gaf → ك
    "\u06c1": "\u0647",  # ہ heh goal → ه
    "\u06d5": "\u0647",  # ە ae → ه
    "\u0674": "",  # high hamza (from ٵ ٶ ٷ ٸ) is dropped like the other hamza carriers' marks
    **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + i): str(i) for i in range(10)},  # Eastern Arabic-Indic digits
    "\u060c": ",",  # ، Arabic comma
    "\u061b": ";",  # ؛ Arabic semicolon
    "\u061f": "?",  # ؟ Arabic question mark
    "\u066a": "%",  # ٪ Arabic percent
    "\u066b": ".",  # ٫ Arabic decimal separator
    "\u066c": ",",  # ٬ Arabic thousands separator
    "\u06d4": ".",  # ۔ Arabic full stop
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u2013": "-",
    "\u2014": "-",
}


def _fold_once(ch: str) -> str:
    out: list[str] = []
    for c in unicodedata.normalize("NFKD", ch.casefold()):
        if c == _TATWEEL or c in _ARABIC_MARKS:
            continue
        cat = unicodedata.category(c)
        if cat in ("Mn", "Me", "Cf"):  # combining marks, invisible format characters
            continue
        if cat == "Zs" or c in "\t\n\r\v\f":  # keep line structure, unify spaces
            out.append(c if c in "\t\n\r\v\f" else " ")
            continue
        out.append(_CHAR_MAP.get(c, c))
    return "".join(out)


@lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """Normalise one character: zero, one or (for ligatures) several characters.

    Applied until nothing changes, so every character of a result folds to itself.
    """
    current = ch
    for _ in range(4):
        nxt = "".join(_fold_once(c) for c in current)
        if nxt == current:
            break
        current = nxt
    return current


class _Folds(dict[int, str]):
    """``str.translate``'s table of :func:`fold_char`, filled as characters are met (at most
    :data:`_FOLDS_MAX` of them kept: text of every code point cannot grow it without bound)."""

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        if len(self) < _FOLDS_MAX:
            self[code] = folded
        return folded


_FOLDS_MAX = 65536
_FOLDS = _Folds()


def normalise(text: str) -> str:
    """Fold Arabic (and Latin) spelling variants; see the module docstring. (Each character by
    :func:`fold_char`, through one translate table: twice as fast as joining them one by one.)"""
    return text.translate(_FOLDS)


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """``normalise(text)`` plus, for each output character, the index of its input character.

    The index list is non-decreasing, and ``text[index[i]]`` is the character that produced
    output character ``i``; a normalised match ``[a, b)`` maps back to ``text[index[a] : index[b-1] + 1]``.
    """
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = fold_char(ch)
        if folded:
            out.append(folded)
            index.extend([i] * len(folded))
    return "".join(out), index


_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Normalised word tokens (no stemming)."""
    return _WORD.findall(normalise(text))


def tokens_with_spans(text: str) -> list[tuple[str, int, int]]:
    """Normalised word tokens with their ``[start, end)`` character offsets in ``text``."""
    norm, index = normalise_with_map(text)
    return [(m.group(), index[m.start()], index[m.end() - 1] + 1) for m in _WORD.finditer(norm)]


def squash_spaces(text: str) -> str:
    return " ".join(text.split())
