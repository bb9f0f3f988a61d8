"""Near-duplicate passages of a ranking folded into one hit that carries its copies.

Two passages of different articles are copies when at least ``COPY_SHARE`` of the shorter one's
eligible sentences (:data:`~.fingerprint.MIN_WORDS` words or more) have the same fingerprint in the
other, or when their word sets are near-identical as a whole (Jaccard ≥ ``COPY_JACCARD``). The
better-ranked passage stays, with the other in its ``copies``; the top k is then filled with
distinct content.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..documents import Passage, PassageCopy
from .fingerprint import MIN_WORDS, digest, sentence_key, word_set

COPY_SHARE = 0.8
COPY_JACCARD = 0.8


def _prints(p: Passage) -> tuple[set[str], frozenset[str]]:
    """The digests of the passage's eligible sentences, and its words. Its text is normalised once,
    piece by piece (sentences and what lies between them): normalising is per character and no
    word crosses a sentence's edge, so the pieces' words are the whole text's."""
    keys: list[str] = []
    words: set[str] = set()
    at = 0
    for span in p.sentences:
        start, end = max(at, span.start - p.start), span.end - p.start
        if start > at:
            words.update(word_set(sentence_key(p.text[at:start])))
        key = sentence_key(p.text[start:end])
        words.update(word_set(key))
        if key.count(" ") + 1 >= MIN_WORDS:
            keys.append(digest(key))
        at = max(at, end)
    words.update(word_set(sentence_key(p.text[at:])))
    return set(keys), frozenset(words)


def _copies(a: tuple[set[str], frozenset[str]], b: tuple[set[str], frozenset[str]]) -> bool:
    (ka, wa), (kb, wb) = a, b
    if ka and kb and len(ka & kb) >= COPY_SHARE * min(len(ka), len(kb)):
        return True
    if not wa or not wb or min(len(wa), len(wb)) < COPY_JACCARD * max(len(wa), len(wb)):
        return False  # the Jaccard share is at most the smaller set's size over the larger's
    shared = len(wa & wb)
    return shared / (len(wa) + len(wb) - shared) >= COPY_JACCARD


def as_copy(p: Passage) -> PassageCopy:
    return PassageCopy.model_validate(p.model_dump(include=set(PassageCopy.model_fields)))


def collapse_copies(passages: Sequence[Passage]) -> list[Passage]:
    """The ranking with every passage that copies a better-ranked one (of another article) folded into it."""
    kept: list[tuple[Passage, tuple[set[str], frozenset[str]]]] = []
    for p in passages:
        prints = _prints(p)
        for i, (q, q_prints) in enumerate(kept):
            if q.article_id != p.article_id and _copies(prints, q_prints):
                copies = [*q.copies, as_copy(p), *p.copies]
                kept[i] = (q.model_copy(update={"copies": copies}), q_prints)
                break
        else:
            kept.append((p, prints))
    return [p for p, _ in kept]
