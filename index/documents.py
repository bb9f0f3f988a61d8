"""The data that flows through the index: articles, their chunks, and retrieved passages.

Offsets are always character offsets (Python ``str`` indices) into ``Article.text``:
``article.text[chunk.start:chunk.end] == chunk.text`` holds for every chunk.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from pydantic import BaseModel, Field


def content_hash(*parts: str, length: int = 16) -> str:
    """A stable hex digest of the given strings (sha256, truncated)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:length]


class Article(BaseModel):
    """One news article, as read from a file or sent over the API."""

    id: str = Field(description="Stable article id: given, or derived from its source path/url.")
    title: str = ""
    text: str = Field(description="The article text. Every offset in Sanad points into this string.")
    date: dt.date | None = None
    source: str = ""
    url: str = ""
    summary: str = ""
    path: str = Field(default="", description="The file it was read from, if any.")

    @property
    def content_hash(self) -> str:
        """Decides re-ingest: same hash → unchanged article, nothing to do."""
        return content_hash(
            self.title, self.text, self.date.isoformat() if self.date else "", self.source, self.url, self.summary
        )


class Span(BaseModel):
    """A sentence (or any span) of an article: ``article.text[start:end]``."""

    start: int
    end: int


class Chunk(BaseModel):
    """A run of whole sentences packed under a token budget."""

    id: str = Field(description="Content hash of (article id, text, start): stable across re-indexing.")
    article_id: str
    index: int = Field(description="Position of the chunk in its article (0-based).")
    start: int
    end: int
    text: str
    sentences: list[Span] = Field(default_factory=list, description="Sentence spans, in article offsets.")


class ChunkRef(BaseModel):
    """Which chunk of which article, with the article's metadata a citation shows."""

    chunk_id: str
    article_id: str
    title: str = ""
    date: dt.date | None = None
    source: str = ""
    url: str = ""


class PassageCopy(ChunkRef):
    """A near-duplicate of a retrieved passage in another article (a wire copy), folded into its hit."""

    start: int
    end: int


class Passage(ChunkRef):
    """A retrieved chunk with what the answerer and the reader need to cite it."""

    index: int = 0
    start: int
    end: int
    text: str
    sentences: list[Span] = Field(default_factory=list)
    score: float = 0.0
    scores: dict[str, float] = Field(default_factory=dict, description="Per-retriever scores/ranks (dense, lexical…).")
    copies: list[PassageCopy] = Field(
        default_factory=list,
        description="Near-duplicate passages of other articles folded into this hit (index.stories).",
    )


class ArticleInfo(BaseModel):
    """What ``sanad articles`` lists."""

    id: str
    title: str = ""
    date: dt.date | None = None
    source: str = ""
    url: str = ""
    chunks: int = 0
    chars: int = 0
    content_hash: str = ""
    story: str = Field(default="", description="The story the article belongs to (index.stories), when known.")


class Filters(BaseModel):
    """Metadata filters applied by every retriever leg."""

    sources: list[str] = Field(default_factory=list, description="Keep only these sources (any of).")
    since: dt.date | None = None
    until: dt.date | None = None
    article_ids: list[str] = Field(default_factory=list)
    undated: bool = Field(
        default=False, description="With a date bound, also keep articles without a date (else they are left out)."
    )

    @property
    def empty(self) -> bool:
        return not (self.sources or self.since or self.until or self.article_ids)


def date_number(d: dt.date | None) -> int:
    """A date as a sortable int (YYYYMMDD) for store metadata; 0 when unknown."""
    return d.year * 10000 + d.month * 100 + d.day if d else 0


def sentence_id(article_id: str, start: int, end: int, text: str) -> str:
    """Stable id of one sentence of an article (its text and place): keys its stored vector."""
    return content_hash(article_id, text, str(start), str(end))


def passage_sentences(passage: Passage) -> list[tuple[str, str]]:
    """``(sentence id, sentence text)`` for each sentence span of a passage."""
    out = []
    for span in passage.sentences:
        text = passage.text[span.start - passage.start : span.end - passage.start]
        out.append((sentence_id(passage.article_id, span.start, span.end, text), text))
    return out
