"""Arabic and Latin sentence splitting with exact character offsets.

``split_sentences(text)`` returns :class:`~index.documents.Span` objects such that

* every span is ``text[start:end]`` with no leading or trailing whitespace;
* spans are ordered and do not overlap;
* every non-whitespace character of ``text`` lies in exactly one span.

A sentence ends at a line break, or after a run of terminators ``. ! ? ؟ ؛ …`` (plus ``۔``
and the ``‼ ⁇ ⁈ ⁉`` ligatures) together with any closing quotes or brackets right after it.
A terminator only ends a sentence when whitespace (or the end of the line) follows, except the
Arabic ``؟`` and ``؛``, which also end one when a letter follows with no space (a common typing
slip in Arabic news). So nothing splits inside numbers (``13.5``, ``١٣.٥``, ``21.07.2015``), domain
names or URLs and e-mail addresses (masked explicitly, so a ``?`` in a query string is safe too).

A single ``.`` followed by whitespace does not end a sentence after:

* a known abbreviation (``Dr.``, ``Mr.``, ``Prof.``, ``No.``, ``Jan.``, ``etc.`` before a lowercase word …);
* a single letter, Latin or Arabic (initials such as ``J.`` or ``أ.`` / ``د.``), also with a
  tatweel (``هـ.``);
* dotted abbreviations (``U.S.``, ``e.g.``, ``ق.م.``);
* a one- or two-digit list number that opens the sentence (``1. First point``);
* or when the next word starts with a lowercase Latin letter, or with ``,`` ``،`` ``;`` ``:``.
"""

from __future__ import annotations

import re

from .documents import Span

__all__ = ["ABBREVIATIONS", "split_sentences"]

_TERMINATORS = ".!?؟؛…۔‼⁇⁈⁉"
_ARABIC_HARD = "؟؛"  # end a sentence even when a letter follows with no space
_CLOSERS = "\"'»”’)]}›〉》」』"

# A run of terminators, then any mix of closers and more terminators: `?!`, `."`, `.)».`
_CANDIDATE = re.compile(f"[{re.escape(_TERMINATORS)}]+[{re.escape(_TERMINATORS + _CLOSERS)}]*")
# Line breaks, as ``str.splitlines`` sees them.
_LINE = re.compile(r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
# URLs and e-mail addresses; trailing punctuation stays outside so `see http://x.org.` still ends.
_PROTECTED = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s<>\"'«»]*[^\s<>\"'«».,;:!?؟؛…)\]}،]"
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
_LIST_NUMBER = re.compile(r"[0-9٠-٩۰-۹]{1,2}")
_DOTTED = re.compile(r"(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}")
_LEADING_PUNCT = re.compile(r"^[^\w]+")
_TATWEEL = "ـ"

#: Lowercased, without the final dot. A ``.`` after one of these never ends a sentence.
ABBREVIATIONS: frozenset[str] = frozenset(
    {
        # titles and honorifics
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "rev", "fr", "hon",
        "gen", "gov", "sen", "rep", "col", "lt", "maj", "capt", "cpt", "sgt", "cmdr", "adm", "pres",
        "amb", "supt", "insp", "messrs", "mme", "mlle",
        # reference and misc
        "no", "nos", "vol", "vols", "pp", "ch", "fig", "figs", "ed", "eds", "art", "sec", "para", "ref",
        "approx", "ca", "cf", "vs", "viz", "al", "ibid", "inc", "ltd", "co", "corp", "bros", "dept",
        "est", "univ", "assn", "ave", "blvd", "rd", "sq",
        # months and days
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
    }
)  # fmt: skip


def _is_lower_latin(ch: str) -> bool:
    return ch.islower() and (ch.isascii() or "\u00c0" <= ch <= "\u024f")


def _period_continues(text: str, sentence_start: int, dot: int, next_char: str) -> bool:
    """True when the single ``.`` at ``dot`` (followed by whitespace) does not end the sentence."""
    i = dot
    while i > sentence_start and not text[i - 1].isspace():
        i -= 1
    token = text[i:dot]
    core = _LEADING_PUNCT.sub("", token)
    if not core:
        return False
    bare = core.rstrip(_TATWEEL)
    if len(bare) == 1 and bare.isalpha():  # initials: J. / أ. / هـ.
        return True
    if core.lower() in ABBREVIATIONS or bare.lower() in ABBREVIATIONS:
        return True
    if _DOTTED.fullmatch(core):  # U.S. / e.g. / ق.م.
        return True
    if _LIST_NUMBER.fullmatch(core) and not text[sentence_start:i].strip():
        return True  # "1. First point"
    return _is_lower_latin(next_char) or next_char in ",،;:"


def _split_line(text: str, start: int, end: int, spans: list[Span], masked: bool) -> None:
    protected = [(m.start(), m.end()) for m in _PROTECTED.finditer(text, start, end)] if masked else []
    p = 0
    sentence_start = start
    for m in _CANDIDATE.finditer(text, start, end):
        s, e = m.span()
        while p < len(protected) and protected[p][1] <= s:
            p += 1
        if p < len(protected) and protected[p][0] <= s:
            continue  # inside a URL or e-mail address
        if e >= end:
            break  # the line ends here anyway
        after = text[e]
        if not after.isspace():
            if after.isalpha() and any(c in _ARABIC_HARD for c in m.group()):
                pass  # "؟قال" - Arabic question mark glued to the next word
            else:
                continue
        else:
            j = e
            while j < end and text[j].isspace():
                j += 1
            if j >= end:
                break  # only whitespace left on the line
            next_char = text[j]
            run = m.group().rstrip(_CLOSERS)
            if run == ".":
                if _period_continues(text, sentence_start, s, next_char):
                    continue
            elif _is_lower_latin(next_char) or next_char in ",،":
                continue
        _append(text, sentence_start, e, spans)
        sentence_start = e
    _append(text, sentence_start, end, spans)


def _append(text: str, start: int, end: int, spans: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append(Span(start=start, end=end))


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of ``text`` (see the module docstring for the rules)."""
    spans: list[Span] = []
    masked = "@" in text or "://" in text or "www." in text  # skip the URL scan when there can be none
    for line in _LINE.finditer(text):
        _split_line(text, line.start(), line.end(), spans, masked)
    return spans
