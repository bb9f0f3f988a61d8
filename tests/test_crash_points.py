"""Crash consistency (issue 12): a real process (chromadb on disk, tantivy) is ended at every named
write boundary of ingest, forget and reindex (``SANAD_CRASH_AT``, ``os._exit``: like ``kill -9``).
After each crash, what is visible is what was committed; a re-run ends with the very index an
uninterrupted run builds (records, chunk ids, sentence vectors, lexical index, search results)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from index.crash import CRASH_ENV, CRASH_EXIT, POINTS

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("crash_child.py")
STEPS = ("ingest-v1", "ingest-v2", "forget", "reindex")
FORGET = "anqara"

ANQARA = {
    "id": "anqara",
    "title": "اجتماع أمني في أنقرة",
    "date": "2025-03-10",
    "text": "وصل وفد سوري رفيع المستوى إلى أنقرة اليوم الأحد. وشارك في اللقاء وزير الخارجية التركي هاكان فيدان. "
    "وبحث الجانبان ضبط الحدود ومكافحة الإرهاب، بحسب وكالة الأناضول.",
}
BOOKFAIR = {
    "id": "bookfair",
    "title": "معرض الكتاب",
    "date": "2025-03-14",
    "text": "تجاوز عدد زوار معرض الكتاب مئتي ألف زائر. وتشارك في المعرض 640 دار نشر من 32 دولة. "
    "ويستمر المعرض عشرة أيام.",
}
DESAL = {
    "id": "desal",
    "title": "محطة تحلية المياه",
    "text": "افتتحت محطة تحلية المياه بالطاقة الشمسية بطاقة 12.5 ألف متر مكعب يوميا. وبلغت كلفتها 38 مليون دولار.",
}
RAIN = {
    "id": "rain",
    "title": "أمطار غزيرة",
    "text": "هطلت الأمطار الغزيرة على المدينة طوال الليل. وأغلقت السلطات عددا من الطرق.",
}
# v2: one article edited (a sentence and the title), one added, two unchanged.
BOOKFAIR_2 = {
    **BOOKFAIR,
    "title": "معرض الكتاب الدولي",
    "text": BOOKFAIR["text"].replace("عشرة أيام", "أسبوعين"),
}


def corpus(folder: Path, articles: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True)
    (folder / "feed.jsonl").write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), "utf-8")
    return folder


def child(*args: str, crash: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    if crash:
        env[CRASH_ENV] = crash
    return subprocess.run(
        [sys.executable, str(CHILD), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def state_of(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


class Run:
    """The corpora, the uninterrupted run's final state, and the home as it is before each step."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.v1 = corpus(root / "v1", [ANQARA, BOOKFAIR, DESAL])
        self.v2 = corpus(root / "v2", [ANQARA, BOOKFAIR_2, DESAL, RAIN])
        self.before: dict[str, Path] = {}
        home = root / "prefix"
        home.mkdir()
        for step, following in zip(STEPS, (*STEPS[1:], "end"), strict=True):
            self.before[step] = root / f"before-{step}"
            shutil.copytree(home, self.before[step])
            self.final = state_of(child(str(home), str(self.v1), str(self.v2), step, following))

    def home_before(self, step: str, name: str) -> Path:
        home = self.root / name
        shutil.copytree(self.before[step], home)
        return home


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return Run(tmp_path_factory.mktemp("crash"))


def test_the_uninterrupted_run(run: Run) -> None:
    final = run.final
    assert set(final["records"]) == {"bookfair", "desal", "rain"}
    assert final["raw_chunks"] == final["visible_chunks"] and len(final["visible_chunks"]) == final["record_chunks"]
    assert final["sentence_articles"] == ["bookfair", "desal", "rain"] and final["sentences"] > 0
    assert final["lexical_articles"] == ["bookfair", "desal", "rain"]
    assert final["pending"] == [] and final["reindex_pending"] is False


def check_committed(state: dict[str, Any]) -> None:
    """What is visible is exactly what the records commit, and nothing else is left behind."""
    visible = set(state["visible_chunks"])
    assert len(visible) == state["record_chunks"]  # every committed chunk, and only those
    assert set(state["raw_chunks"]) == visible  # reconcile left no orphan
    assert set(state["sentence_articles"]) <= set(state["records"])
    assert state["pending"] == []
    for hits in state["search"].values():
        assert set(hits) <= visible  # no leg (dense, lexical, hybrid) returns an uncommitted chunk


@pytest.mark.parametrize("point", POINTS)
def test_a_crash_at_every_write_boundary(run: Run, point: str) -> None:
    step = {"ingest": "ingest-v2", "forget": "forget", "reindex": "reindex"}[point.split(":")[0]]
    home = run.home_before(step, point.replace(":", "-"))
    following = STEPS[STEPS.index(step) + 1] if step != STEPS[-1] else "end"
    crashed = child(str(home), str(run.v1), str(run.v2), step, following, crash=point)
    assert crashed.returncode == CRASH_EXIT, f"{point} was not reached:\n{crashed.stderr[-3000:]}"

    after = state_of(child(str(home), "--state"))
    check_committed(after)
    assert set(after["visible_articles"]) == {a for a, n in after["records"].items() if n}
    if step == "forget" and point not in ("forget:pending", "forget:logged"):  # the record is gone: so is all of it
        assert FORGET not in after["records"] and FORGET not in after["visible_articles"]
        assert FORGET not in after["sentence_articles"]
    if point == "reindex:reset":
        assert after["records"] == {} and after["reindex_pending"] is True  # dropped, but saved

    finished = state_of(child(str(home), str(run.v1), str(run.v2), step, "end"))
    assert finished == run.final
