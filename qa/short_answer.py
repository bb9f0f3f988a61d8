"""The short answer: an exact span of a cited sentence that holds what the question asks for.

Only for questions a span can answer (:func:`qa.question_intent.answer_kind`):

* ``when`` — a date or time (:func:`qa.answer_spans.date_spans`);
* ``number`` — a number with its unit (:func:`qa.answer_spans.number_spans`); for "what
  percentage" one with a percent sign or "بالمئة";
* ``where`` — the words after في / ب / من / إلى / in / at / from (a place noun such as "مدينة"
  takes the name after it);
* ``who`` — the name phrase right after the words of the question the sentence repeats (the
  role: "وشارك في اللقاء من الجانب التركي | وزيرا الخارجية هاكان فيدان…"), to the clause's end.

A span that repeats the question's own words is no answer. Among the rest, the one nearest to
the question's words in the sentence wins. When no sentence has such a span, there is no short
answer: Sanad does not guess.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from index.normalize import normalise

from .answer_spans import Span, date_spans, number_spans, word_spans
from .question_intent import AnswerKind, is_stopword, strip_prefix, terms

MAX_NAME_WORDS = 12
MAX_PLACE_WORDS = 3


@dataclass(frozen=True)
class SpanSource:
    """A cited sentence: its text, where it starts in the article, and its citation number."""

    text: str
    start: int
    citation: int


@dataclass(frozen=True)
class Found:
    text: str
    start: int  # article offsets
    end: int
    citation: int


_PLACE_PREPOSITIONS = frozenset(
    normalise("في ب من الى إلى داخل قرب بالقرب شمال جنوب شرق غرب in at from near to").split()
)
_PLACE_NOUNS = frozenset(
    normalise(
        "مدينة العاصمة عاصمة ولاية منطقة جزيرة دولة بلدة قرية محافظة إقليم مقاطعة حي شارع جامعة قارة city state town"
    ).split()
)
_PARTICIPATION_VERBS = frozenset(
    normalise("حضر شارك ترأس ترأسه قاد قاده مثل مثله ضم يضم تضم يرأس يرأسه يقود كان هو هي هم وهو وهي سوف قد تم").split()
)
_CLAUSE_STOPS = frozenset(
    normalise("الذي التي الذين حيث بينما عقب بعد قبل خلال وذلك لبحث لمناقشة بهدف which who that where when").split()
)
# Words a name phrase does not open with: verbs of meeting and saying, "the side" of a talk.
_NOT_A_NAME = frozenset(
    normalise("يلتقي التقي التقى يجتمع اجتمع استقبل زار قال اعلن اكد اوضح الجانب جانب الطرف الوفد").split()
)
# "The side" of a talk: the word after it is the side's name ("من الجانب التركي"), part of the role.
_SIDES = frozenset(normalise("الجانب جانب الطرف طرف side").split())
_PERCENT_Q = frozenset(normalise("نسبة نسبه percentage percent proportion").split())


def _question_keys(question: str) -> set[str]:
    return set(terms(question))


def _repeats_question(text: str, q_keys: set[str]) -> bool:
    words = [strip_prefix(w) for w, _, _ in word_spans(text) if not is_stopword(w)]
    return bool(words) and all(w in q_keys for w in words)


def _matched_positions(words: Sequence[tuple[str, int, int]], q_keys: set[str]) -> list[int]:
    return [i for i, (w, _, _) in enumerate(words) if not is_stopword(w) and strip_prefix(w) in q_keys]


def _nearest(
    spans: Sequence[Span],
    words: Sequence[tuple[str, int, int]],
    matched: Sequence[int],
    weights: Mapping[str, float],
) -> Span | None:
    """The span closest (in words, a rarer question word counting closer) to a word of the
    question, right after it before right before it; the first one when none matched."""
    if not spans:
        return None
    if not matched:
        return spans[0]

    def distance(span: Span) -> float:
        inside = [i for i, (_, a, b) in enumerate(words) if a >= span[0] and b <= span[1]]
        first, last = (inside[0], inside[-1]) if inside else (0, 0)
        best = math.inf
        for m in matched:
            gap = first - m if m < first else (m - last) + 0.5 if m > last else 0.0
            best = min(best, gap / max(weights.get(strip_prefix(words[m][0]), 1.0), 0.1))
        return best

    return min(spans, key=distance)


def _place_spans(text: str, words: Sequence[tuple[str, int, int]], q_keys: set[str]) -> list[Span]:
    spans: list[Span] = []
    for i, (w, _, _) in enumerate(words):
        glued = w[:1] in ("ب", "ل") and len(w) > 3 and w[1:3] == "ال"
        if w not in _PLACE_PREPOSITIONS and not glued:
            continue
        j = i if glued else i + 1
        picked: list[int] = []
        while j < len(words) and len(picked) < MAX_PLACE_WORDS:
            word = words[j][0][1:] if glued and j == i else words[j][0]
            place_noun = word in _PLACE_NOUNS or strip_prefix(word) in _PLACE_NOUNS
            if is_stopword(word) or word.isdigit() or (strip_prefix(word) in q_keys and not place_noun):
                break
            picked.append(j)
            if not place_noun:
                break
            j += 1
        if picked and not _gap(text, words, picked):
            a = words[picked[0]][1] + (1 if glued and picked[0] == i else 0)
            spans.append((a, words[picked[-1]][2]))
    return spans


def _gap(text: str, words: Sequence[tuple[str, int, int]], picked: Sequence[int]) -> bool:
    """Punctuation between the picked words (a clause boundary inside the span)."""
    return any(text[words[a][2] : words[b][1]].strip() for a, b in itertools.pairwise(picked))


def _end_of_densest_run(words: Sequence[tuple[str, int, int]], matched: Sequence[int]) -> int:
    """The last word of the run of question words (stop words between them allowed) that holds
    the most of them: the role the question names ("شارك في اللقاء من الجانب التركي")."""
    hits = set(matched)
    best_end, best_count = matched[0], 0
    i = 0
    while i < len(words):
        if i not in hits:
            i += 1
            continue
        count, end, j = 0, i, i
        while j < len(words) and (j in hits or is_stopword(words[j][0])):
            if j in hits:
                count, end = count + 1, j
            j += 1
        if count > best_count:
            best_end, best_count = end, count
        i = j
    return best_end


def _name_span(text: str, words: Sequence[tuple[str, int, int]], matched: Sequence[int]) -> Span | None:
    """The words after the last question word the sentence repeats, to the clause's end."""
    if not matched:
        return None
    i = _end_of_densest_run(words, matched) + 1
    if words[i - 1][0] in _SIDES or strip_prefix(words[i - 1][0]) in _SIDES:
        return None  # the side the question names is not this sentence's (else it would be matched)
    while i < len(words) and (is_stopword(words[i][0]) or words[i][0] in _PARTICIPATION_VERBS):
        i += 1
    picked: list[int] = []
    for j in range(i, min(len(words), i + MAX_NAME_WORDS)):
        if picked and text[words[picked[-1]][2] : words[j][1]].strip(" \u200f\u200e"):
            break  # punctuation: the clause ends
        if words[j][0] in _CLAUSE_STOPS:
            break
        picked.append(j)
    if len(picked) < 2 or words[picked[0]][0] in _NOT_A_NAME:  # one word is seldom a whole name; unsure → none
        return None
    return (words[picked[0]][1], words[picked[-1]][2])


def find_short_answer(
    question: str,
    kind: AnswerKind | None,
    sources: Sequence[SpanSource],
    weights: Mapping[str, float] | None = None,
) -> Found | None:
    """The short answer in the first source that has one (sources come best first), or None.
    ``weights`` (question term → weight, as :func:`qa.sentence_rank.lexical_overlap` gives) make a
    rarer question word a stronger anchor."""
    if kind is None:
        return None
    q_keys = _question_keys(question)
    q_norm = normalise(question)
    for source in sources:
        words = list(word_spans(source.text))
        matched = _matched_positions(words, q_keys)
        spans: list[Span]
        if kind == "when":
            spans = date_spans(source.text)
        elif kind == "number":
            spans = number_spans(source.text)
            if _PERCENT_Q & set(q_norm.split()):
                spans = [s for s in spans if "%" in source.text[s[0] : s[1]] or "مئ" in source.text[s[0] : s[1]]]
        elif kind == "where":
            spans = _place_spans(source.text, words, q_keys)
        else:
            name = _name_span(source.text, words, matched)
            spans = [name] if name else []
        spans = [s for s in spans if not _repeats_question(source.text[s[0] : s[1]], q_keys)]
        best = _nearest(spans, words, matched, weights or {})
        if best is not None:
            a, b = best
            return Found(source.text[a:b], source.start + a, source.start + b, source.citation)
    return None


def has_typed_span(kind: AnswerKind, text: str) -> bool:
    """Whether ``text`` holds a date (``when``) or a number (``number``); other kinds: False."""
    if kind == "when":
        return bool(date_spans(text))
    if kind == "number":
        return bool(number_spans(text))
    return False
