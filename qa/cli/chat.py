"""``sanad chat``: a multi-turn conversation in the terminal.

Follow-ups are rewritten into standalone questions (shown dim), answers stream when an LLM is
configured, references print under each answer. Commands: ``/sources N`` shows the cited
passage in its article with the quote highlighted, ``/reset``, ``/help``, ``/quit`` (EOF and
Ctrl-C at the prompt quit too; Ctrl-C during an answer cancels that turn). ``--session FILE``
continues a saved conversation and saves it after every turn (temp file + rename).

Right-to-left text is printed in logical order and left to the terminal's bidi; nothing is
reversed by hand. Article text is data: it is never read as rich markup.
"""

from __future__ import annotations

import argparse
import contextlib
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.text import Text

from index.errors import SanadError

from .common import add_filters, add_home, assistant_from_args, err, filters_from_args, out
from .render import print_answer, safe

if TYPE_CHECKING:  # the heavy modules load when the command runs, not for `sanad -h`
    from index.documents import Article, Filters

    from ..assistant import Assistant
    from ..models import Answer, Citation
    from ..session import ChatSession

PROMPT = "› "
QUOTE_STYLE = "bold black on yellow"
CONTEXT_CHARS = 400
HELP = """\
Ask a question; ask follow-ups as you would a person ("ومن قاد الجانب التركي؟").
  /sources N   show reference N of the last answer in its article, the quote highlighted
  /reset       forget the conversation
  /help        this help
  /quit        leave (also Ctrl-D or Ctrl-C)"""


def quote_context(article: Article, citation: Citation, *, context: int = CONTEXT_CHARS) -> Text:
    """The article text around ``citation`` (whole lines when they fit), the quote highlighted."""
    text = article.text
    start, end = citation.start, citation.end
    if text[start:end] != citation.quote:  # the article changed since the answer: look for the quote again
        found = text.find(citation.quote)
        if found < 0:
            return Text(safe(citation.quote), style=QUOTE_STYLE)
        start, end = found, found + len(citation.quote)
    lo = max(0, start - context)
    hi = min(len(text), end + context)
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    lo = line_start if line_start >= lo else _word_boundary(text, lo, forward=True)
    hi = line_end if line_end <= hi else _word_boundary(text, hi, forward=False)
    prefix = "…" if lo > 0 and text[lo - 1] != "\n" else ""
    snippet = Text(prefix + safe(text[lo:start]))  # each piece made safe on its own: offsets hold
    snippet.append(safe(text[start:end]), style=QUOTE_STYLE)
    snippet.append(safe(text[end:hi]))
    if hi < len(text) and text[hi] != "\n":
        snippet.append("…")
    return snippet


def _word_boundary(text: str, pos: int, *, forward: bool) -> int:
    """Move ``pos`` to the nearest whitespace (forward: after it; backward: before it) within 40 chars."""
    step = 1 if forward else -1
    for i in range(40):
        j = pos + step * i
        if 0 <= j < len(text) and text[j].isspace():
            return j + 1 if forward else j
    return pos


class ChatApp:
    """The read–answer loop of ``sanad chat``; ``run()`` returns the exit status."""

    def __init__(
        self,
        assistant: Assistant,
        session: ChatSession,
        *,
        session_path: Path | None = None,
        k: int | None = None,
        filters: Filters | None = None,
        as_of: date | None = None,
        console: Console = out,
        errors: Console = err,
    ) -> None:
        self.assistant = assistant
        self.session = session
        self.session_path = session_path
        self.k = k
        self.filters = filters
        self.as_of = as_of
        self.console = console
        self.errors = errors

    # --- the loop --------------------------------------------------------------------------

    def run(self) -> int:
        if self.console.is_terminal:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401  (line editing and history for input())
        self.console.print("Sanad chat — /help for commands, /quit to leave.", style="dim")
        if self.session.turns:
            n = sum(1 for t in self.session.turns if t.role == "user")
            self.console.print(f"(continuing a conversation of {n} question(s))", style="dim")
        while True:
            try:
                line = self.console.input(Text(PROMPT, style="bold green"))
            except (EOFError, KeyboardInterrupt):
                self.console.print()
                return 0
            line = line.strip()
            if not line:
                continue
            if line.startswith("/"):
                if not self.command(line):
                    return 0
                continue
            try:
                self.turn(line)
            except KeyboardInterrupt:
                self.errors.print("interrupted: that question was dropped", style="yellow")
            except SanadError as exc:
                self.errors.print(f"error: {safe(exc.message)}", style="red")

    def command(self, line: str) -> bool:
        """Run a ``/command``; False means leave."""
        name, _, arg = line.partition(" ")
        name, arg = name.lower(), arg.strip()
        if name in ("/quit", "/exit", "/q"):
            return False
        if name in ("/help", "/?"):
            self.console.print(HELP)
        elif name == "/reset":
            self.session.reset()
            self.save()
            self.console.print("The conversation was cleared.", style="dim")
        elif name in ("/sources", "/source"):
            self.sources(arg)
        else:
            self.errors.print(f"unknown command {name}; /help lists the commands", style="yellow")
        return True

    def turn(self, message: str) -> Answer:
        streamed = Text()
        live: Live | None = None
        stream = self.assistant.chat_model is not None and self.console.is_terminal

        def on_rewrite(standalone: str) -> None:
            if standalone != message:
                self.console.print(Text(f"↳ {safe(standalone)}", style="dim"))

        def on_token(delta: str) -> None:
            nonlocal live
            streamed.append(safe(delta))
            if live is None:
                live = Live(streamed, console=self.console, transient=True, refresh_per_second=15)
                live.start()
            else:
                live.update(streamed)

        try:
            answer = self.assistant.chat(
                self.session,
                message,
                k=self.k,
                filters=self.filters,
                on_token=on_token if stream else None,
                on_rewrite=on_rewrite,
                as_of=self.as_of,
            )
        finally:
            if live is not None:
                live.stop()
        print_answer(answer)
        self.save()
        return answer

    def sources(self, arg: str) -> None:
        answer = self.session.last_answer
        if answer is None or not answer.citations:
            self.errors.print("the last answer has no references", style="yellow")
            return
        numbers = [c.n for c in answer.citations]
        try:
            n = int(arg)
        except ValueError:
            self.errors.print(f"usage: /sources N (N is one of {', '.join(map(str, numbers))})", style="yellow")
            return
        citation = next((c for c in answer.citations if c.n == n), None)
        if citation is None:
            self.errors.print(f"no reference [{n}]; the last answer has {', '.join(map(str, numbers))}", style="yellow")
            return
        try:
            article = self.assistant.article(citation.article_id)
        except SanadError as exc:
            self.errors.print(f"error: {safe(exc.message)}", style="red")
            return
        about = ", ".join(
            part
            for part in (
                article.id,
                article.date.isoformat() if article.date else "",
                article.source,
                f"{citation.start}–{citation.end}",
            )
            if part
        )
        self.console.print(Text(f"[{n}] {safe(article.title or article.id)}", style="bold cyan"))
        self.console.print(Text(f"    {safe(about)}", style="dim"))
        if article.url:
            self.console.print(Text(f"    {safe(article.url)}", style="dim"))
        self.console.print(quote_context(article, citation))
        self.console.print()

    def save(self) -> None:
        if self.session_path is not None:
            self.session.save(self.session_path)


# --- the subcommand ------------------------------------------------------------------------


def cmd_chat(args: argparse.Namespace) -> int:
    from ..session import ChatSession

    path: Path | None = args.session
    session = ChatSession.load(path) if path is not None and path.exists() else ChatSession()
    assistant = assistant_from_args(args)
    filters = filters_from_args(args)
    app = ChatApp(assistant, session, session_path=path, k=args.k, filters=filters, as_of=args.as_of)
    with contextlib.suppress(BrokenPipeError):
        return app.run()
    return 0


def register(sub: Any) -> None:
    """Add ``chat`` to the ``sanad`` subcommands."""
    p = sub.add_parser("chat", help="a multi-turn conversation with cited answers")
    p.add_argument(
        "--session",
        type=Path,
        metavar="FILE",
        help="continue the conversation in FILE; save it there after each turn",
    )
    add_home(p)
    add_filters(p)
    p.set_defaults(func=cmd_chat)
