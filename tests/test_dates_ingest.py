"""Every article gets its publication date when one can be known: metadata (front matter, JSON ``date``,
SaudiNewsNet's ``date_extracted``, HTML meta through trafilatura), else its dateline; ingest counts
the undated."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from fakes import HashEmbedder

from index.documents import Article
from index.indexer import Indexer
from index.readers import read_paths
from index.store import ChunkStore

BODY = "وصل وفد حكومي سوري رفيع المستوى إلى أنقرة لإجراء محادثات مع الجانب التركي حول ضبط الحدود. " * 4
META = '<meta property="article:published_time" content="2025-10-12T09:00:00Z">'


def read(folder: Path) -> dict[str, Article]:
    out = {}
    for item in read_paths([folder], max_bytes=1_000_000, max_article_chars=100_000):
        assert isinstance(item, Article), item
        out[Path(item.path).name] = item
    return out


def html(head: str, lead: str = "") -> str:
    article = f"<article><h1>محادثات</h1>{lead}<p>{BODY}</p></article>"
    return f"<html><head><title>محادثات</title>{head}</head><body>{article}</body></html>"


def test_dates_from_metadata_then_the_dateline(tmp_path: Path) -> None:
    (tmp_path / "front.md").write_text(f"---\ntitle: محادثات\ndate: 2025-10-12\n---\n{BODY}", encoding="utf-8")
    (tmp_path / "dateline.txt").write_text(f"محادثات في أنقرة\nأنقرة - الأحد 12 أكتوبر 2025 - {BODY}", encoding="utf-8")
    (tmp_path / "numeric.txt").write_text(f"محادثات في أنقرة\n١٢/١٠/٢٠٢٥\n{BODY}", encoding="utf-8")
    (tmp_path / "none.txt").write_text(f"محادثات في أنقرة\n{BODY} وفي 8 ديسمبر 2024 سيطرت الفصائل.", encoding="utf-8")
    record = {"source": "sabq", "url": "https://example.com/1", "date_extracted": "2015-07-21 02:51:32",
              "title": "خبر", "author": "", "content": BODY}  # fmt: skip
    (tmp_path / "saudinewsnet.json").write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "meta.html").write_text(html(META), encoding="utf-8")
    (tmp_path / "html-dateline.html").write_text(html("", "<p>أنقرة - 12 أكتوبر 2025 -</p>"), encoding="utf-8")
    (tmp_path / "html-year.html").write_text(html("", "<p>خطة 2025 للحدود</p>"), encoding="utf-8")
    dates = {name: a.date for name, a in read(tmp_path).items()}
    sunday = date(2025, 10, 12)
    assert dates == {
        "front.md": sunday,
        "dateline.txt": sunday,
        "numeric.txt": sunday,
        "none.txt": None,
        "saudinewsnet.json": date(2015, 7, 21),
        "meta.html": sunday,
        "html-dateline.html": sunday,
        "html-year.html": None,  # a bare year in the text is no publication date (htmldate would say 1 January)
    }


def test_ingest_counts_the_undated(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(f"محادثات\nأنقرة - 12 أكتوبر 2025 - {BODY}", encoding="utf-8")
    (corpus / "b.txt").write_text(f"محادثات أخرى\n{BODY} ثانياً", encoding="utf-8")
    embedder = HashEmbedder()
    indexer = Indexer(embedder, ChunkStore(embedder, path=tmp_path / "chroma"), chunk_tokens=50)
    report = indexer.ingest_paths([corpus])
    assert len(report.added) == 2 and report.undated == 1 and report.as_dict()["undated"] == 1
    assert indexer.ingest_paths([corpus]).undated == 0  # unchanged articles are not counted again
