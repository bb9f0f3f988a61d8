"""Light Arabic stemming for the lexical index: strip common prefixes and suffixes.

Three stemmers implement one Protocol (``name`` + ``stem(token)``) and work on tokens that
are already normalised by :mod:`index.normalize` (so ة is ه, ى is ي, hamza forms are ا):

* :class:`LightStemmer` — hand-written, after Larkey's *light10*: the conjunction و/ف, the
  article and its attached prepositions (ال وال بال كال فال لل), then common suffixes.
* :class:`SnowballStemmer` — PyStemmer's Snowball Arabic.
* :class:`TashaphyneStemmer` — tashaphyne's ``ArabicLightStemmer``.

``benchmarks/retrieval_lab.py`` compares them (MRR on the QA sets and speed); the default
(:data:`DEFAULT_STEMMER`) is the winner. Latin and digit tokens pass through unchanged.
:func:`analyse` is the one text → terms function the lexical index and its queries share.
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
    """Strip one conjunction, one article form, then suffixes, keeping at least ``min_stem`` letters."""

    def __init__(
        self,
        prefixes: Sequence[str] = LIGHT10_PREFIXES,
        suffixes: Sequence[str] = LIGHT10_SUFFIXES,
        *,
        min_stem: int = 2,
        strip_conjunction: bool = True,
        name: str = "light10",
    ) -> None:
        self.prefixes = tuple(sorted(prefixes, key=len, reverse=True))
        self.suffixes = tuple(suffixes)
        self.min_stem = min_stem
        self.strip_conjunction = strip_conjunction
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
        if self.strip_conjunction and len(word) > 3 and word[0] in "وف" and not word.startswith(("وال", "فال")):
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
    "snowball": SnowballStemmer,
    "tashaphyne": TashaphyneStemmer,
}
DEFAULT_STEMMER = "light10"
_INSTANCES: dict[str, Stemmer] = {}


def stemmer_names() -> list[str]:
    return list(_FACTORIES)


def get_stemmer(name: str = DEFAULT_STEMMER) -> Stemmer:
    """A shared instance of the named stemmer (``ConfigError`` for an unknown name)."""
    if name not in _FACTORIES:
        raise ConfigError(f"unknown stemmer {name!r}; choose one of {', '.join(_FACTORIES)}", stemmer=name)
    if name not in _INSTANCES:
        _INSTANCES[name] = _FACTORIES[name]()
    return _INSTANCES[name]


# Function words and question words, normalised. Dropping them from documents and queries gains
# about .006 MRR@10 on XQuAD-ar and MLQA (benchmarks/retrieval_lab.py --parts params) and keeps
# the posting lists that every question would touch out of the index.
STOPWORDS = frozenset(
    normalise(w)
    for w in [
        *[
            "في",
            "من",
            "على",
            "إلى",
            "الى",
            "عن",
            "مع",
            "هل",
            "ما",
            "ماذا",
            "متى",
            "أين",
            "اين",
            "كيف",
            "كم",
            "لماذا",
            "أي",
            "اي",
            "التي",
            "الذي",
            "الذين",
            "اللذين",
        ],
        *[
            "اللتين",
            "هو",
            "هي",
            "هم",
            "هن",
            "هذا",
            "هذه",
            "ذلك",
            "تلك",
            "هناك",
            "ثم",
            "أو",
            "او",
            "أن",
            "ان",
            "إن",
            "لا",
            "لم",
            "لن",
            "قد",
            "كان",
            "كانت",
            "يكون",
            "تكون",
        ],
        *[
            "و",
            "ف",
            "ب",
            "ل",
            "ك",
            "بين",
            "عند",
            "منذ",
            "حتى",
            "بعد",
            "قبل",
            "خلال",
            "حول",
            "ضد",
            "تم",
            "كل",
            "بعض",
            "أكثر",
            "اكثر",
            "غير",
            "أيضا",
            "ايضا",
        ],
    ]
)


def analyse(text: str, stemmer: Stemmer | str = DEFAULT_STEMMER, *, stopwords: bool = True) -> list[str]:
    """Text → lexical terms: normalise, split into words, drop stop words, stem each word."""
    impl = get_stemmer(stemmer) if isinstance(stemmer, str) else stemmer
    stem = impl.stem
    words = _WORD.findall(normalise(text))
    if stopwords:
        return [stem(w) for w in words if w not in STOPWORDS]
    return [stem(w) for w in words]
