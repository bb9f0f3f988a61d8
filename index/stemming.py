"""Light Arabic stemming for the lexical index: strip common prefixes and suffixes.

Three stemmers implement one Protocol (``name`` + ``stem(token)``) and work on tokens that
are already normalised by :mod:`index.normalize` (so ة is ه, ى is ي, hamza forms are ا):

* :class:`LightStemmer` — hand-written, after Larkey's *light10*: the conjunction و/ف, the
  article and its attached prepositions (ال وال بال كال فال لل), then common suffixes.
* :class:`SnowballStemmer` — PyStemmer's Snowball Arabic.
* :class:`TashaphyneStemmer` — tashaphyne's ``ArabicLightStemmer``.

``benchmarks/retrieval_lab.py`` compares them (MRR on the QA sets and speed); the default
(:data:`DEFAULT_STEMMER`) is the winner. Latin and digit tokens pass through unchanged.
:func:`index_terms` is the one text → terms function the lexical index and its queries share:
stems plus character 4-grams of the words (:func:`analyse` gives the stems alone).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol, runtime_checkable

from .errors import ConfigError
from .normalize import normalise

_ARABIC_WORD = re.compile(r"[\u0621-\u064a]+")
_WORD = re.compile(r"\w+", re.UNICODE)


@runtime_checkable
class Stemmer(Protocol):
    """Maps one normalised token to its stem."""

    @property
    def name(self) -> str: ...

    def stem(self, token: str) -> str: ...


class NoStemmer:
    """The identity: normalised tokens as they are."""

    name = "none"

    def stem(self, token: str) -> str:
        return token


# light10 (Larkey, Ballesteros & Connell 2002), written for normalised text (ة → ه, ى → ي).
LIGHT10_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
LIGHT10_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
# A few more attached pronouns and plural endings; measured against light10 in the lab.
EXTRA_SUFFIXES = ("هما", "كما", "هم", "هن", "كم", "كن", "نا", "تم", "وا", "تين", "تان")


class LightStemmer:
    """Strip one conjunction, one article form, then suffixes, keeping at least ``min_stem`` letters.

    Only و is stripped as a conjunction by default: stripping ف too (``-wf``) breaks فرنسا,
    فلسطين, فريق… and measured no better.
    """

    def __init__(
        self,
        prefixes: Sequence[str] = LIGHT10_PREFIXES,
        suffixes: Sequence[str] = LIGHT10_SUFFIXES,
        *,
        min_stem: int = 2,
        conjunctions: str = "و",
        name: str = "light10",
    ) -> None:
        self.prefixes = tuple(sorted(prefixes, key=len, reverse=True))
        self.suffixes = tuple(suffixes)
        self.min_stem = min_stem
        self.conjunctions = conjunctions
        self._name = name
        self.stem = lru_cache(maxsize=200_000)(self._stem)  # type: ignore[method-assign]

    @property
    def name(self) -> str:
        return self._name

    def stem(self, token: str) -> str:  # replaced by the cached version in __init__
        return self._stem(token)

    def _stem(self, token: str) -> str:
        if not _ARABIC_WORD.fullmatch(token):
            return token
        word = token
        if len(word) > 3 and word[0] in self.conjunctions and not word.startswith(("وال", "فال")):
            word = word[1:]
        for prefix in self.prefixes:
            if word.startswith(prefix) and len(word) - len(prefix) >= self.min_stem:
                word = word[len(prefix) :]
                break
        for suffix in self.suffixes:
            if word.endswith(suffix) and len(word) - len(suffix) >= self.min_stem:
                word = word[: -len(suffix)]
        return word


class SnowballStemmer:
    """PyStemmer's Snowball Arabic; a final ه is read as ta marbuta (ة) so that its rules fire."""

    name = "snowball"

    def __init__(self) -> None:
        try:
            import Stemmer as pystemmer
        except ImportError as exc:  # pragma: no cover - dependency is required
            raise ConfigError("PyStemmer is not installed: pip install PyStemmer") from exc
        impl = pystemmer.Stemmer("arabic")
        impl.maxCacheSize = 200_000
        self._impl = impl

    def stem(self, token: str) -> str:
        if not _ARABIC_WORD.fullmatch(token):
            return token
        if token.endswith("\u0647"):
            token = token[:-1] + "\u0629"
        return normalise(str(self._impl.stemWord(token)))


class TashaphyneStemmer:
    """tashaphyne's light stemmer (affix lists of the Arabic morphology)."""

    name = "tashaphyne"

    def __init__(self) -> None:
        try:
            from tashaphyne.stemming import ArabicLightStemmer
        except ImportError as exc:  # pragma: no cover - optional
            raise ConfigError("tashaphyne is not installed: pip install tashaphyne") from exc
        self._impl = ArabicLightStemmer()
        self.stem = lru_cache(maxsize=200_000)(self._stem)  # type: ignore[method-assign]

    def stem(self, token: str) -> str:  # replaced by the cached version in __init__
        return self._stem(token)

    def _stem(self, token: str) -> str:
        if not _ARABIC_WORD.fullmatch(token):
            return token
        return normalise(str(self._impl.light_stem(token))) or token


_FACTORIES: dict[str, Callable[[], Stemmer]] = {
    "none": NoStemmer,
    "light10": LightStemmer,
    "light10-min3": lambda: LightStemmer(min_stem=3, name="light10-min3"),
    "light-ext": lambda: LightStemmer(suffixes=EXTRA_SUFFIXES + LIGHT10_SUFFIXES, name="light-ext"),
    "light-ext-min3": lambda: LightStemmer(
        suffixes=EXTRA_SUFFIXES + LIGHT10_SUFFIXES, min_stem=3, name="light-ext-min3"
    ),
    "light-ext-min3-wf": lambda: LightStemmer(
        suffixes=EXTRA_SUFFIXES + LIGHT10_SUFFIXES, min_stem=3, conjunctions="وف", name="light-ext-min3-wf"
    ),
    "snowball": SnowballStemmer,
    "tashaphyne": TashaphyneStemmer,
}
# Chosen by measurement (benchmarks/retrieval_lab.py --parts stemmers,params,fusion): alone it
# ties light10 and Snowball within ±.005 MRR@10, and in fusion with the dense leg it is the best
# of them on both XQuAD-ar and MLQA; it is also the fastest after the identity.
DEFAULT_STEMMER = "light-ext-min3"
_INSTANCES: dict[str, Stemmer] = {}


def stemmer_names() -> list[str]:
    return list(_FACTORIES)


def make_stemmer(name: str = DEFAULT_STEMMER) -> Stemmer:
    """A new instance of the named stemmer, with an empty cache (``ConfigError`` for an unknown name)."""
    if name not in _FACTORIES:
        raise ConfigError(f"unknown stemmer {name!r}; choose one of {', '.join(_FACTORIES)}", stemmer=name)
    return _FACTORIES[name]()


def get_stemmer(name: str = DEFAULT_STEMMER) -> Stemmer:
    """A shared instance of the named stemmer (``ConfigError`` for an unknown name)."""
    if name not in _INSTANCES:
        _INSTANCES[name] = make_stemmer(name)
    return _INSTANCES[name]


# Function words and question words, normalised. Dropping them from documents and queries gains
# about .006 MRR@10 on XQuAD-ar and MLQA (benchmarks/retrieval_lab.py --parts params) and keeps
# the posting lists that every question would touch out of the index. The English ones keep an
# English question's coverage of an Arabic corpus honest (a stray "the" in a news article is no match).
_STOPWORD_TEXT = """
في من على إلى الى عن مع هل ما ماذا متى أين اين كيف كم لماذا أي اي التي الذي الذين اللذين
اللتين هو هي هم هن هذا هذه ذلك تلك هناك ثم أو او أن ان إن لا لم لن قد كان كانت يكون تكون
و ف ب ل ك بين عند منذ حتى بعد قبل خلال حول ضد تم كل بعض أكثر اكثر غير أيضا ايضا
a an the of in on at to for from by with as and or is are was were be been what which who
whom whose when where why how did does do that this these those it its their there than
"""
STOPWORDS = frozenset(normalise(w) for w in _STOPWORD_TEXT.split())


def words(text: str, *, stopwords: bool = True) -> list[str]:
    """Normalised words of ``text``, stop words dropped (unless ``stopwords=False``)."""
    found = _WORD.findall(normalise(text))
    return [w for w in found if w not in STOPWORDS] if stopwords else found


def char_ngrams(word: str, n: int) -> list[str]:
    """Character n-grams of ``#word#`` (``#`` marks the word's edges); the whole of a short word."""
    padded = f"#{word}#"
    if len(padded) <= n:
        return [padded]
    return [padded[i : i + n] for i in range(len(padded) - n + 1)]


# Character 4-grams next to the stems: measured best for the lexical leg (MRR@10 alone: XQuAD-ar
# .949 vs .927 for stems only, MLQA .732 vs .701; see ``benchmarks/retrieval_lab.py --parts analysers``).
DEFAULT_NGRAM = 4


def index_terms(text: str, stemmer: Stemmer | str = DEFAULT_STEMMER, ngram: int = DEFAULT_NGRAM) -> list[str]:
    """The lexical index's terms: each word's stem, then (``ngram`` > 0) its character n-grams."""
    return terms_of_words(words(text), stemmer, ngram)


def terms_of_words(
    ws: Sequence[str], stemmer: Stemmer | str = DEFAULT_STEMMER, ngram: int = DEFAULT_NGRAM
) -> list[str]:
    """:func:`index_terms` for words already split by :func:`words`."""
    impl = get_stemmer(stemmer) if isinstance(stemmer, str) else stemmer
    terms = [impl.stem(w) for w in ws]
    if ngram > 0:
        terms += [g for w in ws for g in char_ngrams(w, ngram)]
    return terms


_LATIN_WORD = re.compile(r"[a-z\u00df-\u024f]+")


def script_counts(ws: Sequence[str]) -> tuple[int, int]:
    """How many of these normalised words are Arabic-script, and how many Latin-script."""
    arabic = latin = 0
    for w in ws:
        if _ARABIC_WORD.fullmatch(w):
            arabic += 1
        elif _LATIN_WORD.fullmatch(w):
            latin += 1
    return arabic, latin


def analyser_name(stemmer: str = DEFAULT_STEMMER, ngram: int = DEFAULT_NGRAM) -> str:
    """Names an index_terms configuration, e.g. ``light-ext-min3+4gram``."""
    return f"{stemmer}+{ngram}gram" if ngram > 0 else stemmer


def analyse(text: str, stemmer: Stemmer | str = DEFAULT_STEMMER, *, stopwords: bool = True) -> list[str]:
    """Text → lexical terms: normalise, split into words, drop stop words, stem each word."""
    impl = get_stemmer(stemmer) if isinstance(stemmer, str) else stemmer
    stem = impl.stem
    return [stem(w) for w in words(text, stopwords=stopwords)]
