"""Tar archives read like a folder (index/reader_tar.py) and TREC-style documents (index/reader_trec.py)."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from reader_helpers import read

from index.documents import Article

TREC = Path(__file__).parent / "fixtures" / "trec"
PLAIN = "محطة التحلية\n\nتبلغ طاقة المحطة الجديدة 100 ألف متر مكعب يوميا وتغطي حاجة المدينة."
MARKDOWN = "# مهرجان الربيع\n\nانطلقت فعاليات مهرجان الربيع في المدينة العتيقة بمشاركة 20 فرقة."


def add(archive: tarfile.TarFile, name: str, data: bytes | str, **fields: Any) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    info = tarfile.TarInfo(name)
    info.size = len(raw)
    for key, value in fields.items():
        setattr(info, key, value)
    archive.addfile(info, io.BytesIO(raw) if info.isreg() else None)


def special(archive: tarfile.TarFile, name: str, kind: bytes, linkname: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    archive.addfile(info)


def a_folder(root: Path) -> Path:
    """A folder of every text format, TREC-style ones among them."""
    (root / "economy").mkdir(parents=True)
    (root / "economy" / "plain.txt").write_text(PLAIN, encoding="utf-8")
    (root / "economy" / "festival.md").write_text(MARKDOWN, encoding="utf-8")
    records = [{"id": "rec-1", "title": "خبر", "text": "أعلنت الوزارة عن برنامج جديد لدعم الفلاحين في الجنوب."}]
    (root / "economy" / "wire.jsonl").write_text(json.dumps(records, ensure_ascii=False)[1:-1] + "\n", "utf-8")
    shutil.copy(TREC / "two-docs.txt", root / "economy" / "two-docs.txt")
    shutil.copy(TREC / "no-doc-tag", root / "no-doc-tag")
    (root / "LICENSE").write_text("Permission is hereby granted, free of charge.\n", encoding="utf-8")
    return root


def summary(articles: list[Article]) -> list[tuple[str, str, str, date | None]]:
    return sorted((a.title, a.text, a.summary, a.date) for a in articles)


# --------------------------------------------------------------------------- TREC


def test_trec_several_docs_in_one_file() -> None:
    articles, errors = read(TREC / "two-docs.txt")
    assert errors == []
    first, second = articles
    assert first.id == "SN-economy-1-20250301" and second.id == "SN-sport-2-20250302"
    assert first.title == "افتتاح محطة لتحلية مياه البحر في صفاقس"
    assert first.url == "http://example.com/ar/article/1" and first.source == "Sanad Test Wire"
    assert first.date == date(2025, 3, 1) and second.date == date(2025, 3, 2)
    # the abstract is the text's first line: not repeated; lines stripped, entities decoded, paragraphs kept
    assert first.text == (
        "افتتحت الشركة الوطنية محطة جديدة لتحلية مياه البحر.\n"
        "تبلغ طاقة المحطة 100 ألف متر مكعب يوميا & تغطي حاجة 600 ألف ساكن.\n\n"
        "وقال المدير إن الكلفة بلغت 700 مليون دينار."
    )
    assert first.summary == "افتتحت الشركة الوطنية محطة جديدة لتحلية مياه البحر."
    # a distinct abstract comes first; <P> tags end paragraphs; &lt;…&gt; is text, not a tag
    assert second.text == (
        "فوز الفريق المحلي في الدور النهائي.\n\n"
        "أحرز الفريق المحلي الكأس بعد فوزه بهدفين دون رد <في الملعب الأولمبي>.\n\n"
        "وحضر المباراة أكثر من 30 ألف متفرج."
    )
    assert second.title  # no <TITLE>: derived from the text
    assert "<" not in first.text + second.title


def test_trec_without_doc_tags_and_without_an_extension(tmp_path: Path) -> None:
    articles, errors = read(TREC / "no-doc-tag")
    assert errors == [] and [a.id for a in articles] == ["SN-culture-3-20250303"]
    assert articles[0].title == "مهرجان قرطاج يعلن برنامجه"
    assert articles[0].text.startswith("أعلنت إدارة مهرجان قرطاج")
    license_file = tmp_path / "LICENSE"
    license_file.write_text("Permission is hereby granted.\n", encoding="utf-8")
    articles, errors = read(license_file)
    assert articles == [] and "not TREC-style" in errors[0].message


def test_trec_ids_are_stable_and_bad_documents_are_reported(tmp_path: Path) -> None:
    text = (
        "<DOC>\n<TITLE>بلا رقم</TITLE>\n<TEXT>\nنص أول بلا رقم وثيقة.\n</TEXT>\n</DOC>\n"
        "<DOC>\n<TEXT>\nنص ثان بلا رقم وثيقة.\n</TEXT>\n</DOC>\n"
        "<DOC>\n<DOCNO> FBIS 3/17 </DOCNO>\n<TEXT>\nرقم وثيقة فيه مسافة.\n</TEXT>\n</DOC>\n"
        "<DOC>\n<DOCNO>EMPTY-1</DOCNO>\n<TITLE>فارغ</TITLE>\n<ABSTRACT>\n</ABSTRACT>\n</DOC>\n"
        "<DOC>\n<DOCNO>SN-economy-1-20250301</DOCNO>\n<TEXT>\nرقم مكرر.\n</TEXT>\n</DOC>\n"
    )
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    shutil.copy(TREC / "two-docs.txt", tmp_path / "b.txt")
    articles, errors = read(tmp_path)
    again, _ = read(tmp_path)
    assert [a.id for a in articles] == [a.id for a in again]
    assert len(articles) == 5 and len({a.id for a in articles}) == 5
    assert articles[0].title == "بلا رقم" and articles[1].id != articles[0].id
    assert articles[2].id.startswith("fbis-3-17-")  # not URL-safe: slug and hash of the DOCNO
    reasons = sorted(e.message for e in errors)
    assert "DOC EMPTY-1: no <TEXT>" in reasons[0] or "DOC EMPTY-1: no <TEXT>" in reasons[1]
    assert any("duplicate id 'SN-economy-1-20250301'" in r for r in reasons)


@pytest.mark.parametrize(
    "text",
    [
        "سعر الصرف < 3 دنانير\n\nانخفض سعر الصرف اليوم إلى أقل من 3 دنانير للدولار.",
        "<b>عنوان</b>\n\nنص مقال عادي يذكر وسم <DOC> في وسطه ولا يبدأ به.",
        "مقال عن أرشيف الوثائق\n\nيبدأ كل ملف في الأرشيف بالوسم <DOCNO> ثم رقم الوثيقة.",
    ],
)
def test_plain_text_with_angle_brackets_is_not_trec(tmp_path: Path, text: str) -> None:
    (tmp_path / "plain.txt").write_text(text, encoding="utf-8")
    articles, errors = read(tmp_path / "plain.txt")
    assert errors == [] and articles[0].text == text


# --------------------------------------------------------------------------- tar archives


@pytest.mark.parametrize(("name", "mode"), [("corpus.tar.gz", "w:gz"), ("corpus.tgz", "w:gz"), ("corpus.tar", "w")])
def test_a_tar_archive_reads_like_the_folder(tmp_path: Path, name: str, mode: str) -> None:
    folder = a_folder(tmp_path / "corpus")
    archive = tmp_path / name
    with tarfile.open(archive, mode) as tar:
        tar.add(folder, arcname="corpus")
    from_folder, folder_errors = read(folder)
    from_archive, archive_errors = read(archive)
    assert folder_errors == [] and archive_errors == []
    assert len(from_archive) == 6  # plain, md, jsonl, two TREC docs, the extensionless TREC file; no LICENSE
    assert summary(from_archive) == summary(from_folder)
    trec = {a.id: a for a in from_archive if a.id.startswith("SN-")}
    assert set(trec) == {"SN-economy-1-20250301", "SN-sport-2-20250302", "SN-culture-3-20250303"}
    assert trec["SN-culture-3-20250303"].path == f"{archive}/corpus/no-doc-tag"
    assert [a.id for a in read(archive)[0]] == [a.id for a in from_archive]  # stable: re-ingest is incremental


def test_bad_members_are_skipped_with_their_reason_the_rest_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "mixed.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add(tar, "ok.txt", PLAIN)
        add(tar, "big.txt", "ا" * 3000)
        add(tar, "binary.txt", b"\x00\x01\x02 not text")
        add(tar, "broken.jsonl", '{"text": "سطر صحيح هنا"}\n{not json\n')
        add(tar, "inner.zip", b"PK")
        add(tar, "inner.tar.gz", b"\x1f\x8b")
        add(tar, ".hidden.txt", PLAIN)
        add(tar, "__MACOSX/ok.txt", PLAIN)
        add(tar, "notes.csv", "a,b\n")
        add(tar, "./dot/after.md", MARKDOWN)
    articles, errors = read(archive, max_bytes=2000)
    assert sorted(a.path for a in articles) == sorted(
        [f"{archive}/ok.txt", f"{archive}/broken.jsonl", f"{archive}/./dot/after.md"]
    )
    by_member = {e.data["path"].removeprefix(f"{archive}/"): e.data["reason"] for e in errors}
    assert set(by_member) == {"big.txt", "binary.txt", "broken.jsonl", "inner.zip", "inner.tar.gz"}
    assert "6,000 bytes, over the 2,000-byte limit" in by_member["big.txt"]
    assert "binary" in by_member["binary.txt"] and "invalid JSON" in by_member["broken.jsonl"]
    assert "archives inside archives" in by_member["inner.zip"]


def test_a_member_is_never_read_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "big.tar"
    with tarfile.open(archive, "w") as tar:
        add(tar, "big.txt", "ب" * 50_000)
        add(tar, "ok.txt", PLAIN)
    asked: list[int] = []
    real = tarfile.ExFileObject.read

    def spy(self: Any, size: int | None = -1) -> bytes:
        asked.append(-1 if size is None else size)
        return real(self, size)

    monkeypatch.setattr(tarfile.ExFileObject, "read", spy)
    articles, errors = read(archive, max_bytes=5000)
    assert len(articles) == 1 and "over the 5,000-byte limit" in errors[0].message
    assert asked and all(0 <= n <= 5001 for n in asked)


@pytest.mark.parametrize(
    ("kind", "linkname", "reason"),
    [
        (tarfile.SYMTYPE, "/etc/passwd", "a symbolic link (to '/etc/passwd')"),
        (tarfile.LNKTYPE, "ok.txt", "a hard link (to 'ok.txt')"),
        (tarfile.CHRTYPE, "", "a character device"),
        (tarfile.BLKTYPE, "", "a block device"),
        (tarfile.FIFOTYPE, "", "a FIFO"),
    ],
)
def test_links_and_devices_in_the_archive_are_refused(tmp_path: Path, kind: bytes, linkname: str, reason: str) -> None:
    archive = tmp_path / "links.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        add(tar, "ok.txt", PLAIN)
        special(tar, "evil.txt", kind, linkname)
        special(tar, "bare-link", tarfile.SYMTYPE, "/etc/shadow")  # no extension: skipped quietly
    articles, errors = read(archive)
    assert [a.path for a in articles] == [f"{archive}/ok.txt"]
    assert len(errors) == 1 and errors[0].data["path"] == f"{archive}/evil.txt"
    assert reason in errors[0].message and "only regular members are read" in errors[0].message


def test_traversal_names_are_read_as_data_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "a" / "b" / "escape.tar.gz"
    archive.parent.mkdir(parents=True)
    with tarfile.open(archive, "w:gz") as tar:
        add(tar, "../../etc/x.txt", PLAIN)
        add(tar, "/tmp/sanad-absolute-member.md", MARKDOWN)
    monkeypatch.chdir(archive.parent)
    before = sorted(tmp_path.rglob("*"))
    articles, errors = read(archive)
    assert errors == [] and len(articles) == 2
    assert {a.path for a in articles} == {f"{archive}/../../etc/x.txt", f"{archive}//tmp/sanad-absolute-member.md"}
    assert articles[0].text == PLAIN.split("\n\n", 1)[0] + "\n\n" + PLAIN.split("\n\n", 1)[1]
    assert sorted(tmp_path.rglob("*")) == before
    assert not Path("/tmp/sanad-absolute-member.md").exists()


def test_a_truncated_or_corrupt_archive_is_reported_and_the_rest_is_ingested(tmp_path: Path) -> None:
    good = a_folder(tmp_path / "corpus")
    whole = tmp_path / "whole.tar.gz"
    with tarfile.open(whole, "w:gz") as tar:
        for i in range(40):
            add(tar, f"n/{i:02}.txt", f"خبر رقم {i}\n\n" + os.urandom(2000).hex())
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    garbage = tmp_path / "garbage.tgz"
    garbage.write_bytes(b"\x1f\x8b\x08\x00 this is not gzip data at all" * 10)
    plain = tmp_path / "notatar.tar"
    plain.write_text("just some text, not a tar archive", encoding="utf-8")
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    articles, errors = read(cut, garbage, plain, empty, good)
    from_cut = [a for a in articles if a.path.startswith(str(cut))]
    assert 0 < len(from_cut) < 40  # the members before the damage
    assert len(articles) - len(from_cut) == 6  # the folder after the broken archives is read
    cut_errors = [e.message for e in errors if e.data["path"].startswith(str(cut))]
    assert len(cut_errors) == 1 and "damaged or cut short" in cut_errors[0], cut_errors
    messages = {e.data["path"].split("/")[-1]: e.message for e in errors}
    assert str(garbage) in messages["garbage.tgz"]
    assert "tar archive" in messages["notatar.tar"] or "damaged" in messages["notatar.tar"]
    assert "no readable files in the archive" in messages["empty.tar.gz"]


def test_a_member_name_that_is_not_utf8_is_read_with_a_replacement_character(tmp_path: Path) -> None:
    archive = tmp_path / "names.tar"
    with tarfile.open(archive, "w", format=tarfile.GNU_FORMAT, encoding="latin-1") as tar:
        add(tar, "caf\xe9.txt", PLAIN)  # written as the single byte 0xE9: not UTF-8
    articles, errors = read(archive)
    assert errors == [] and articles[0].path == f"{archive}/caf\ufffd.txt"
    articles[0].path.encode("utf-8")  # no lone surrogates


def test_hostile_trec_files_are_read_in_linear_time(tmp_path: Path) -> None:
    """A million unclosed tags (or tags never ended by '>') must not make parsing quadratic."""
    import time

    hostile = "<DOC>\n<DOCNO>H-1</DOCNO>\n" + "<TITLE>x " * 200_000 + "<p x" * 200_000 + "<TEXT>\nنص.\n</TEXT>\n"
    (tmp_path / "hostile.txt").write_text(hostile, encoding="utf-8")
    started = time.perf_counter()
    articles, errors = read(tmp_path / "hostile.txt", max_bytes=5_000_000)
    assert time.perf_counter() - started < 10
    assert errors == [] and articles[0].id == "H-1" and articles[0].text == "نص."
