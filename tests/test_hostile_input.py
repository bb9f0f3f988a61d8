"""Hostile input at the door (issue 12): lone surrogates, devices, FIFOs. A bad record or file is
reported with its reason and never takes its neighbours with it."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from fakes import HashEmbedder

from index.errors import InputError
from index.hygiene import text_problem
from index.indexer import Indexer
from index.readers import articles_from_records, read_paths
from index.store import ChunkStore

GOOD_1 = {"id": "good-1", "title": "خبر أول", "text": "افتتحت البلدية حديقة عامة جديدة في الحي الشمالي."}
GOOD_2 = {"id": "good-2", "title": "خبر ثان", "text": "تجاوز عدد زوار معرض الكتاب مئتي ألف زائر هذا العام."}
# Valid JSON whose string holds a lone (unpaired) surrogate: json.loads accepts it, UTF-8 cannot encode it.
BAD_LINE = '{"id": "bad", "title": "t", "text": "نص فيه \\ud800 حرف مكسور"}'


def test_text_problem_names_lone_surrogates_and_noncharacters() -> None:
    assert text_problem("نص سليم 😀 emoji pairs are fine") is None
    problem = text_problem("abc\ud800def")
    assert problem is not None and "surrogate" in problem and "U+D800" in problem and "3" in problem
    assert text_problem("x\uffffy") is not None  # a noncharacter
    assert text_problem("x\ufdd0y") is not None


def test_a_lone_surrogate_rejects_its_record_only(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join([json.dumps(GOOD_1), BAD_LINE, json.dumps(GOOD_2)]) + "\n", encoding="utf-8")
    items = list(read_paths([path], max_bytes=1_000_000, max_article_chars=100_000))
    ids = [i.id for i in items if not isinstance(i, InputError)]
    errors = [i for i in items if isinstance(i, InputError)]
    assert ids == ["good-1", "good-2"]
    assert len(errors) == 1 and errors[0].data["line"] == 2 and "surrogate" in errors[0].message


def test_a_lone_surrogate_in_a_title_or_api_record(tmp_path: Path) -> None:
    records = [GOOD_1, {"id": "bad-title", "title": "عنوان \udfff", "text": "نص سليم تماما هنا."}, GOOD_2]
    items = list(articles_from_records(records, origin="api"))
    assert [i.id for i in items if not isinstance(i, InputError)] == ["good-1", "good-2"]
    (error,) = [i for i in items if isinstance(i, InputError)]
    assert error.data["index"] == 1 and "title" in error.message and "surrogate" in error.message


def test_ingest_with_a_lone_surrogate_keeps_the_good_lines(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join([json.dumps(GOOD_1), BAD_LINE, json.dumps(GOOD_2)]) + "\n", encoding="utf-8")
    embedder = HashEmbedder()
    store = ChunkStore(embedder, path=tmp_path / "chroma")
    report = Indexer(embedder, store, chunk_tokens=20).ingest_paths([path])
    assert sorted(report.added) == ["good-1", "good-2"]
    assert len(report.skipped) == 1 and "surrogate" in report.skipped[0].reason


# --- reading only regular files --------------------------------------------------------------------


def test_a_symlink_to_a_device_is_refused_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ok.txt").write_text("عنوان\n\nنص خبر قصير عن افتتاح حديقة.", encoding="utf-8")
    (folder / "zero.txt").symlink_to("/dev/zero")  # stat() says 0 bytes; reading never ends
    items = list(read_paths([folder], max_bytes=1_000_000, max_article_chars=100_000))
    errors = [i for i in items if isinstance(i, InputError)]
    assert [i.path for i in items if not isinstance(i, InputError)] == [str(folder / "ok.txt")]
    assert len(errors) == 1 and errors[0].data["path"].endswith("zero.txt") and "device" in errors[0].message


def test_a_symlink_to_a_device_named_directly(tmp_path: Path) -> None:
    link = tmp_path / "zero.jsonl"
    link.symlink_to("/dev/zero")
    (error,) = list(read_paths([link], max_bytes=1_000_000, max_article_chars=100_000))
    assert isinstance(error, InputError) and "device" in error.message


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ok.md").write_text("# عنوان\n\nنص خبر قصير عن افتتاح حديقة.", encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")
    result: list[object] = []
    reader = threading.Thread(
        target=lambda: result.extend(read_paths([folder], max_bytes=1_000_000, max_article_chars=100_000)),
        daemon=True,
    )
    reader.start()
    reader.join(timeout=20)
    if reader.is_alive():  # unblock the reader so the test process can end
        with open(folder / "pipe.txt", "wb"):
            pass
        pytest.fail("reading a folder with a FIFO in it blocked")
    errors = [i for i in result if isinstance(i, InputError)]
    assert len(errors) == 1 and errors[0].data["path"].endswith("pipe.txt") and "FIFO" in errors[0].message
    assert sum(1 for i in result if not isinstance(i, InputError)) == 1


def test_a_file_that_grows_past_the_cap_is_cut_off(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("عنوان\n\n" + "كلمة " * 2000, encoding="utf-8")
    (error,) = list(read_paths([path], max_bytes=1000, max_article_chars=100_000))
    assert isinstance(error, InputError) and "limit" in error.message
