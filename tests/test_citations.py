"""Citation verification: quotes must really be in the cited passage; offsets are exact article offsets."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from index.documents import Passage
from index.normalize import normalise
from qa.citations import MIN_QUOTE_CHARS, compose_answer, fold, invalid_passage_numbers, locate, strip_markers, verify
from qa.models import Claim, DraftAnswer, DraftCitation, DraftClaim

ARTICLE = (
    "أنقرة - أعلنت وزارة الخارجية التركية يوم الثلاثاء أنّ جولةً جديدةً من المحادثات ستُعقد في أنقرة "
    "الأسبوع المقبل.\nوقال المتحدث باسم الوزارة إن الوفدين اتفقا على جدول أعمال يشمل التجارة   والطاقة. "
    "وأضاف أن الاتفاق النهائي قد يُوقَّع قبل نهاية العام، وفق ما نقلته «وكالة الأناضول».\n"
    "The talks <round 3> were described as constructive by both sides."
)


def _split(article: str, article_id: str = "ankara") -> list[Passage]:
    """Two passages of the article, with their article offsets (the second starts mid-article)."""
    cut = article.index("وقال")
    first = article[:cut]
    second = article[cut:]
    return [
        Passage(chunk_id="c1", article_id=article_id, title="محادثات أنقرة", start=0, end=cut, text=first),
        Passage(chunk_id="c2", article_id=article_id, title="محادثات أنقرة", start=cut, end=len(article), text=second),
    ]


def _draft(*claims: tuple[str, list[tuple[int, str]]]) -> DraftAnswer:
    return DraftAnswer(
        status="answered",
        answer=" ".join(text for text, _ in claims),
        claims=[
            DraftClaim(text=text, citations=[DraftCitation(passage=p, quote=q) for p, q in cites])
            for text, cites in claims
        ],
    )


def test_quote_with_spelling_variants_verifies_to_exact_article_slice() -> None:
    passages = _split(ARTICLE)
    # no hamza on alef, no shadda/fatha, ta marbuta as ha, tatweel added
    draft = _draft(("ستعقد المحادثات في أنقرة.", [(1, "ان جولة جديده من المحـادثات ستعقد في انقرة")]))
    claims, citations, unsupported = verify(draft, passages)
    assert unsupported == 0
    assert len(citations) == 1
    c = citations[0]
    assert ARTICLE[c.start : c.end] == c.quote
    assert c.quote == "أنّ جولةً جديدةً من المحادثات ستُعقد في أنقرة"
    assert (c.n, c.article_id, c.chunk_id, c.title) == (1, "ankara", "c1", "محادثات أنقرة")
    assert claims == [Claim(text="ستعقد المحادثات في أنقرة.", citations=[1])]


def test_offsets_are_in_the_article_for_a_passage_that_starts_mid_article() -> None:
    passages = _split(ARTICLE)
    draft = _draft(("The agenda covers trade and energy.", [(2, "جدول أعمال يشمل التجارة والطاقة")]))
    _, citations, _ = verify(draft, passages, article_texts={"ankara": ARTICLE})
    c = citations[0]
    assert c.start > passages[1].start
    assert ARTICLE[c.start : c.end] == c.quote == "جدول أعمال يشمل التجارة   والطاقة"  # article spacing kept


def test_one_letter_off_still_verifies_but_a_paraphrase_does_not() -> None:
    passages = _split(ARTICLE)
    typo = "الاتفاق النهائي قد يوقغ قبل نهاية العام"  # ع → غ
    paraphrase = "الاتفاق سيتم توقيعه قبل انتهاء السنة"
    draft = _draft(("A", [(2, typo)]), ("B", [(2, paraphrase)]))
    claims, citations, unsupported = verify(draft, passages)
    assert unsupported == 1
    assert [claim.text for claim in claims] == ["A"]
    assert citations[0].quote == "الاتفاق النهائي قد يُوقَّع قبل نهاية العام"
    match = locate(typo, passages[1].text)
    assert match is not None and 0.9 <= match.similarity < 1.0


def test_fabricated_and_out_of_range_citations_are_dropped_and_counted() -> None:
    passages = _split(ARTICLE)
    draft = _draft(
        ("supported", [(1, "أعلنت وزارة الخارجية التركية")]),
        ("made up", [(1, "وزير الخارجية استقال من منصبه أمس")]),
        ("wrong passage number", [(5, "أعلنت وزارة الخارجية التركية")]),
        ("quote from the other passage", [(1, "جدول أعمال يشمل التجارة")]),
    )
    claims, citations, unsupported = verify(draft, passages)
    assert unsupported == 3
    assert [claim.text for claim in claims] == ["supported"]
    assert len(citations) == 1
    assert invalid_passage_numbers(draft, len(passages)) == [5]
    assert invalid_passage_numbers(draft, 5) == []


def test_citations_are_numbered_by_first_use_and_deduplicated() -> None:
    passages = _split(ARTICLE)
    draft = _draft(
        ("one", [(2, "اتفقا على جدول أعمال"), (1, "أعلنت وزارة الخارجية التركية")]),
        ("two", [(1, "اعلنت وزاره الخارجيه التركيه"), (1, "أعلنت وزارة الخارجية التركية")]),
        ("three", [(2, "وفق ما نقلته «وكالة الأناضول»")]),
    )
    claims, citations, unsupported = verify(draft, passages)
    assert unsupported == 0
    assert [c.n for c in citations] == [1, 2, 3]
    assert [c.chunk_id for c in citations] == ["c2", "c1", "c2"]
    assert [claim.citations for claim in claims] == [[1, 2], [2], [3]]
    assert compose_answer(claims) == "one [1][2] two [2] three [3]"


def test_typographic_quotes_and_neutralised_brackets_match() -> None:
    passages = _split(ARTICLE)
    quote_marks = locate('وفق ما نقلته "وكالة الأناضول"', passages[1].text)
    standins = locate("The talks ‹round 3› were described", passages[1].text)
    assert quote_marks is not None and standins is not None
    assert passages[1].text[standins.start : standins.end] == "The talks <round 3> were described"
    assert passages[1].text[quote_marks.start : quote_marks.end] == "وفق ما نقلته «وكالة الأناضول»"


def test_quote_keeps_the_harakat_of_its_last_letter() -> None:
    text = "قد يُوقَّع الاتفاقُ غداً"
    match = locate("يوقع الاتفاق", text)
    assert match is not None
    assert text[match.start : match.end] == "يُوقَّع الاتفاقُ"


def test_too_short_quotes_do_not_count() -> None:
    assert locate("في", "ستعقد في أنقرة") is None
    assert locate("...", "ستعقد في أنقرة") is None
    assert locate("ستعقد في", "ستعقد في أنقرة") is not None
    assert locate("13.5%", "raised to 13.5% on Thursday") is not None  # three digits are enough


def test_ellipsis_and_quote_marks_around_a_quote_are_ignored() -> None:
    passages = _split(ARTICLE)
    match = locate("«...الوفدين اتفقا على جدول أعمال...»", passages[1].text)
    assert match is not None
    assert passages[1].text[match.start : match.end] == "الوفدين اتفقا على جدول أعمال"


def test_stale_passage_not_in_its_article_supports_nothing() -> None:
    passages = _split(ARTICLE)
    edited = ARTICLE.replace("وقال المتحدث", "وصرّح المتحدث")
    draft = _draft(("x", [(2, "جدول أعمال يشمل التجارة")]), ("y", [(1, "أعلنت وزارة الخارجية")]))
    claims, citations, unsupported = verify(draft, passages, article_texts={"ankara": edited})
    assert unsupported == 1
    assert [claim.text for claim in claims] == ["y"]
    assert edited[citations[0].start : citations[0].end] == citations[0].quote


def test_passage_found_elsewhere_in_its_article_gets_the_real_offsets() -> None:
    passages = _split(ARTICLE)
    moved_article = "سطر جديد في البداية.\n" + ARTICLE
    draft = _draft(("x", [(2, "جدول أعمال يشمل التجارة")]))
    _, citations, _ = verify(draft, passages, article_texts={"ankara": moved_article})
    c = citations[0]
    assert moved_article[c.start : c.end] == c.quote == "جدول أعمال يشمل التجارة"


def test_markers_in_model_text_are_replaced() -> None:
    assert strip_markers("قال الوزير [1] إن [2, 3] الاتفاق قريب [٤].") == "قال الوزير إن الاتفاق قريب."
    claims = [Claim(text="الاتفاق قريب.", citations=[1]), Claim(text="No punctuation", citations=[2, 3])]
    assert compose_answer(claims) == "الاتفاق قريب [1]. No punctuation [2][3]"


def test_fold_maps_every_character_back() -> None:
    text = "أنّ  جولةً\nجديـدة"
    folded, where = fold(text)
    assert folded == "ان جوله جديده"
    assert len(where) == len(folded)
    assert all(normalise(text[i]) in (ch, " ", "\n") or ch == " " for ch, i in zip(folded, where, strict=True))


# --- property: any clean substring, respelled, verifies to its own article span ----------------------

_LETTERS = list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي") + list("أإآةىؤئ")
_HARAKAT = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u064b"]
_TATWEEL = "\u0640"
_HAMZA_ALEFS = ["\u0623", "\u0625", "\u0622", "\u0627"]


def _is_base(ch: str) -> bool:
    return ch.isalnum() and ch != _TATWEEL


@st.composite
def _word(draw: st.DrawFn) -> str:
    out = []
    for _ in range(draw(st.integers(1, 7))):
        out.append(draw(st.sampled_from(_LETTERS)))
        if draw(st.integers(0, 5)) == 0:
            out.append(_TATWEEL)
        out.extend(draw(st.lists(st.sampled_from(_HARAKAT), max_size=2)))
    return "".join(out)


@st.composite
def _article_and_span(draw: st.DrawFn) -> tuple[str, int, int, int, int]:
    """(article, passage start, passage end, substring start, substring end)."""
    words = draw(st.lists(_word(), min_size=3, max_size=25))
    seps = draw(
        st.lists(st.sampled_from([" ", " ", " ", "  ", "\n", "، ", ". "]), min_size=len(words), max_size=len(words))
    )
    body = "".join(w + s for w, s in zip(words, seps, strict=True)).rstrip()
    prefix = draw(st.sampled_from(["", "عنوان الخبر.\n", "Title line\n\n"]))
    article = prefix + body + draw(st.sampled_from(["", "\nنهاية."]))
    p_start, p_end = len(prefix), len(prefix) + len(body)
    starts = [i for i in range(p_start, p_end) if _is_base(article[i])]
    ends = []
    for i in range(p_start, p_end):
        if _is_base(article[i]):
            j = i + 1
            while j < p_end and unicodedata.category(article[j]) == "Mn":
                j += 1
            ends.append(j)
    s = draw(st.sampled_from(starts))
    later = [e for e in ends if e > s]
    e = draw(st.sampled_from(later))
    return article, p_start, p_end, s, e


def _respell(text: str, rnd: st.DataObject) -> str:
    out = []
    for ch in text:
        choice = rnd.draw(st.integers(0, 9))
        if ch in _HARAKAT and choice < 6:
            continue  # drop a diacritic
        if ch in _HAMZA_ALEFS and choice < 5:
            out.append(rnd.draw(st.sampled_from(_HAMZA_ALEFS)))
        elif ch == "ة" and choice < 5:
            out.append("ه")
        elif ch == "ى" and choice < 5:
            out.append("ي")
        elif ch in "ؤئ" and choice < 5:
            out.append("و" if ch == "ؤ" else "ي")
        elif ch in (" ", "\n") and choice < 3:
            out.append("  ")
        else:
            out.append(ch)
        if _is_base(ch) and choice == 9:
            out.append(rnd.draw(st.sampled_from([_TATWEEL, *_HARAKAT])))
    return "".join(out)


@settings(max_examples=200, deadline=None)
@given(case=_article_and_span(), data=st.data())
def test_property_respelled_substring_verifies_to_its_span(
    case: tuple[str, int, int, int, int], data: st.DataObject
) -> None:
    article, p_start, p_end, s, e = case
    substring = article[s:e]
    quote = _respell(substring, data)
    passage = Passage(chunk_id="c", article_id="a", start=p_start, end=p_end, text=article[p_start:p_end])
    folded_sub, _ = fold(substring)
    if sum(ch.isalnum() for ch in folded_sub) < MIN_QUOTE_CHARS:
        assert verify(_draft(("claim", [(1, quote)])), [passage])[1] == []
        return
    claims, citations, unsupported = verify(_draft(("claim", [(1, quote)])), [passage], article_texts={"a": article})
    assert unsupported == 0 and len(citations) == 1 and claims[0].citations == [1]
    c = citations[0]
    assert c.quote == article[c.start : c.end]
    assert fold(c.quote)[0] == folded_sub
    folded_passage, _ = fold(passage.text)
    if folded_passage.count(folded_sub) == 1:
        assert (c.start, c.end) == (s, e)
    else:  # a repeated phrase: the first occurrence is cited
        assert c.start <= s
