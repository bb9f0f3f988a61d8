"""The product as shipped against a real ``chroma run`` server: ``SANAD_CHROMA_URL`` is the only
setting; ingest, ask and forget through the ``sanad`` command."""

from __future__ import annotations

import json

import pytest
from procs import SAMPLES, chroma_run, run_sanad, user_env

pytestmark = pytest.mark.shipped

DESAL_Q = "كم تبلغ الطاقة الإنتاجية لمحطة تحلية المياه؟"


def test_ingest_ask_forget_against_chroma_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("shipped-chroma-home")
    with chroma_run(tmp_path_factory.mktemp("shipped-chroma") / "db") as (url, _):
        env = user_env(home, shipped=True, SANAD_CHROMA_URL=url)
        report = json.loads(run_sanad(env, "ingest", str(SAMPLES), "--json").stdout)
        assert report["added"] == 2 and report["skipped"] == []
        assert not (home / "chroma").exists()  # the chunks went to the server, not to disk here

        answer = json.loads(run_sanad(env, "ask", DESAL_Q, "--json").stdout)
        assert answer["status"] == "answered"
        cited = answer["citations"][0]
        assert "12.5" in cited["quote"]

        gone = json.loads(run_sanad(env, "forget", cited["article_id"], "--json").stdout)
        assert gone["article_id"] == cited["article_id"] and gone["chunks_removed"] >= 1
        left = json.loads(run_sanad(env, "articles", "--json").stdout)
        assert [a["id"] for a in left] != [] and cited["article_id"] not in {a["id"] for a in left}
        after = json.loads(run_sanad(env, "ask", DESAL_Q, "--json").stdout)
        assert all(c["article_id"] != cited["article_id"] for c in after["citations"])
