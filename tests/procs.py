"""Real processes for the tests: the installed ``sanad`` command, ``sanad serve``, ``chroma run``,
a pseudo-terminal, and Debian's chromium. Shared by the ``shipped`` tests and the others.

Nothing here injects anything into Sanad: a child gets the caller's environment without any
``SANAD_*``/``OPENAI_*`` variable, plus what the test names (``SANAD_HOME`` at least).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
OASIS_ARTICLE = {
    "id": "oasis-library",
    "title": "مكتبة عامة جديدة في الواحة",
    "text": (
        "افتتحت بلدية الواحة مكتبة عامة جديدة تضم خمسة وأربعين ألف كتاب. "
        "وتفتح المكتبة أبوابها يوميا من التاسعة صباحا حتى العاشرة مساء. "
        "وقالت أمينة المكتبة إن قاعة الأطفال تتسع لستين طفلا."
    ),
    "date": "2025-04-02",
    "source": "sanad-tests",
}
"""An article in no sample: the shipped tests ingest it over HTTP and look for it."""
ARTIFACTS = ROOT / "artifacts"
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>]")
PROMPT = "› "
STEP_TIMEOUT = 240.0  # the first answer loads the embedder; CI machines can be slow
STARTUP_TIMEOUT_S = 120.0


def sanad_cmd() -> list[str]:
    """The installed console script (the real entry point), beside this interpreter."""
    script = Path(sys.executable).with_name("sanad")
    return [str(script)] if script.exists() else [sys.executable, "-m", "qa"]


def user_env(home: Path, *, shipped: bool = False, **extra: str) -> dict[str, str]:
    """The environment a user's shell would give ``sanad``: no Sanad or OpenAI settings but ``home``.

    ``shipped`` also drops the test suite's own hub-offline switches, so that the product is
    seen exactly as a user runs it (it must never need the hub)."""
    drop = ("SANAD_", "OPENAI_")
    dropped = {"NO_COLOR", "COLUMNS"} | ({"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"} if shipped else set())
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k not in dropped}
    env.update(SANAD_HOME=str(home), PYTHONUNBUFFERED="1", **extra)
    return env


def run_sanad(
    env: dict[str, str],
    *args: str,
    check: bool = True,
    python_m: bool = False,
    timeout: float = 600,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``sanad ARGS`` (or ``python -m qa ARGS``) as a user runs it; AssertionError on a non-zero exit."""
    cmd = [sys.executable, "-m", "qa"] if python_m else sanad_cmd()
    env = {**env, **(extra_env or {})}
    proc = subprocess.run([*cmd, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"sanad {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(proc: subprocess.Popen[bytes], probe: str, log: Path, what: str) -> float:
    started = time.perf_counter()
    with httpx.Client(timeout=2.0) as http:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{what} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
            with contextlib.suppress(httpx.TransportError):
                if http.get(probe).status_code == 200:
                    return time.perf_counter() - started
            if time.perf_counter() - started > STARTUP_TIMEOUT_S:
                pytest.fail(f"{what} did not answer in {STARTUP_TIMEOUT_S}s:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


@contextlib.contextmanager
def sanad_serve(env: dict[str, str], log: Path) -> Iterator[str]:
    """``sanad serve`` on a free port of 127.0.0.1 with ``env``; yields its URL, stops it after."""
    port = free_port()
    cmd = [*sanad_cmd(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_until_up(proc, url + "/healthz", log, "sanad serve")
            yield url
        finally:
            _stop(proc)


def chroma_cli() -> str:
    beside = Path(sys.executable).parent / "chroma"
    found = str(beside) if beside.is_file() else shutil.which("chroma")
    if not found:
        pytest.fail("the `chroma` CLI (installed with chromadb) is missing from the venv")
    return found


@contextlib.contextmanager
def chroma_run(data: Path, port: int | None = None) -> Iterator[tuple[str, float]]:
    """Start ``chroma run --path data``, wait for its heartbeat, yield (url, seconds to start); always stop it."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data.parent / f"{data.name}-server-{port}.log"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
    cmd = [chroma_cli(), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            seconds = _wait_until_up(proc, f"{url}/api/v2/heartbeat", log_path, "chroma run")
            yield url, seconds
        finally:
            _stop(proc)


# --- a pseudo-terminal ------------------------------------------------------------------------------


def _controlling_tty() -> None:
    # In the child: a new session whose controlling terminal is the pty, so Ctrl-C sends SIGINT,
    # with the default handling a terminal session starts with (a test run launched in the
    # background, e.g. `nohup make test &`, inherits SIGINT ignored, and Ctrl-C would do nothing).
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """A child process on a pseudo-terminal: type into it, read what it shows."""

    def __init__(self, argv: list[str], env: dict[str, str], *, rows: int = 50, cols: int = 200) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**env, "TERM": env.get("TERM", "xterm-256color")}
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, preexec_fn=_controlling_tty
        )
        os.close(slave)
        self.master = master
        self.raw = b""

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    @property
    def plain(self) -> str:
        return ANSI.sub("", self.text).replace("\r", "")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            data = b""
        self.raw += data
        return bool(data)

    def wait_for(self, done: Callable[[str], bool], what: str, timeout: float = STEP_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not done(self.plain):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {what}; the terminal shows:\n{self.plain[-3000:]}")
            if not self._read(min(left, 0.5)) and self.proc.poll() is not None:
                raise AssertionError(f"sanad exited ({self.proc.returncode}) before {what}:\n{self.plain[-3000:]}")

    def prompts(self, n: int) -> None:
        """Wait for the n-th prompt and for the program to be reading at it."""
        self.wait_for(lambda s: s.count(PROMPT) >= n, f"prompt #{n}")
        self.reading()

    def type(self, line: str) -> None:
        os.write(self.master, line.encode("utf-8"))

    def reading(self, timeout: float = 10.0) -> bool:
        """Wait until the program reads a line with line editing on (readline turns the terminal's
        canonical mode off). Typed earlier, a line is echoed twice: once by the terminal in cooked
        mode and again when readline redraws it, as with any type-ahead. False if it never does
        (no readline): the caller types anyway."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not termios.tcgetattr(self.master)[3] & termios.ICANON:
                return True
            self._read(0.05)
        return False

    def converse(self, lines: list[str]) -> int:
        """Type each line at its prompt (the last one should leave, e.g. ``/quit``); the exit status."""
        for n, line in enumerate(lines, 1):
            self.prompts(n)
            self.type(line + "\r")
        return self.exit_status()

    def exit_status(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        if self.proc.poll() is None:
            self.proc.kill()
            raise AssertionError(f"sanad chat did not exit:\n{self.plain[-3000:]}")
        while select.select([self.master], [], [], 0.1)[0] and self._read(0):  # what is left to show
            pass
        return self.proc.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


# --- Debian's chromium --------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def click_citations_and_check_highlights(
    page: Any, answer: Any, citations: list[dict[str, Any]], texts: dict[str, str]
) -> None:
    """Click each citation marker of ``answer`` (a page locator) in turn: the highlighted span in the
    article panel is the article's own text at the citation's offsets, and equals its quote. A
    citation may be marked more than once (the short answer and its sentence both carry ``[1]``)."""
    from playwright.sync_api import expect

    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.locator(".text").text_content() or "")]
    by_n = {c["n"]: c for c in citations}
    assert set(numbers) == set(by_n), (numbers, sorted(by_n))
    markers = answer.locator(".text button.cite")
    expect(markers).to_have_count(len(numbers))
    for i, n in enumerate(numbers):
        citation = by_n[n]
        markers.nth(i).click()
        mark = page.locator("#article-text mark#highlight")
        expect(mark).to_have_attribute("data-n", str(citation["n"]))
        article = texts[citation["article_id"]]
        assert mark.text_content() == citation["quote"] == article[citation["start"] : citation["end"]]
        expect(page.locator("#article-text")).to_have_text(article)
        expect(page.locator("#article-warning")).to_be_hidden()


def chromium_missing() -> bool:
    """True when the browser is not installed. Under CI (``CI=true``) that is a failure, never a skip."""
    if Path(CHROMIUM).exists():
        return False
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("CI=true and Debian's chromium is missing: .ci/run installs it (apt-get install chromium)")
    return True
