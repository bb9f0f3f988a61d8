"""The Arabic normaliser: folding rules, and properties that citation checks rely on."""

from __future__ import annotations

import itertools
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from index.normalize import fold_char, normalise, normalise_with_map, tokens, tokens_with_spans

# Arabic letters, harakat, Quranic marks, digits, tatweel, presentation forms, Latin, spaces, marks.
ARABIC_ALPHABET = st.characters(
    codec="utf-8",
    categories=("L", "M", "N", "P", "Zs", "Cf", "S"),
)
ARABIC_HEAVY = st.sampled_from(
    list("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىةٱـ")
    + [chr(c) for c in range(0x064B, 0x0653)]  # harakat, tanwin, shadda, sukun
    + ["\u0670", "\u06d6", "\u06e5", "\u200c", "\u200f", "\ufefb", "\ufe8d"]
    + [chr(0x0660 + i) for i in range(10)]
    + list("،؛؟«» .\n")
)
TEXT = st.text(st.one_of(ARABIC_HEAVY, ARABIC_ALPHABET), max_size=60)


def test_diacritics_and_tatweel_are_removed() -> None:
    assert normalise("إِنَّ الْمُعَلِّمَةَ") == "ان المعلمه"
    assert normalise("كتـــاب") == "كتاب"
    assert normalise("ٱلْحَمْدُ لِلَّهِ") == "الحمد لله"
    assert normalise("قرآنٌ ۖ") == "قران "


def test_alef_ya_ta_marbuta_folding() -> None:
    assert normalise("أحمد إبراهيم آمال ٱسم") == "احمد ابراهيم امال اسم"
    assert normalise("مصطفى على") == "مصطفي علي"
    assert normalise("مدرسة") == "مدرسه"
    assert normalise("مؤتمر رئيس") == "موتمر رييس"


def test_digits_punctuation_and_latin() -> None:
    assert normalise("عام ٢٠٢٥ و۱۳٫۵٪") == "عام 2025 و13.5%"
    assert normalise("ماذا؟ نعم، «حسنا»؛") == 'ماذا? نعم, "حسنا";'
    assert normalise("Café İstanbul ＡＢＣ") == "cafe istanbul abc"


def test_invisible_characters_and_ligatures() -> None:
    assert normalise("كتاب\u200cه\u200f") == "كتابه"
    assert normalise("\ufefb") == "لا"  # lam-alef ligature
    assert tokens("ﻻ يوجد") == ["لا", "يوجد"]


def test_nfc_and_nfd_inputs_fold_the_same() -> None:
    text = "café مُعَلِّم"
    assert normalise(unicodedata.normalize("NFC", text)) == normalise(unicodedata.normalize("NFD", text))


@given(TEXT)
@settings(max_examples=400)
def test_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@given(TEXT)
@settings(max_examples=400)
def test_map_is_monotonic_and_in_range(text: str) -> None:
    norm, index = normalise_with_map(text)
    assert norm == normalise(text)
    assert len(index) == len(norm)
    assert all(0 <= i < len(text) for i in index)
    assert all(a <= b for a, b in itertools.pairwise(index))
    for out_pos, in_pos in enumerate(index):  # every output character comes from its mapped input character
        assert norm[out_pos] in fold_char(text[in_pos])


@given(TEXT, TEXT, TEXT)
@settings(max_examples=200)
def test_a_normalised_match_maps_back_to_the_original(before: str, quote: str, after: str) -> None:
    text = before + quote + after
    norm, index = normalise_with_map(text)
    needle = normalise(quote)
    if not needle:
        return
    at = len(normalise(before))
    assert norm[at : at + len(needle)] == needle  # per-character folding: concatenation commutes
    start, end = index[at], index[at + len(needle) - 1] + 1
    assert normalise(text[start:end]) == needle


@given(TEXT)
def test_output_has_no_marks_or_tatweel(text: str) -> None:
    out = normalise(text)
    assert "\u0640" not in out
    assert not any(unicodedata.category(c) in ("Mn", "Me", "Cf") for c in out)
    assert not any(c in out for c in "أإآٱىة")


@given(TEXT)
def test_token_spans_point_at_their_words(text: str) -> None:
    for token, start, end in tokens_with_spans(text):
        assert token in normalise(text[start:end])
    assert [t for t, _, _ in tokens_with_spans(text)] == tokens(text)


def test_the_translate_table_folds_every_character_and_stays_bounded() -> None:
    from index import normalize

    everything = "".join(chr(c) for c in range(0, 0x30000, 3))  # 65,536 code points and more
    assert normalise(everything) == "".join(fold_char(ch) for ch in everything)
    assert len(normalize._FOLDS) <= normalize._FOLDS_MAX
    assert normalise("أَحْمَدُ") == normalise("احمد")  # folded after the table filled up, as before
