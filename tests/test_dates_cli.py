"""``sanad dates`` as shipped: the installed ``sanad`` script in a real process, a fresh ``SANAD_HOME``,
default settings, nothing injected."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from procs import run_sanad, sanad_cmd, user_env

pytestmark = pytest.mark.shipped

SENTENCE = "وكانت الخارجية التركية قد أعلنت أمس السبت أن الاتفاقية وُقّعت في 13 أغسطس/آب الماضي، خلال الشهر الماضي"


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    return user_env(tmp_path / "home", shipped=True)


def test_dates_json(env: dict[str, str]) -> None:
    proc = run_sanad(env, "dates", SENTENCE, "--published", "2025-10-12", "--json")
    mentions = json.loads(proc.stdout)
    assert [(m["text"], m.get("date"), m.get("range")) for m in mentions] == [
        ("أمس السبت", "2025-10-11", None),
        ("13 أغسطس/آب الماضي", "2025-08-13", None),
        ("الشهر الماضي", None, ["2025-09-01", "2025-09-30"]),
    ]
    assert all(SENTENCE[m["start"] : m["end"]] == m["text"] for m in mentions)
    assert proc.stderr == ""


def test_dates_reads_stdin(env: dict[str, str]) -> None:
    cmd = [*sanad_cmd(), "dates", "-", "--published", "2025-10-17", "--json"]
    proc = subprocess.run(cmd, input=SENTENCE, env=env, capture_output=True, text=True, timeout=120, check=True)
    assert [m["text"] for m in json.loads(proc.stdout)] == ["أمس السبت", "13 أغسطس/آب الماضي", "الشهر الماضي"]


def test_dates_table_and_unresolved(env: dict[str, str]) -> None:
    shown = run_sanad(env, "dates", "اليوم الأحد", "--published", "2025-10-12").stdout
    assert "اليوم الأحد" in shown and "2025-10-12" in shown
    unresolved = json.loads(run_sanad(env, "dates", "أمس", "--json").stdout)
    assert unresolved == [{"start": 0, "end": 3, "text": "أمس", "date": None}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["أمس", "--published", "2025-13-01"], "--published is not a date (YYYY-MM-DD): '2025-13-01'"),
        (["   ", "--published", "2025-10-12"], "the text is empty"),
        (["أمس\udcff", "--published", "2025-10-12"], "lone surrogate U+DCFF"),
    ],
)
def test_bad_input_exits_2_with_a_reason(env: dict[str, str], args: list[str], message: str) -> None:
    proc = run_sanad(env, "dates", *args, check=False)
    assert proc.returncode == 2, proc
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_help_lists_what_it_recognises_and_the_exit_codes(env: dict[str, str]) -> None:
    shown = run_sanad(env, "dates", "-h").stdout
    assert "جانفي" in shown and "الأسبوع الماضي" in shown and "exit status: 0 ok" in shown
    assert "dates" in run_sanad(env, "-h").stdout
