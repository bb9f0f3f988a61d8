"""Helpers for the store tests: small Arabic/English articles and a naive chunker of our own.

The chunker here is deliberately independent of ``index.chunking`` (tested on its own): the store
tests only need chunks whose offsets are right, ``article.text[start:end] == chunk.text``.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
from fakes import HashEmbedder

from index.documents import Article, Chunk, Span, content_hash
from index.embeddings import Vectors

SENTENCE = re.compile(r"[^.!?؟\n]+[.!?؟]?")


def sentences(text: str) -> list[Span]:
    spans = []
    for m in SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append(Span(start=start, end=end))
    return spans


def chunk(article: Article, per_chunk: int = 2) -> list[Chunk]:
    """Groups of ``per_chunk`` sentences (no overlap); ids are content hashes."""
    spans = sentences(article.text)
    chunks = []
    for index, i in enumerate(range(0, len(spans), per_chunk)):
        group = spans[i : i + per_chunk]
        start, end = group[0].start, group[-1].end
        text = article.text[start:end]
        chunks.append(
            Chunk(
                id=content_hash(article.id, text, str(start)),
                article_id=article.id,
                index=index,
                start=start,
                end=end,
                text=text,
                sentences=group,
            )
        )
    return chunks


def vectors(embedder: HashEmbedder, chunks: list[Chunk]) -> Vectors:
    if not chunks:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return embedder.embed([c.text for c in chunks], "passage")


ANKARA = Article(
    id="ankara",
    title="اجتماع أمني في أنقرة",
    text=(
        "وصل وفد سوري رفيع المستوى إلى أنقرة اليوم الأحد. "
        "وشارك في اللقاء وزير الخارجية التركي هاكان فيدان.\n"
        "وبحث الجانبان ضبط الحدود ومكافحة الإرهاب؟ نعم، بحسب وكالة الأناضول. "
        "وقال مصدر إن الاجتماع استمر ثلاث ساعات!"
    ),
    date=dt.date(2024, 3, 10),
    source="anadolu",
    url="https://example.org/ankara",
    summary="وفد سوري في أنقرة",
)

BOOKFAIR = Article(
    id="bookfair",
    title="معرض الكتاب",
    text=(
        "تجاوز عدد زوار معرض الكتاب مئتي ألف زائر. "
        "وتشارك في المعرض ستمئة وأربعون دار نشر من اثنتين وثلاثين دولة. "
        "ويستمر المعرض عشرة أيام."
    ),
    date=dt.date(2024, 5, 2),
    source="spa",
)

RAIN = Article(
    id="rain",
    title="Heavy rain in Riyadh",
    text="Heavy rain fell on Riyadh on Monday. Schools closed for the day. Roads were flooded in the north.",
    date=dt.date(2023, 11, 20),
    source="spa",
)

UNDATED = Article(
    id="undated",
    title="بلا تاريخ",
    text="خبر قصير بلا تاريخ ولا مصدر. وفيه جملة ثانية عن الطقس.",
)

ALL = [ANKARA, BOOKFAIR, RAIN, UNDATED]
