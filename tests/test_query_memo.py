"""Issue 14 (latency): the question is embedded once per ask, not once for retrieval and again for
the answerer's sentence scores (index.query_memo)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder, HashTokenEmbedder

from index.query_memo import QueryMemo
from qa.assistant import Assistant
from qa.settings import Settings

# Our own sentences (no third-party text).
RECORDS = [
    {
        "id": "plant",
        "title": "محطة التحلية",
        "text": "افتتحت البلدية أمس محطة جديدة لتحلية المياه في مدينة صور. "
        "وتبلغ الطاقة الإنتاجية للمحطة 12 مليون متر مكعب سنويا. "
        "وشارك في الافتتاح رئيس البلدية سمير حداد.",
    },
    {
        "id": "port",
        "title": "الميناء",
        "text": "أعلنت وزارة النقل توسعة الميناء التجاري. وتستغرق الأعمال ثلاث سنوات بكلفة 40 مليون دولار.",
    },
]


def query_calls(embedder: HashEmbedder) -> int:
    return sum(n for kind, n in embedder.calls if kind == "query")


@pytest.mark.parametrize("embedder_class", [HashEmbedder, HashTokenEmbedder])
def test_an_ask_embeds_the_question_once(tmp_path: Path, embedder_class: type[HashEmbedder]) -> None:
    embedder = embedder_class()
    with Assistant(Settings(home=tmp_path / "home"), embedder=embedder) as a:
        a.ingest_records(RECORDS)
        embedder.calls.clear()
        answer = a.ask("كم تبلغ الطاقة الإنتاجية للمحطة؟")
        assert answer.status == "answered" and answer.citations  # the answerer did score sentences
        assert query_calls(embedder) == 1
        a.ask("من شارك في افتتاح المحطة؟")
        assert query_calls(embedder) == 2  # another question: embedded (once)


def test_the_memo_keeps_the_last_queries_and_passes_passages_through() -> None:
    inner = HashEmbedder()
    memo = QueryMemo(inner, size=2)
    assert memo.identity == inner.identity
    first = memo.embed(["a question", "another"], "query")
    again = memo.embed(["another", "a question"], "query")
    np.testing.assert_array_equal(first[::-1], again)
    assert inner.calls == [("query", 2)]
    memo.embed(["a third"], "query")  # evicts "another" (least recently used: "a question" came after it)
    memo.embed(["a question"], "query")
    memo.embed(["another"], "query")
    assert inner.calls == [("query", 2), ("query", 1), ("query", 1)]
    memo.embed(["a passage"], "passage")
    memo.embed(["a passage"], "passage")
    assert inner.calls[-2:] == [("passage", 1), ("passage", 1)]
    with pytest.raises(ValueError, match="at least one"):
        QueryMemo(inner, size=0)
