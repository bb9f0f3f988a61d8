"""Follow-up questions made standalone before retrieval.

A follow-up is rewritten into a standalone question (:func:`rewrite_question`): by the chat
model with the ``rewrite`` prompt when one is configured, else by carrying the key terms of the
previous question and answer into a follow-up that looks elliptical. The first turn is never
rewritten. The turn itself is :meth:`qa.assistant.Assistant.chat`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from index.normalize import normalise_with_map, tokens_with_spans

from .citations import strip_markers
from .language import STOPWORDS, detect_language
from .session import Turn

if TYPE_CHECKING:
    from .llm import ChatModel


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Normalised forms (alef/hamza, ya, ta marbuta folded, as index.normalize does).
PRONOUNS = _words(
    """
    هو هي هم هما هن ذلك تلك هذا هذه هولاء ذاك هناك عنه عنها عنهم عنهما له لها لهم لهما منه منها منهم
    فيه فيها فيهم عليه عليها عليهم به بها بهم معه معها معهم اليه اليها اليهم بينهم نفسه نفسها
    it its they them their theirs he him his she her hers this that these those there
    """
)
# Question words and particles that a follow-up starts with after its conjunction ("ومن", "وماذا", "and who").
_FUNCTION_AFTER_CONJ = _words("من ما ماذا متي اين كيف لماذا هل كم اي عن لم ليس الا")
_QUESTION_WORDS = _words("من ما ماذا متي اين كيف لماذا كم اي who what where when which why how")
_LATIN_OPENERS = ("and ", "and,", "also ", "what about", "how about", "but ", "so ")
# Words that say nothing about the topic, on top of the answerer's stop words.
EXTRA_STOPWORDS = _words(
    """
    ايضا اذن اكثر اخبرني قل لي حول بشان يعني اذكر اشرح وضح تفاصيل ماذا عن
    also tell me more about please explain details detail any some other what whom whose
    """
)
_ARTICLE_PREFIXES = ("وال", "فال", "بال", "كال", "لل", "ال")
MAX_QUESTION_TERMS = 8
MAX_ANSWER_TERMS = 4
MIN_CONTENT_TERMS = 2
MAX_SHORT_WORDS = 3
MAX_REWRITE_CHARS = 1000
MAX_HISTORY_TURNS = 6


def _is_function_word(tok: str) -> bool:
    return tok in STOPWORDS or tok in EXTRA_STOPWORDS or tok in PRONOUNS


def _is_stop(tok: str) -> bool:
    """A word that names nothing: a stop word or pronoun, also with a conjunction in front (ومن, فهو)."""
    if len(tok) < 2 or _is_function_word(tok):
        return True
    return tok[0] in "وف" and len(tok) > 1 and _is_function_word(tok[1:])


def term_key(tok: str) -> str:
    """A normalised token without its article prefix (الوفد, والوفد, بالوفد → وفد): for comparing terms."""
    for prefix in _ARTICLE_PREFIXES:
        if tok.startswith(prefix) and len(tok) - len(prefix) >= 2:
            return tok[len(prefix) :]
    return tok


def content_terms(text: str) -> list[tuple[str, str]]:
    """``(key, surface)`` for each content word of ``text``: stop words and pronouns dropped.

    ``surface`` is the word as written (a leading "و" before the article is dropped: والدفاع → الدفاع).
    """
    out: list[tuple[str, str]] = []
    for tok, start, end in tokens_with_spans(text):
        if _is_stop(tok) or (tok.isdigit() and len(tok) < 4):
            continue
        surface = text[start:end]
        if tok.startswith(("وال", "فال")) and len(tok) > 4:
            surface = surface[1:]
        out.append((term_key(tok), surface))
    return out


def _refers_back(toks: Sequence[str]) -> bool:
    """A pronoun or demonstrative that points into the conversation ("ما هي", "who is" are not)."""
    for i, tok in enumerate(toks):
        if tok not in PRONOUNS:
            continue
        previous = toks[i - 1] if i else ""
        if previous in _QUESTION_WORDS or (previous[:1] in ("و", "ف") and previous[1:] in _QUESTION_WORDS):
            continue  # the copula of "ما هي …؟", "من هو …؟", "what is it"
        return True
    return False


def looks_elliptical(message: str) -> bool:
    """Does this follow-up lean on the conversation? Short, starts with "و"/"and", refers back
    with a pronoun, or names too little."""
    toks = [tok for tok, _, _ in tokens_with_spans(message)]
    if not toks:
        return True
    first = toks[0]
    if first in ("و", "ف") or (first[0] in "وف" and first[1:] in _FUNCTION_AFTER_CONJ):
        return True
    lowered = " ".join(message.lower().split())
    if lowered.startswith(_LATIN_OPENERS):
        return True
    if _refers_back(toks):
        return True
    return len(content_terms(message)) < MIN_CONTENT_TERMS or len(toks) <= MAX_SHORT_WORDS


def _script(text: str) -> str:
    return detect_language(text)


def _previous_exchange(history: Sequence[Turn]) -> tuple[Turn | None, Turn | None]:
    """The last user turn, and the assistant turn that answered it (if any)."""
    question: Turn | None = None
    reply: Turn | None = None
    for turn in reversed(history):
        if turn.role == "assistant" and reply is None and question is None:
            reply = turn
        elif turn.role == "user":
            question = turn
            break
    return question, reply


def _answer_texts(reply: Turn) -> list[str]:
    """What the assistant said, claim by claim; nothing when it said the sources do not answer."""
    answer = reply.answer
    if answer is None:  # a history given as plain messages (the OpenAI-compatible endpoint)
        return [strip_markers(reply.content)] if reply.content.strip() else []
    if answer.status != "answered":
        return []
    return [c.text for c in answer.claims] or [strip_markers(answer.answer)]


def carry_terms(history: Sequence[Turn], message: str) -> list[str]:
    """Key terms of the previous question and answer that the follow-up does not already contain.

    Terms of the previous (standalone) question come first, in order; then, when the follow-up
    refers back ("وماذا قال؟", "when did it happen?") or names too little of its own, the
    terms the answer's claims repeat most (first ones first). Only terms in the follow-up's
    script are carried, so that an English follow-up stays English (and is answered in English).
    """
    prev_q, prev_a = _previous_exchange(history)
    if prev_q is None:
        return []
    language = _script(message)
    own_terms = content_terms(message)
    seen = {key for key, _ in own_terms}
    carried: list[str] = []

    def fits(surface: str) -> bool:
        return _script(surface) == language

    for key, surface in content_terms(prev_q.standalone_question or prev_q.content):
        if len(carried) >= MAX_QUESTION_TERMS:
            break
        if key not in seen and fits(surface):
            seen.add(key)
            carried.append(surface)
    refers_back = _refers_back([tok for tok, _, _ in tokens_with_spans(message)])
    leans_on_answer = refers_back or len(own_terms) < MIN_CONTENT_TERMS
    if leans_on_answer and prev_a is not None:
        texts = _answer_texts(prev_a)
        counts: Counter[str] = Counter()
        first_surface: dict[str, str] = {}
        order: dict[str, int] = {}
        for text in texts:
            for key, surface in content_terms(text):
                if key in seen or not fits(surface) or key.isdigit():
                    continue
                counts[key] += 1
                first_surface.setdefault(key, surface)
                order.setdefault(key, len(order))
        ranked = sorted(counts, key=lambda k: (-counts[k], order[k]))
        carried.extend(first_surface[k] for k in ranked[:MAX_ANSWER_TERMS])
    return carried


_LABEL = re.compile(r"^(standalone question|rewritten question|question|السؤال(?: المستقل)?)\s*[:：]\s*", re.I)


def _clean_rewrite(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    line = lines[0]
    line = _LABEL.sub("", line)
    return line.strip().strip("\"'«»“”").strip()


def _history_pairs(history: Sequence[Turn]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for turn in history[-MAX_HISTORY_TURNS:]:
        content = turn.content if turn.role == "user" else strip_markers(turn.content)
        pairs.append((turn.role, content[:MAX_REWRITE_CHARS]))
    return pairs


def rewrite_question(history: Sequence[Turn], message: str, chat_model: ChatModel | None) -> str:
    """The follow-up ``message`` as a standalone question, in the message's language.

    First turn (no earlier user turn): ``message`` unchanged. With ``chat_model``: the
    ``rewrite`` prompt (the conversation goes in as untrusted data); an empty or overlong reply
    falls back to the rule below. Without: when the message looks elliptical
    (:func:`looks_elliptical`), its leading conjunction goes (:func:`drop_conjunction`) and the
    key terms of the previous turn (:func:`carry_terms`) are appended in parentheses; otherwise
    the message is already standalone.
    """
    message = message.strip()
    if not any(turn.role == "user" for turn in history):
        return message
    if chat_model is not None:
        from .templates import default_templates

        messages = default_templates().rewrite_messages(_history_pairs(history), message)
        rewritten = _clean_rewrite(chat_model.complete(messages).text)
        if rewritten and len(rewritten) <= MAX_REWRITE_CHARS:
            return rewritten
    if not looks_elliptical(message):
        return message
    carried = carry_terms(history, message)
    if not carried:
        return message
    return f"{drop_conjunction(message)} ({' '.join(carried)})"


_LATIN_CONJUNCTION = re.compile(r"^(?:and|but|so)\b[\s,]*", re.I)


def drop_conjunction(message: str) -> str:
    """A follow-up without the "و"/"ف"/"and" that ties it to the previous question.

    "ومن قاد الجانب التركي؟" → "من قاد الجانب التركي؟"; "and who led it?" → "Who led it?".
    Only a conjunction in front of a question word or particle goes ("وزير" stays whole).
    """
    latin = _LATIN_CONJUNCTION.match(message)
    if latin:
        rest = message[latin.end() :]
        return rest[:1].upper() + rest[1:] if rest else message
    words = tokens_with_spans(message)
    if not words:
        return message
    tok, start, end = words[0]
    if tok in ("و", "ف") and len(words) > 1:
        return message[:start] + message[words[1][1] :]
    if tok[0] in "وف" and tok[1:] in _FUNCTION_AFTER_CONJ:
        _, index = normalise_with_map(message[start:end])
        return message[:start] + message[start + index[1] :]
    return message
