"""Chat models: one Protocol with one essential method, and its OpenAI-compatible backend.

``ChatModel.complete(messages, schema=...)`` sends chat messages and returns a
:class:`Completion`. With a pydantic ``schema`` the model is asked for structured output:
``response_format={"type": "json_schema", "strict": true, ...}`` built from the schema; a server
that rejects that (HTTP 400/422 about ``response_format``) is asked again with
``{"type": "json_object"}`` and the schema spelled out in the system message, and the
fallback is remembered for the next calls. Parsing and validating the reply is the caller's
job (see :mod:`qa.llm_answerer`): ``complete`` only returns text.

Failures become :class:`~index.errors.LLMError` with the endpoint, the model and what happened
(``data["reason"]``: ``timeout``, ``connection``, ``http_<status>``, ``empty``). Retries of
429/5xx/timeouts are the ``openai`` SDK's own (``max_retries``, exponential backoff,
``Retry-After`` honoured).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from pydantic import BaseModel

from index.errors import ConfigError, LLMError
from qa.models import Usage
from qa.settings import LLMSettings

if TYPE_CHECKING:  # the SDK (~0.6 s of imports) loads when a chat model is built, not for extractive answers
    import openai
    from openai.types.chat import ChatCompletionMessageParam
    from openai.types.chat.completion_create_params import ResponseFormat

Structured = Literal["json_schema", "json_object"]

PLACEHOLDER_API_KEY = "sk-local"
"""Sent when no API key is configured: local servers ignore it, the SDK insists on one."""


@dataclass(frozen=True)
class Completion:
    """What a chat model returned: the text, the tokens used, and which model answered."""

    text: str
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: str = ""


class ChatModel(Protocol):
    """Anything that can complete a chat. Test fakes implement this one method."""

    def complete(
        self, messages: Sequence[Mapping[str, str]], *, schema: type[BaseModel] | None = None
    ) -> Completion: ...


# --- strict JSON schema from a pydantic model ---------------------------------------------------


@dataclass(frozen=True)
class SchemaLimits:
    """Upper bounds added to every string (``maxLength``) and array (``maxItems``) of a schema.

    For grammar-constrained local servers (llama.cpp): a small model that starts repeating
    itself is forced to close its strings and lists, so the JSON ends before ``max_tokens``.
    OpenAI's strict mode rejects these keywords: leave them off for hosted APIs.
    """

    max_string_length: int | None = None
    max_items: int | None = None


def strict_json_schema(model: type[BaseModel], limits: SchemaLimits | None = None) -> dict[str, Any]:
    """The model's JSON schema in the form OpenAI's ``strict`` mode accepts.

    ``$ref``s are inlined (no recursion allowed), every object gets
    ``additionalProperties: false`` and lists all its properties as required, and
    ``default``/``title`` annotations are dropped. ``limits`` adds length bounds (see
    :class:`SchemaLimits`).
    """
    raw = model.model_json_schema()
    defs: dict[str, Any] = raw.get("$defs", {})

    def convert(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [convert(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            name = str(node["$ref"]).rsplit("/", 1)[-1]
            if name in seen:
                raise ValueError(f"recursive schema {name!r} cannot be made strict")
            target = dict(convert(defs[name], seen | {name}))
            if "description" in node:
                target["description"] = node["description"]
            return target
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("default", "title", "$defs"):
                continue
            if key == "properties":
                out[key] = {prop: convert(sub, seen) for prop, sub in value.items()}
            else:
                out[key] = convert(value, seen)
        if out.get("type") == "object" or "properties" in out:
            out["additionalProperties"] = False
            out["required"] = list(out.get("properties", {}))
        if limits is not None:
            if out.get("type") == "string" and "enum" not in out and limits.max_string_length is not None:
                out["maxLength"] = limits.max_string_length
            if out.get("type") == "array" and limits.max_items is not None:
                out["maxItems"] = limits.max_items
        return out

    schema = convert(raw, frozenset())
    return cast(dict[str, Any], schema)


def _schema_instruction(schema: type[BaseModel], limits: SchemaLimits | None) -> str:
    shape = json.dumps(strict_json_schema(schema, limits), ensure_ascii=False)
    return "\n\nReply with one JSON object, and nothing else, that matches this JSON schema:\n" + shape


def _rejects_response_format(exc: openai.APIStatusError) -> bool:
    if exc.status_code not in (400, 422):
        return False
    text = f"{exc.message} {exc.body!r}".lower()
    return "response_format" in text or "json_schema" in text or "response format" in text


# --- the OpenAI-compatible backend ---------------------------------------------------------------


class OpenAIChatModel:
    """A chat model behind an OpenAI-compatible ``/v1/chat/completions`` endpoint (real ``openai`` SDK).

    ``extra_body`` is merged into every request, for server-specific options such as llama.cpp's
    ``{"repeat_penalty": 1.1}``; ``schema_limits`` bounds the structured output's strings and
    lists (for small local models, see :class:`SchemaLimits`).
    """

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        structured: Structured = "json_schema",
        extra_body: Mapping[str, Any] | None = None,
        schema_limits: SchemaLimits | None = None,
    ) -> None:
        if structured not in ("json_schema", "json_object"):
            raise ValueError(f"structured must be 'json_schema' or 'json_object', not {structured!r}")
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.temperature = temperature
        self.max_tokens = max_tokens
        self._structured: Structured = structured
        self.extra_body: dict[str, Any] | None = dict(extra_body) if extra_body else None
        self.schema_limits = schema_limits
        self._lock = threading.Lock()
        import openai

        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or PLACEHOLDER_API_KEY,
            timeout=timeout,
            max_retries=max_retries,
        )
        self.endpoint = str(self._client.base_url).rstrip("/")

    @property
    def structured(self) -> Structured:
        """The structured-output mode in use (``json_object`` after a json_schema rejection)."""
        return self._structured

    def close(self) -> None:
        """Close the HTTP connection pool (also done when the object is garbage-collected)."""
        self._client.close()

    def __enter__(self) -> OpenAIChatModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OpenAIChatModel(model={self.model!r}, endpoint={self.endpoint!r}, structured={self._structured!r})"

    # -- requests --

    def _prepare(
        self, messages: Sequence[Mapping[str, str]], schema: type[BaseModel] | None, mode: Structured
    ) -> tuple[list[ChatCompletionMessageParam], ResponseFormat | openai.Omit]:
        import openai

        msgs = [dict(m) for m in messages]
        if schema is None:
            return cast("list[ChatCompletionMessageParam]", msgs), openai.omit
        if mode == "json_schema":
            fmt: ResponseFormat = {
                "type": "json_schema",
                "json_schema": {
                    "name": schema.__name__,
                    "strict": True,
                    "schema": strict_json_schema(schema, self.schema_limits),
                },
            }
        else:
            fmt = {"type": "json_object"}
            # json_object mode needs the shape in the prompt (and the word JSON, which OpenAI checks).
            instruction = _schema_instruction(schema, self.schema_limits)
            if msgs and msgs[0].get("role") == "system":
                msgs[0]["content"] = msgs[0].get("content", "") + instruction
            else:
                msgs.insert(0, {"role": "system", "content": instruction.strip()})
        return cast("list[ChatCompletionMessageParam]", msgs), fmt

    def _error(self, exc: Exception) -> LLMError:
        import openai

        where = f"LLM request to {self.endpoint} (model {self.model!r})"
        data: dict[str, Any] = {"endpoint": self.endpoint, "model": self.model}
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(
                f"{where} timed out after {self.timeout:g}s (tried {self.max_retries + 1} times)",
                reason="timeout",
                **data,
            )
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"{where} failed: cannot connect ({exc})", reason="connection", **data)
        if isinstance(exc, openai.APIStatusError):
            body = exc.body.get("error", exc.body) if isinstance(exc.body, dict) else None
            detail = body.get("message") if isinstance(body, dict) else None
            return LLMError(
                f"{where} failed with HTTP {exc.status_code}: {detail if isinstance(detail, str) else exc.message}",
                reason=f"http_{exc.status_code}",
                http_status=exc.status_code,
                **data,
            )
        return LLMError(f"{where} failed: {exc}", reason="error", **data)

    def _create(self, messages: Sequence[Mapping[str, str]], schema: type[BaseModel] | None, **extra: Any) -> Any:
        """One chat.completions call; a server that rejects json_schema is asked again with json_object."""
        import openai

        while True:
            mode = self._structured
            msgs, fmt = self._prepare(messages, schema, mode)
            try:
                return self._client.chat.completions.create(
                    model=self.model,
                    messages=msgs,
                    temperature=self.temperature,
                    max_tokens=self.max_tokens,
                    response_format=fmt,
                    extra_body=self.extra_body,
                    **extra,
                )
            except openai.APIStatusError as exc:
                if schema is not None and mode == "json_schema" and _rejects_response_format(exc):
                    with self._lock:
                        self._structured = "json_object"
                    continue
                raise self._error(exc) from exc
            except openai.OpenAIError as exc:
                raise self._error(exc) from exc

    def complete(self, messages: Sequence[Mapping[str, str]], *, schema: type[BaseModel] | None = None) -> Completion:
        """One chat completion; with ``schema``, structured output (see the module docstring)."""
        response = self._create(messages, schema)
        if not response.choices:
            raise LLMError(
                f"LLM at {self.endpoint} (model {self.model!r}) returned no choices",
                reason="empty",
                endpoint=self.endpoint,
                model=self.model,
            )
        choice = response.choices[0]
        usage = Usage()
        if response.usage is not None:
            usage = Usage(
                prompt_tokens=response.usage.prompt_tokens or 0,
                completion_tokens=response.usage.completion_tokens or 0,
                total_tokens=response.usage.total_tokens or 0,
            )
        return Completion(
            text=choice.message.content or "",
            usage=usage,
            model=response.model or self.model,
            finish_reason=str(choice.finish_reason or ""),
        )

    def stream(self, messages: Sequence[Mapping[str, str]], *, schema: type[BaseModel] | None = None) -> Iterator[str]:
        """The completion as text deltas (server-sent events).

        With ``schema``, the same structured output as :meth:`complete` (and the same
        json_object fallback, decided before the first delta): the deltas concatenate to the JSON.
        """
        import openai

        chunks = self._create(messages, schema, stream=True)
        try:
            with chunks:
                for chunk in chunks:
                    for choice in chunk.choices:
                        if choice.delta.content:
                            yield choice.delta.content
        except openai.OpenAIError as exc:
            raise self._error(exc) from exc


def from_settings(settings: LLMSettings) -> OpenAIChatModel | None:
    """The configured chat model, or ``None`` when no LLM is configured (→ extractive answers)."""
    if not settings.enabled or not settings.model:
        return None
    structured = settings.structured.strip().lower()
    if structured not in ("json_schema", "json_object"):
        raise ConfigError(
            f"SANAD_LLM_STRUCTURED must be 'json_schema' or 'json_object', not {settings.structured!r}",
            setting="llm.structured",
        )
    return OpenAIChatModel(
        model=settings.model,
        base_url=settings.base_url,
        api_key=settings.api_key,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        structured=cast(Structured, structured),
    )
