"""The product as shipped reads a tar.gz of TREC-style articles (the ANT corpus's shape): a real
``sanad ingest`` process, a fresh ``SANAD_HOME``, default settings, nothing injected."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from procs import run_sanad, user_env

pytestmark = pytest.mark.shipped

TREC = Path(__file__).parent / "fixtures" / "trec"
IDS = {"SN-economy-1-20250301", "SN-sport-2-20250302", "SN-culture-3-20250303"}


def test_sanad_ingest_reads_a_tar_gz_of_trec_articles(tmp_path: Path) -> None:
    archive = tmp_path / "corpus.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(TREC / "two-docs.txt", arcname="economy/two-docs.txt")
        tar.add(TREC / "no-doc-tag", arcname="culture/no-doc-tag")
        link = tarfile.TarInfo("culture/evil.txt")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    env = user_env(tmp_path / "home", shipped=True)
    proc = run_sanad(env, "ingest", str(archive), "--json", check=False)
    assert proc.returncode == 1, proc.stderr  # EXIT_SKIPPED: a refused member is reported, not fatal
    report = json.loads(proc.stdout)
    assert report["added"] == 3 and set(report["article_ids"]["added"]) == IDS, report
    assert [s["path"] for s in report["skipped"]] == [f"{archive}/culture/evil.txt"]
    assert "symbolic link" in report["skipped"][0]["reason"]
    listed = json.loads(run_sanad(env, "articles", "--json").stdout)
    titles = {a["id"]: a["title"] for a in listed}
    assert set(titles) == IDS and titles["SN-culture-3-20250303"] == "مهرجان قرطاج يعلن برنامجه"
    again = json.loads(run_sanad(env, "ingest", str(archive), "--json", check=False).stdout)
    assert again["added"] == 0 and again["updated"] == 0 and again["unchanged"] == 3, again
