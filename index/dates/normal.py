"""The text the date patterns match, and the way back to the original offsets.

Normalising folds spelling variants (``أ إ آ ٱ`` → ``ا``, ``ى`` → ``ي``, ``ة`` → ``ه``, Arabic-Indic and
Eastern digits → ASCII, Latin lower case) one character for one, and drops what carries no letter
(diacritics, tatweel, zero-width and direction marks). ``Folded.span`` maps a span of the folded text
back to the original, so ``text[start:end]`` is always the mention as written, diacritics included.
"""

from __future__ import annotations

from dataclasses import dataclass

_FOLD = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": ""}
_FOLD.update({chr(0x0660 + d): str(d) for d in range(10)})  # Arabic-Indic digits
_FOLD.update({chr(0x06F0 + d): str(d) for d in range(10)})  # Eastern Arabic-Indic digits
_DROP = {chr(c) for c in range(0x064B, 0x0660)} | {"\u0670", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c"}


@dataclass(frozen=True)
class Folded:
    """Folded text and, for each of its characters, the index of the original character."""

    text: str
    origin: tuple[int, ...]
    original: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` of the folded ``[start, end)``; marks after the last letter
        (a tanween on ``غداً``) belong to the mention."""
        o_start = self.origin[start]
        o_end = self.origin[end - 1] + 1
        while o_end < len(self.original) and self.original[o_end] in _DROP_OR_TATWEEL:
            o_end += 1
        return o_start, o_end


_DROP_OR_TATWEEL = _DROP | {"ـ"}


def fold(text: str) -> Folded:
    """Fold ``text`` for matching (see the module docstring)."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch in _DROP:
            continue
        out = _FOLD.get(ch)
        if out is None:
            low = ch.lower()
            out = low if len(low) == 1 else ch
        if out:
            chars.append(out)
            origin.append(i)
    return Folded("".join(chars), tuple(origin), text)


def fold_word(text: str) -> str:
    """One word or phrase folded (for looking words up in the tables)."""
    return " ".join(fold(text).text.split())
