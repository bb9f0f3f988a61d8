"""Bytes to text for the readers: BOM, UTF-8 or Arabic Windows-1256 detection, and cleaning.

:func:`decode_bytes` turns a file's bytes into text or raises ``ValueError`` with a plain reason
(binary data, an undecodable encoding); :func:`clean_text` is the normalisation every piece of
article text goes through (line ends → ``\\n``, NFC, a stray BOM removed). Part of
:mod:`index.readers`, which re-exports :func:`decode_bytes`.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

SHORT_ARABIC_LETTERS = 40
"""Below this many Arabic letters the alef/lam share is not used to tell Arabic from mojibake."""

_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _looks_arabic(text: str) -> bool:
    """True for real Arabic text (as cp1256 would decode it), not Cyrillic or Latin mojibake."""
    letters = sum(1 for c in text if c.isalpha())
    arabic = sum(1 for c in text if "\u0600" <= c <= "\u06ff" and c.isalpha())
    if not arabic or arabic < 0.5 * letters:
        return False
    # cp1256 keeps a few French letters (à â ç è é …); Greek or Cyrillic mojibake is full of them.
    accented = sum(1 for c in text if "\u00c0" <= c <= "\u00ff" and c.isalpha())
    if accented > 0.02 * letters + 2:
        return False
    # Alef and lam are about a fifth of all letters in Arabic prose; mojibake rarely has them. A
    # short text (a headline, "خبر قصير") may have none: there the share is not a statistic.
    if arabic < SHORT_ARABIC_LETTERS:
        return arabic == letters or arabic >= 0.8 * letters
    return text.count("ا") + text.count("ل") >= 0.1 * arabic


def clean_text(text: str) -> str:
    """Line ends → ``\\n``, NFC, a stray leading BOM removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):  # the check is much faster than normalising
        text = unicodedata.normalize("NFC", text)
    return text.removeprefix("\ufeff")


def _control_ratio(text: str) -> float:
    """Share of characters that do not occur in text: C0 controls (bar tab/newline/FF/VT), DEL, U+FFFD."""
    return len(_CONTROL.findall(text)) / max(1, len(text))


def decode_bytes(data: bytes, *, clean: bool = True) -> str:
    """Decode a file's bytes to clean text; raises ``ValueError`` with a plain reason.

    ``clean=False`` skips line-end and NFC normalisation (JSON readers clean each string instead).

    Tries a BOM (UTF-8, UTF-16, UTF-32), then UTF-8, then Windows-1256 (Arabic) when it decodes
    cleanly and reads as Arabic. NUL bytes or mostly control characters mean binary data.
    """
    if not data:
        raise ValueError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise ValueError(f"not valid {encoding.upper()} text, though it starts with a {encoding} BOM") from None
            break
    else:
        if b"\x00" in data:
            raise ValueError("binary file (contains NUL bytes), not text; UTF-16 text needs a byte-order mark")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            try:
                text = data.decode("cp1256")
            except UnicodeDecodeError:
                text = ""
            if not text or not _looks_arabic(text):
                raise ValueError(
                    f"not UTF-8 text (invalid byte at offset {exc.start}), nor Arabic Windows-1256"
                ) from None
    text = clean_text(text) if clean else text.removeprefix("\ufeff")
    if "\x00" in text or _control_ratio(text) > 0.05:
        raise ValueError("binary data (mostly control characters), not text")
    return text
