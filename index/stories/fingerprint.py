"""Sentence fingerprints: what makes two sentences "the same" across articles.

A sentence's *key* is its words after :func:`index.normalize.normalise` (diacritics, hamza forms,
ta marbuta, digits, Latin case …), punctuation and spacing dropped: "سورية، وتركيا" and
"سوريه وتركيا" have one key. Its *fingerprint* is a 16-hex digest of the key (exact copies).

Near-identical sentences (a word changed, a credit appended) are found by MinHash over the
sentence's word set (datasketch, ``NUM_PERM`` permutations), cut into ``BANDS`` bands of
``ROWS`` values: two sentences that agree on a whole band are candidates, and a candidate pair is
kept only when :func:`near_identical` says so on the actual word sets. Only sentences of at least
``MIN_WORDS`` words take part (a dateline such as "الرياض - واس" is no evidence of a shared story).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..documents import Article
from ..normalize import normalise
from ..sentences import split_sentences
from .substitution import substituted

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
MIN_WORDS = 5
"""Shorter sentences get a key but no say in grouping."""

NEAR_JACCARD = 0.7
"""Word-set Jaccard at or above which two sentences are near-identical."""
NEAR_CONTAINED = 0.9
"""…or the share of the shorter sentence's words found in the longer one (an appended credit)…"""
NEAR_CONTAINED_MIN_WORDS = 8
"""…when the shorter one has at least this many words and their Jaccard is at least ``NEAR_CONTAINED_JACCARD``
(a short sentence whose words all occur in a long one is not its copy)."""
NEAR_CONTAINED_JACCARD = 0.5

_WORD = re.compile(r"\w+", re.UNICODE)
_PRIME = np.uint64(0x100000001B3)
_SALT = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class SentencePrint:
    """One sentence of an article: ``article.text[start:end]``, its key and fingerprint."""

    pos: int
    start: int
    end: int
    key: str
    fingerprint: str

    @property
    def words(self) -> int:
        return self.key.count(" ") + 1 if self.key else 0

    @property
    def eligible(self) -> bool:
        return self.words >= MIN_WORDS


def sentence_key(text: str) -> str:
    """The normalised words of ``text`` joined by one space (see the module docstring)."""
    return " ".join(_WORD.findall(normalise(text)))


def digest(key: str) -> str:
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def body_fingerprint(text: str) -> str:
    """The fingerprint of a whole text (identical bodies, whatever their spacing and punctuation)."""
    return digest(sentence_key(text))


def sentence_prints(article: Article) -> list[SentencePrint]:
    """Every sentence of the article (the same split the chunker uses), in order."""
    out: list[SentencePrint] = []
    for span in split_sentences(article.text):
        key = sentence_key(article.text[span.start : span.end])
        if key:
            out.append(SentencePrint(len(out), span.start, span.end, key, digest(key)))
    return out


def word_set(key: str) -> frozenset[str]:
    return frozenset(key.split(" ")) if key else frozenset()


def _numbers(words: frozenset[str]) -> set[str]:
    return {w for w in words if any(c.isdigit() for c in w)}


def near_identical(a: frozenset[str], b: frozenset[str]) -> float:
    """The similarity of two word sets when they are near-identical (see the constants), else 0.0:
    their Jaccard, or their containment when the shorter lies almost whole in the longer. Two
    sentences that each hold a number the other lacks state different facts (36 or 63 graduates,
    winds of 15-35 or 18-38 km/h), and so do two that each hold a content word the other lacks
    (:func:`.substitution.substituted`: "في وداعه" / "في استقباله"): never near-identical."""
    if not a or not b:
        return 0.0
    if _numbers(a - b) and _numbers(b - a):
        return 0.0
    shared = len(a & b)
    jaccard = shared / (len(a) + len(b) - shared)
    small = min(len(a), len(b))
    if jaccard >= NEAR_JACCARD:
        sim = jaccard
    elif small >= NEAR_CONTAINED_MIN_WORDS and jaccard >= NEAR_CONTAINED_JACCARD and shared / small >= NEAR_CONTAINED:
        sim = shared / small
    else:
        return 0.0
    return 0.0 if substituted(a, b) else sim


def band_keys(keys: Sequence[str]) -> list[list[int]]:
    """The ``BANDS`` LSH band hashes (signed 64-bit, for SQLite) of each sentence key's MinHash."""
    if not keys:
        return []
    from datasketch import MinHash  # scipy comes with it: loaded only when something is fingerprinted

    sets = [[w.encode("utf-8") for w in set(k.split(" "))] for k in keys]
    values = np.vstack([m.hashvalues for m in MinHash.bulk(sets, num_perm=NUM_PERM)]).astype(np.uint64)
    rows = values.reshape(len(keys), BANDS, ROWS)
    with np.errstate(over="ignore"):  # 64-bit multiply-xor mixing wraps by design
        h = np.broadcast_to(np.arange(1, BANDS + 1, dtype=np.uint64) * _SALT, (len(keys), BANDS)).copy()
        for r in range(ROWS):
            h = (h ^ rows[:, :, r]) * _PRIME
            h ^= h >> np.uint64(29)
    return [[int(x) for x in row] for row in h.view(np.int64)]
