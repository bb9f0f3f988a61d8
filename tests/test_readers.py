"""Readers: every format, every kind of bad input (reported, skipped, the rest still read), stable ids."""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from reader_helpers import read

from index.documents import Article
from index.errors import InputError
from index.readers import articles_from_records, decode_bytes, parse_date

FIXTURES = Path(__file__).parent / "fixtures"
URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")
ARABIC = "وصل وفد حكومي رفيع المستوى إلى أنقرة لإجراء محادثات حول ضبط الحدود بين البلدين."


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- .txt / .md


def test_bullet_summary_article() -> None:
    """The seed-article shape: a first line of bullets is the summary; the title comes from the body."""
    file = FIXTURES / "ingest-water-plant.txt"
    (article,), errors = read(file)
    assert errors == []
    raw = file.read_text(encoding="utf-8")
    assert article.text == raw.strip()  # everything, summary included
    assert article.summary.split("\n") == [
        "افتتحت بلدية المدينة الساحلية محطة جديدة لتحلية مياه البحر بطاقة 13.5 ألف متر مكعب يومياً.",
        "قال مدير المشروع د. سامر الخطيب إن المحطة ستخدم نحو ٤٠ ألف نسمة.",
        "يُتوقع أن تبدأ المرحلة الثانية من المشروع في ربيع العام المقبل.",
    ]
    # first sentence of the body, shortened on a clause boundary
    body_first = "افتتحت بلدية المدينة الساحلية، صباح الثلاثاء، محطة جديدة لتحلية مياه البحر"
    assert article.title.startswith(body_first)
    assert len(article.title) <= 121 and "\n" not in article.title
    assert article.id.startswith("ingest-water-plant-") and URL_SAFE.fullmatch(article.id)
    assert article.path == str(file)


def test_markdown_title_line_and_plain_text() -> None:
    (article,), errors = read(FIXTURES / "ingest-plain.md")
    assert errors == []
    assert article.title == "Rail line to the port reopens"
    assert article.summary == ""
    assert article.text.startswith("# Rail line")


def test_front_matter_sets_metadata_and_is_not_text(tmp_path: Path) -> None:
    file = tmp_path / "story.md"
    file.write_text(
        '---\ntitle: "محادثات أمنية في أنقرة"\ndate: 2025-10-12\nsource: agency\nurl: https://example.com/news/42\n---\n\n'
        f"{ARABIC}\nسطر ثان.\n",
        encoding="utf-8",
    )
    (article,), errors = read(file)
    assert errors == []
    assert article.title == "محادثات أمنية في أنقرة"
    assert article.date == date(2025, 10, 12)
    assert (article.source, article.url) == ("agency", "https://example.com/news/42")
    assert article.text == f"{ARABIC}\nسطر ثان."
    assert article.id.startswith("example-com-news-42-")  # derived from the url


def test_a_leading_horizontal_rule_is_not_front_matter(tmp_path: Path) -> None:
    file = tmp_path / "rule.txt"
    file.write_text("---\nنص عادي بلا مفاتيح\n---\nعنوان\n", encoding="utf-8")
    (article,), _ = read(file)
    assert article.text.startswith("---")


def test_text_is_decoded_and_normalised(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Café déjà vu")
    file = tmp_path / "crlf.txt"
    file.write_bytes(("\ufeff" + nfd + "\r\nline two\rline three\r\n").encode("utf-8"))
    (article,), _ = read(file)
    assert article.text == "Café déjà vu\nline two\nline three"
    assert unicodedata.is_normalized("NFC", article.text)
    assert article.title == "Café déjà vu"


# --------------------------------------------------------------------------- encodings


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    file = tmp_path / "utf16.txt"
    file.write_bytes(("عنوان الخبر\n" + ARABIC).encode("utf-16"))
    (article,), errors = read(file)
    assert errors == [] and article.title == "عنوان الخبر" and article.text.endswith(ARABIC)


def test_cp1256_arabic_is_read(tmp_path: Path) -> None:
    file = tmp_path / "windows.txt"
    file.write_bytes(("عنوان الخبر\n" + ARABIC).encode("cp1256"))
    (article,), errors = read(file)
    assert errors == [] and article.text == "عنوان الخبر\n" + ARABIC


@pytest.mark.parametrize("headline", ["خبر قصير", "مصر", "عاجل: زلزال في تركيا"])
def test_a_short_cp1256_file_is_read(tmp_path: Path, headline: str) -> None:
    """Too short for the alef/lam statistic (these have few or none): still Arabic, not mojibake."""
    file = tmp_path / "short.txt"
    file.write_bytes(headline.encode("cp1256"))
    (article,), errors = read(file)
    assert errors == [] and article.text == headline


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        ("Привет мир".encode("cp1251"), "not UTF-8"),  # short mojibake stays refused
        ("Café à Paris".encode("cp1252"), "not UTF-8"),
        (b"  \n\t\r\n ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (bytes(range(1, 32)) * 20, "binary"),
        ("Le président a rencontré les ministres à Paris très tôt.".encode("cp1252"), "not UTF-8"),
        ("Президент провёл встречу с министрами в Москве.".encode("cp1251"), "not UTF-8"),
        ("Ο πρόεδρος συναντήθηκε με τους υπουργούς στην Αθήνα.".encode("cp1253"), "not UTF-8"),
        (b"\xff\xfe\x00\xd8", "UTF-16"),  # a UTF-16 BOM, then a lone surrogate
    ],
)
def test_bad_bytes_are_reported_with_the_file(tmp_path: Path, content: bytes, reason: str) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    good = tmp_path / "good.txt"
    good.write_text(ARABIC, encoding="utf-8")
    articles, errors = read(bad, good)
    assert [a.path for a in articles] == [str(good)]
    (error,) = errors
    assert reason in error.message
    assert error.message.startswith(f"{bad}: ")
    assert error.data["path"] == str(bad) and error.data["line"] is None


def test_decode_bytes_directly() -> None:
    assert decode_bytes("\ufeffنص".encode()) == "نص"
    assert decode_bytes("نص\r\n".encode("utf-32")) == "نص\n"
    with pytest.raises(ValueError, match="NUL"):
        decode_bytes(b"abc\x00def")


# --------------------------------------------------------------------------- limits


def test_oversize_file_and_oversize_text(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("كلمة " * 1000, encoding="utf-8")
    long_text = tmp_path / "long.txt"
    long_text.write_text("a" * 600, encoding="utf-8")
    small = tmp_path / "small.txt"
    small.write_text(ARABIC, encoding="utf-8")
    articles, errors = read(big, long_text, small, max_bytes=5000, max_article_chars=500)
    assert [a.path for a in articles] == [str(small)]
    by_path = {e.data["path"]: e.message for e in errors}
    assert "over the 5,000-byte limit" in by_path[str(big)]
    assert "600 characters, over the 500-character limit" in by_path[str(long_text)]


# --------------------------------------------------------------------------- .jsonl


def test_jsonl_malformed_line_3_of_5_the_other_4_are_read(tmp_path: Path) -> None:
    file = tmp_path / "batch.jsonl"
    lines = [
        json.dumps({"id": "a1", "title": "أول", "text": ARABIC, "date": "2015-07-21"}, ensure_ascii=False),
        json.dumps({"title": "ثان", "content": ARABIC + " ثانياً", "date": "2015-07-21 10:00:00"}, ensure_ascii=False),
        '{"title": "ثالث", "text": "نص مقطوع',
        json.dumps({"text": ARABIC + " رابعاً", "date": "2015-07-21T10:00:00Z", "source": "sabq"}, ensure_ascii=False),
        json.dumps(
            {"id": 5, "text": ARABIC + " خامساً", "summary": "ملخص", "url": "https://x.org/5"}, ensure_ascii=False
        ),
    ]
    file.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    articles, errors = read(file)
    assert len(articles) == 4
    (error,) = errors
    assert error.data["line"] == 3
    assert error.message.startswith(f"{file}:3: invalid JSON")
    a1, a2, a4, a5 = articles
    assert a1.id == "a1" and a1.title == "أول" and a1.date == date(2015, 7, 21)
    assert a2.text.endswith("ثانياً") and a2.date == date(2015, 7, 21) and a2.title  # title from the text
    assert a4.source == "sabq" and a4.date == date(2015, 7, 21)
    assert a5.id == "5" and a5.summary == "ملخص" and a5.url == "https://x.org/5"
    # derived ids: readable, URL-safe, different per line
    assert a2.id.startswith("batch-2-") and a4.id.startswith("batch-4-")
    assert all(URL_SAFE.fullmatch(a.id) for a in articles)


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"title": "بلا نص"}, "no 'text' or 'content' field"),
        ({"text": "   "}, "empty 'text' field"),
        ({"content": ""}, "empty 'content' field"),
        ({"text": ["not", "a", "string"]}, "field 'text' must be a string"),
        ({"text": ARABIC, "date": "yesterday-ish"}, "unreadable date"),
        ({"text": ARABIC, "id": "has space/slash"}, "not URL-safe"),
        ({"text": ARABIC, "source": 7}, "field 'source' must be a string"),
        ([1, 2, 3], "expected a JSON object, got list"),
    ],
)
def test_jsonl_bad_records(tmp_path: Path, record: Any, reason: str) -> None:
    file = write_jsonl(tmp_path / "bad.jsonl", [{"text": ARABIC}, record])
    articles, errors = read(file)
    assert len(articles) == 1
    (error,) = errors
    assert reason in error.message and error.data["line"] == 2
    assert error.message.startswith(f"{file}:2: ")


def test_duplicate_ids_within_a_run(tmp_path: Path) -> None:
    one = write_jsonl(tmp_path / "one.jsonl", [{"id": "same", "text": ARABIC}])
    two = write_jsonl(tmp_path / "two.jsonl", [{"id": "other", "text": ARABIC}, {"id": "same", "text": ARABIC + "!"}])
    articles, errors = read(one, two)
    assert [a.id for a in articles] == ["same", "other"]
    (error,) = errors
    assert error.data["line"] == 2 and "duplicate id 'same'" in error.message and f"{one}:1" in error.message


def test_dates_are_parsed_leniently() -> None:
    assert parse_date("2015-07-21") == date(2015, 7, 21)
    assert parse_date("2015-07-21 10:00:00") == date(2015, 7, 21)
    assert parse_date("2015-07-21T23:30:00+03:00") == date(2015, 7, 21)
    assert parse_date("2015/7/21") == date(2015, 7, 21)
    assert parse_date("٢٠١٥-٠٧-٢١") == date(2015, 7, 21)
    assert parse_date("Tue, 21 Jul 2015 10:00:00 +0000") == date(2015, 7, 21)
    assert parse_date("") is None and parse_date(None) is None
    with pytest.raises(ValueError, match="unreadable date"):
        parse_date("2015-13-45")


# --------------------------------------------------------------------------- .json


def test_json_saudinewsnet_shape(tmp_path: Path) -> None:
    """A list of {source, url, date_extracted, title, author, content}, with an empty content among them."""
    records = [
        {
            "source": "paper",
            "url": "http://paper.example/article/101/عنوان-عربي",
            "date_extracted": "2015-07-21 02:51:32",
            "title": "عنوان الخبر الأول",
            "author": "المحرر",
            "content": ARABIC,
        },
        {"source": "paper", "url": "http://paper.example/article/102", "date_extracted": "2015-07-22 08:00:00",
         "title": "فارغ", "author": "", "content": ""},
        {"source": "paper", "url": "http://paper.example/article/103", "date_extracted": "2015-07-22 09:00:00",
         "title": "الثالث", "author": "", "content": ARABIC + " مرة أخرى"},
    ]  # fmt: skip
    file = tmp_path / "2015-07-21.json"
    file.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    articles, errors = read(file)
    assert [a.title for a in articles] == ["عنوان الخبر الأول", "الثالث"]
    first = articles[0]
    assert (first.source, first.date, first.url) == ("paper", date(2015, 7, 21), records[0]["url"])
    assert first.id.startswith("paper-example-article-101-") and URL_SAFE.fullmatch(first.id)
    (error,) = errors
    assert error.message == f"{file}: [1]: empty 'content' field"


def test_json_articles_object_and_index_ids(tmp_path: Path) -> None:
    file = tmp_path / "export.json"
    file.write_text(json.dumps({"articles": [{"text": ARABIC}, {"text": ARABIC + " 2"}, 3]}), encoding="utf-8")
    articles, errors = read(file)
    assert [a.id.rsplit("-", 1)[0] for a in articles] == ["export-0", "export-1"]
    (error,) = errors
    assert "articles[2]: expected a JSON object, got int" in error.message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('[{"text": "x"},\n {"text": "y"}\n {"text": "z"}]', "invalid JSON"),
        ('"just a string"', "expected a list of articles"),
        ("[]", "no articles"),
    ],
)
def test_json_bad_files(tmp_path: Path, content: str, reason: str) -> None:
    file = tmp_path / "bad.json"
    file.write_text(content, encoding="utf-8")
    articles, errors = read(file)
    assert articles == []
    (error,) = errors
    assert reason in error.message
    if reason == "invalid JSON":
        assert error.data["line"] == 3


# --------------------------------------------------------------------------- .zip


def test_zip_reads_like_a_folder_and_reports_bad_members(tmp_path: Path) -> None:
    """SaudiNewsNet ships as zips of JSON: members are read in order; bad ones reported, the rest read."""
    archive = tmp_path / "2015-07-21.zip"
    day = [{"source": "paper", "url": "http://paper.example/a/1", "title": "أول", "content": ARABIC},
           {"source": "paper", "url": "http://paper.example/a/2", "title": "فارغ", "content": ""}]  # fmt: skip
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("day/2015-07-21.json", json.dumps(day, ensure_ascii=False))
        zf.writestr("day/b.txt", f"عنوان\n{ARABIC} ثانية")
        zf.writestr("day/broken.jsonl", '{"text": "نص"\n')
        zf.writestr("day/binary.txt", bytes(range(256)) * 4)
        zf.writestr("day/inner.zip", b"PK")
        zf.writestr("day/notes.pdf", b"%PDF")  # other types are skipped, as in folders
        zf.writestr("__MACOSX/day/._b.txt", b"junk")
    articles, errors = read(archive)
    assert [a.title for a in articles] == ["أول", "عنوان"]
    assert articles[1].path == f"{archive}/day/b.txt"
    by_member = {Path(e.data["path"]).name: e.data["reason"] for e in errors}
    assert set(by_member) == {"2015-07-21.json", "binary.txt", "broken.jsonl", "inner.zip"}
    assert "empty 'content' field" in by_member["2015-07-21.json"]
    assert "invalid JSON" in by_member["broken.jsonl"]
    assert "archives inside archives" in by_member["inner.zip"]
    # ids derive from the member's path inside the archive: stable across runs, distinct from a folder's
    again, _ = read(archive)
    assert [a.id for a in again] == [a.id for a in articles]


def test_zip_built_from_dot_is_read(tmp_path: Path) -> None:
    """``zip -r day.zip .`` names members ``./a.txt``: the ``.`` is not a hidden folder."""
    archive = tmp_path / "day.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("./a.txt", f"عنوان\n{ARABIC}")
        zf.writestr("./.hidden.txt", f"مخفي\n{ARABIC}")
    articles, errors = read(archive)
    assert [a.title for a in articles] == ["عنوان"] and not errors


def test_zip_members_over_the_size_limit_and_corrupt_archives(tmp_path: Path) -> None:
    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("huge.txt", "عنوان\n" + "ا " * 5000)  # compresses to almost nothing
        zf.writestr("ok.txt", f"عنوان\n{ARABIC}")
    articles, errors = read(archive, max_bytes=5000)
    assert [Path(a.path).name for a in articles] == ["ok.txt"]
    (error,) = errors
    assert error.data["path"] == f"{archive}/huge.txt" and "over the 5,000-byte limit" in error.data["reason"]

    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("readme.pdf", b"%PDF")
    articles, errors = read(corrupt, empty)
    assert articles == []
    assert "not a readable zip archive" in errors[0].message and str(corrupt) in errors[0].message
    assert "no readable files in the archive" in errors[1].message


def test_zip_member_lying_about_its_size_is_stopped_at_the_limit(tmp_path: Path) -> None:
    """A header that under-states the size must not let a member past the limit (zip-bomb guard)."""
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("a.txt", "عنوان\n" + "ب" * 3000)
    data = bytearray(archive.read_bytes())
    # patch the central directory's uncompressed size (offset 24 in the entry) to claim 10 bytes
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    articles, errors = read(archive, max_bytes=1000)
    assert articles == []
    (error,) = errors
    assert error.data["path"] == f"{archive}/a.txt"


# --------------------------------------------------------------------------- .html


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    paragraphs = "".join(f"<p>{ARABIC} فقرة رقم {i}.</p>" for i in range(4))
    file = tmp_path / "page.html"
    file.write_text(
        "<html><head><title>محادثات أنقرة - موقع الأخبار</title>"
        '<meta property="article:published_time" content="2025-10-12T09:00:00">'
        '<meta property="og:site_name" content="موقع الأخبار">'
        '<link rel="canonical" href="https://news.example.com/2025/ankara-talks"></head>'
        f"<body><nav><a href='/'>الرئيسية</a> | <a href='/x'>رياضة</a></nav><article><h1>محادثات أنقرة</h1>"
        f"{paragraphs}</article><footer>جميع الحقوق محفوظة</footer></body></html>",
        encoding="utf-8",
    )
    (article,), errors = read(file)
    assert errors == []
    assert "فقرة رقم 3" in article.text and "الرئيسية" not in article.text
    assert article.title.startswith("محادثات أنقرة")
    assert article.date == date(2025, 10, 12)
    assert article.url == "https://news.example.com/2025/ankara-talks"
    assert article.id.startswith("news-example-com-2025-ankara-talks-")


def test_html_without_main_text_is_an_error(tmp_path: Path) -> None:
    file = tmp_path / "empty.htm"
    file.write_text("<html><head><title>t</title></head><body><script>var x=1;</script></body></html>", "utf-8")
    articles, errors = read(file)
    assert articles == [] and "no main text" in errors[0].message


# --------------------------------------------------------------------------- folders, paths, ids


def test_folder_recursion_sorted_skipping_unknown_and_hidden(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    for rel in ["b/2.txt", "a/z.md", "a/sub/1.txt", "c.txt", "notes.pdf", ".hidden.txt", ".git/x.txt", "data.csv"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"عنوان {rel}\n{ARABIC}", encoding="utf-8")
    articles, errors = read(root)
    assert errors == []
    assert [Path(a.path).relative_to(root).as_posix() for a in articles] == [
        "a/sub/1.txt",
        "a/z.md",
        "b/2.txt",
        "c.txt",
    ]


def test_explicit_unknown_extension_and_missing_path_are_errors(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    articles, errors = read(pdf, tmp_path / "missing.txt")
    assert articles == []
    assert "unsupported file type '.pdf'" in errors[0].message and str(pdf) in errors[0].message
    assert "no such file or folder" in errors[1].message


def test_ids_are_stable_relative_to_the_ingest_root_and_url_safe(tmp_path: Path) -> None:
    root = tmp_path / "news"
    for rel in ["x/story.txt", "y/story.txt", "مقال عربي.txt"]:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ARABIC + rel, encoding="utf-8")
    first, _ = read(root)
    again, _ = read(root)
    assert [a.id for a in first] == [a.id for a in again]
    assert len({a.id for a in first}) == 3  # same file name in two folders: different ids
    assert all(URL_SAFE.fullmatch(a.id) for a in first)
    # moving the whole folder keeps the ids: they depend on the path relative to the root
    moved = tmp_path / "elsewhere"
    root.rename(moved)
    after_move, _ = read(moved)
    assert [a.id for a in after_move] == [a.id for a in first]


# --------------------------------------------------------------------------- API records


def test_articles_from_records() -> None:
    records: list[Any] = [
        {"id": "api-1", "title": "أول", "text": ARABIC, "date": "2025-10-12"},
        {"text": ARABIC + " بلا معرف"},
        {"title": "بلا نص"},
        {"id": "api-1", "text": "نص آخر"},
        "not an object",
    ]
    items = list(articles_from_records(records, origin="api"))
    articles = [i for i in items if isinstance(i, Article)]
    errors = [i for i in items if isinstance(i, InputError)]
    assert len(articles) == 2 and articles[0].id == "api-1"
    assert articles[1].id.startswith("api-") and URL_SAFE.fullmatch(articles[1].id)
    # the same record sent again gets the same derived id
    (again,) = articles_from_records([{"text": ARABIC + " بلا معرف"}], origin="api")
    assert isinstance(again, Article) and again.id == articles[1].id
    assert [e.data["index"] for e in errors] == [2, 3, 4]
    assert errors[0].message == "api: [2]: no 'text' or 'content' field"
    assert "duplicate id 'api-1'" in errors[1].message
    assert "expected a JSON object, got str" in errors[2].message


def test_articles_from_records_honours_the_size_limit() -> None:
    (error,) = articles_from_records([{"text": "a" * 50}], origin="api", max_article_chars=10)
    assert isinstance(error, InputError) and "over the 10-character limit" in error.message


def test_jsonl_with_crlf_line_ends_and_nfd_text(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "مُدَّة")  # shadda and fatha in non-canonical order after NFD
    lines = [json.dumps({"text": f"{ARABIC} {nfd}\r\nسطر"}, ensure_ascii=False), "{broken", json.dumps({"text": "ب"})]
    file = tmp_path / "crlf.jsonl"
    file.write_bytes("\r\n".join(lines).encode("utf-8"))
    articles, errors = read(file)
    assert [e.data["line"] for e in errors] == [2]
    assert articles[0].text == unicodedata.normalize("NFC", f"{ARABIC} {nfd}\nسطر")
    assert articles[1].id.startswith("crlf-3-")


SEEDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "seeds"


@pytest.mark.skipif(not (SEEDS / "article-ankara-talks.txt").exists(), reason="shared seed articles not present")
def test_shared_seed_articles_when_present() -> None:
    """The demo corpus: one article opens with a one-line bullet summary, the other does not."""
    articles, errors = read(SEEDS)
    assert errors == []
    by_name = {Path(a.path).name: a for a in articles}
    talks = by_name["article-ankara-talks.txt"]
    assert len(talks.summary.split("\n")) == 3
    assert not talks.title.startswith("-") and talks.title[:20] in talks.text.split("\n", 2)[2]
    call = by_name["article-phone-call.txt"]
    assert call.summary == "" and call.text.startswith(call.title)
