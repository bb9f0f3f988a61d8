"""Light Arabic stemming and the lexical analyser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.errors import ConfigError
from index.normalize import normalise
from index.stemming import (
    DEFAULT_STEMMER,
    STOPWORDS,
    LightStemmer,
    analyse,
    char_ngrams,
    get_stemmer,
    index_terms,
    stemmer_names,
    words,
)

ARABIC_WORD = st.text(st.sampled_from(list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي")), min_size=1, max_size=12)


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("والمعلمون", "معلم"),
        ("بالمدرسة", "مدرس"),
        ("للطلاب", "طلاب"),
        ("كتابهم", "كتاب"),
        ("المعلمات", "معلم"),
        ("مدرستنا", "مدرست"),
        ("الرياضيين", "رياض"),
    ],
)
def test_default_stemmer_strips_common_affixes(word: str, stem: str) -> None:
    assert get_stemmer().stem(normalise(word)) == stem


def test_variants_share_a_stem() -> None:
    s = get_stemmer()
    forms = ["المحادثات", "محادثات", "والمحادثات", "بالمحادثات"]
    assert len({s.stem(normalise(w)) for w in forms}) == 1


def test_latin_and_digits_pass_through() -> None:
    s = get_stemmer()
    assert s.stem("2025") == "2025"
    assert s.stem("ankara") == "ankara"


def test_short_words_are_kept() -> None:
    s = LightStemmer(min_stem=3)
    assert s.stem("وله") == "وله"  # stripping would leave fewer than three letters
    assert s.stem("بال") == "بال"


@pytest.mark.parametrize("name", stemmer_names())
@given(word=ARABIC_WORD)
@settings(deadline=None)  # tashaphyne's first call loads its affix tables
def test_every_stemmer_returns_a_nonempty_arabic_stem(name: str, word: str) -> None:
    if name == "tashaphyne":
        pytest.importorskip("tashaphyne", reason="tashaphyne is only compared in the lab, not a dependency")
    stem = get_stemmer(name).stem(word)
    assert stem
    assert normalise(stem) == stem


@given(word=ARABIC_WORD)
def test_light_stem_is_a_substring(word: str) -> None:
    assert get_stemmer(DEFAULT_STEMMER).stem(word) in word


def test_unknown_stemmer_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown stemmer"):
        get_stemmer("porter-ar")


def test_analyse_normalises_drops_stopwords_and_stems() -> None:
    assert analyse("ذهبَ المعلّمون إلى المدرسة في الصباح") == ["ذهب", "معلم", "مدرس", "صباح"]
    assert analyse("ما هي عاصمة فرنسا؟") == ["عاصم", "فرنسا"]  # ف is not stripped as a conjunction
    assert analyse("وفرنسا") == ["فرنسا"]
    assert analyse("في من", stopwords=False) == ["في", "من"]
    assert all(normalise(w) == w for w in STOPWORDS)


def test_words_and_ngrams() -> None:
    assert words("The capital of France") == ["capital", "france"]
    assert char_ngrams("كتاب", 4) == ["#كتا", "كتاب", "تاب#"]
    assert char_ngrams("من", 4) == ["#من#"]
    terms = index_terms("المدرسة")
    assert terms[0] == "مدرس" and "#الم" in terms and "رسه#" in terms
    assert index_terms("المدرسة", ngram=0) == ["مدرس"]
