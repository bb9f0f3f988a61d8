"""Streaming an LLM answer: show the answer text as it is generated, then verify it as usual.

The model is asked for the same JSON :class:`~qa.models.DraftAnswer` as always, through the
chat model's ``stream(messages)`` (plain text deltas). :class:`AnswerFieldStream` pulls the
top-level ``"answer"`` string out of the JSON while it is still incomplete and hands the
decoded text to ``on_token``. When the stream ends, the full reply goes through
:class:`~qa.llm_answerer.LLMAnswerer` unchanged — parsing, the one corrective retry (a normal,
non-streamed request), citation verification — by replaying it as the model's first reply.
So a streamed answer is checked exactly like a non-streamed one; what was streamed is only a
preview of its text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from index.documents import Passage

from .language import detect_language
from .llm import ChatModel, Completion
from .llm_answerer import LLMAnswerer
from .models import Answer
from .templates import Templates, default_templates

TokenCallback = Callable[[str], None]


@runtime_checkable
class StreamingChatModel(Protocol):
    """A chat model that can also stream a plain completion as text deltas."""

    def complete(
        self, messages: Sequence[Mapping[str, str]], *, schema: type[BaseModel] | None = None
    ) -> Completion: ...

    def stream(self, messages: Sequence[Mapping[str, str]]) -> Iterator[str]: ...


class AnswerFieldStream:
    """Incrementally extracts the top-level ``"answer"`` string value from streamed JSON.

    ``feed(delta)`` returns the newly decoded answer text (maybe ``""``). Text before the first
    ``{`` (a code fence, say) is ignored; escapes split across deltas are held back until whole.
    """

    def __init__(self, key: str = "answer") -> None:
        self.key = key
        self._stack: list[str] = []  # "{" or "["
        self._expect_key = False
        self._in_string = False
        self._escape = False
        self._string_is_key = False
        self._key_buf: list[str] = []
        self._last_key = ""
        self._capture_next = False
        self._capturing = False
        self._raw: list[str] = []  # the captured value, still JSON-escaped
        self._decoded_upto = 0  # how much of _raw has been decoded and emitted
        self.done = False
        self.text = ""

    def _safe_end(self, raw: str) -> int:
        """Length of the longest prefix of ``raw`` that does not end inside an escape sequence."""
        i, n = self._decoded_upto, len(raw)
        while i < n:
            if raw[i] != "\\":
                i += 1
                continue
            if i + 1 >= n:
                break
            if raw[i + 1] != "u":
                i += 2
                continue
            if i + 6 > n:
                break
            code = int(raw[i + 2 : i + 6], 16) if all(c in "0123456789abcdefABCDEF" for c in raw[i + 2 : i + 6]) else 0
            if 0xD800 <= code <= 0xDBFF:  # a surrogate pair: wait for the low half
                if i + 12 > n:
                    break
                i += 12
            else:
                i += 6
        return i

    def _flush(self, final: bool = False) -> str:
        raw = "".join(self._raw)
        end = len(raw) if final else self._safe_end(raw)
        if end <= self._decoded_upto:
            return ""
        segment = raw[self._decoded_upto : end]
        try:
            decoded = json.loads(f'"{segment}"')
        except json.JSONDecodeError:
            decoded = segment  # malformed escapes: show them raw; the final parse will judge
        self._decoded_upto = end
        self.text += decoded
        return str(decoded)

    def feed(self, delta: str) -> str:
        out: list[str] = []
        for ch in delta:
            if self.done:
                break
            if self._in_string:
                if self._escape:
                    self._escape = False
                    self._append(ch)
                elif ch == "\\":
                    self._escape = True
                    self._append(ch)
                elif ch == '"':
                    self._in_string = False
                    if self._capturing:
                        self._capturing = False
                        out.append(self._flush(final=True))
                        self.done = True
                    elif self._string_is_key:
                        self._last_key = "".join(self._key_buf)
                        self._expect_key = False
                else:
                    self._append(ch)
                continue
            if ch == '"':
                self._in_string = True
                top_object = len(self._stack) == 1 and self._stack[0] == "{"
                self._string_is_key = bool(self._stack) and self._stack[-1] == "{" and self._expect_key
                self._key_buf = []
                if not self._string_is_key and top_object and self._capture_next:
                    self._capturing = True
                self._capture_next = False
            elif ch == "{":
                self._stack.append("{")
                self._expect_key = True
                self._capture_next = False
            elif ch == "[":
                self._stack.append("[")
                self._capture_next = False
            elif ch in "}]":
                if self._stack:
                    self._stack.pop()
                self._expect_key = False
            elif ch == ",":
                self._expect_key = bool(self._stack) and self._stack[-1] == "{"
            elif ch == ":":
                top_object = len(self._stack) == 1 and self._stack[0] == "{"
                self._capture_next = top_object and self._last_key == self.key
                self._last_key = ""
        if self._capturing:
            out.append(self._flush())
        return "".join(out)

    def _append(self, ch: str) -> None:
        if self._capturing:
            self._raw.append(ch)
        elif self._string_is_key:
            self._key_buf.append(ch)


class _Replay:
    """A chat model whose first ``complete`` returns a reply already received; later calls go through."""

    def __init__(self, inner: ChatModel, first: Completion) -> None:
        self._inner = inner
        self._first: Completion | None = first
        name = getattr(inner, "model", "")
        self.model = name if isinstance(name, str) else ""

    def complete(self, messages: Sequence[Mapping[str, str]], *, schema: type[BaseModel] | None = None) -> Completion:
        if self._first is not None:
            reply, self._first = self._first, None
            return reply
        return self._inner.complete(messages, schema=schema)


def can_stream(chat_model: ChatModel | None) -> bool:
    return isinstance(chat_model, StreamingChatModel)


def stream_answer(
    chat_model: ChatModel,
    question: str,
    passages: Sequence[Passage],
    on_token: TokenCallback,
    *,
    templates: Templates | None = None,
    article_texts: Mapping[str, str] | None = None,
) -> Answer:
    """Answer with ``chat_model``, sending the answer text to ``on_token`` as it is generated.

    A model without ``stream`` is asked normally (nothing is streamed). Without passages there
    is nothing to ask. The returned ``Answer`` is verified exactly as :class:`LLMAnswerer` does.
    """
    templates = templates or default_templates()
    answerer = LLMAnswerer(chat_model, templates)
    passages = list(passages)
    if not passages or not isinstance(chat_model, StreamingChatModel):
        return answerer.answer(question, passages, article_texts=article_texts)
    started = time.perf_counter()
    messages = templates.answer_messages(question, passages, language=detect_language(question))
    extractor = AnswerFieldStream()
    parts: list[str] = []
    for delta in chat_model.stream(messages):
        parts.append(delta)
        text = extractor.feed(delta)
        if text:
            on_token(text)
    replay = _Replay(chat_model, Completion(text="".join(parts), model=answerer.model_name))
    answer = LLMAnswerer(replay, templates).answer(question, passages, article_texts=article_texts)
    answer.timings["answer"] = time.perf_counter() - started  # the stream included
    return answer
