"""Answering with a language model: prompt → DraftAnswer → verified, numbered citations.

The model gets the question and the numbered passages (untrusted data, see
:mod:`qa.templates`) and is asked for a :class:`~qa.models.DraftAnswer`. Its reply is parsed
and validated; a reply that is not valid JSON for the schema, or that cites a passage number
it was not given, gets ONE retry with a corrective message, then :class:`LLMError`. Every
citation is then checked by :func:`qa.citations.verify`; claims without a verified citation
are dropped and counted. No verified claim, or a model that says the passages do not answer
the question, gives ``status="insufficient_evidence"`` with no citations.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence

from pydantic import ValidationError

from index.documents import Passage
from index.errors import LLMError
from qa.citations import compose_answer, invalid_passage_numbers, verify
from qa.language import detect_language, insufficient_evidence_text
from qa.llm import ChatModel, Completion
from qa.models import Answer, DraftAnswer, Usage
from qa.templates import Message, Templates, default_templates

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL | re.IGNORECASE)


def parse_draft(text: str) -> DraftAnswer:
    """The model's reply as a DraftAnswer (a ```json fence or text around the object is tolerated).

    Raises ``ValueError`` with a short reason the model can act on.
    """
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    if not body.startswith("{"):
        first, last = body.find("{"), body.rfind("}")
        if first < 0 or last <= first:
            raise ValueError("the reply is not a JSON object")
        body = body[first : last + 1]
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the reply is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from exc
    try:
        return DraftAnswer.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'reply'}: {err['msg']}" for err in exc.errors()[:5]
        )
        raise ValueError(f"the JSON does not match the schema ({problems})") from exc


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
        total_tokens=a.total_tokens + b.total_tokens,
    )


class LLMAnswerer:
    """Answers a question from passages with a :class:`~qa.llm.ChatModel`, citations verified."""

    def __init__(self, chat: ChatModel, templates: Templates | None = None, *, min_similarity: float = 0.9) -> None:
        self.chat = chat
        self.templates = templates or default_templates()
        self.min_similarity = min_similarity

    @property
    def model_name(self) -> str:
        name = getattr(self.chat, "model", "")
        return name if isinstance(name, str) else ""

    def _draft(self, messages: list[Message], n_passages: int) -> tuple[DraftAnswer, Usage, str]:
        """Ask for a DraftAnswer; one corrective retry; LLMError after that."""
        usage = Usage()
        model = self.model_name
        conversation = list(messages)
        problem = ""
        reply: Completion | None = None
        for attempt in (1, 2):
            reply = self.chat.complete(conversation, schema=DraftAnswer)
            usage = _add(usage, reply.usage)
            model = reply.model or model
            try:
                draft = parse_draft(reply.text)
            except ValueError as exc:
                problem = str(exc)
                if reply.finish_reason == "length":
                    problem += " (the reply was cut off at the token limit: keep it shorter)"
            else:
                bad = invalid_passage_numbers(draft, n_passages)
                if not bad:
                    return draft, usage, model
                problem = (
                    f"it cites passage number(s) {', '.join(map(str, bad))}, but only passages 1 to "
                    f"{n_passages} were given"
                )
            if attempt == 1:
                conversation += [
                    {"role": "assistant", "content": reply.text},
                    self.templates.retry_message(problem, n_passages=n_passages),
                ]
        excerpt = reply.text[:300] if reply is not None else ""
        raise LLMError(
            f"the language model ({model or 'unknown model'}) gave an unusable answer twice: {problem}",
            reason="invalid_output",
            model=model,
            problem=problem,
            output=excerpt,
        )

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        article_texts: Mapping[str, str] | None = None,
    ) -> Answer:
        """Answer ``question`` from ``passages`` (numbered 1…n in the given order)."""
        started = time.perf_counter()
        language = detect_language(question)
        passages = list(passages)

        def insufficient(model: str, usage: Usage | None, unsupported: int = 0) -> Answer:
            return Answer(
                question=question,
                answer=insufficient_evidence_text(language),
                status="insufficient_evidence",
                unsupported_claims=unsupported,
                language=language,
                mode="llm",
                model=model,
                timings={"answer": time.perf_counter() - started},
                usage=usage,
            )

        if not passages:
            return insufficient(self.model_name, None)
        messages = self.templates.answer_messages(question, passages, language=language)
        draft, usage, model = self._draft(messages, len(passages))
        if draft.status == "insufficient_evidence":
            return insufficient(model, usage)
        claims, citations, unsupported = verify(
            draft, passages, article_texts=article_texts, min_similarity=self.min_similarity
        )
        if not claims:
            return insufficient(model, usage, unsupported)
        return Answer(
            question=question,
            answer=compose_answer(claims),
            status="answered",
            claims=claims,
            citations=citations,
            unsupported_claims=unsupported,
            language=language,
            mode="llm",
            model=model,
            timings={"answer": time.perf_counter() - started},
            usage=usage,
        )
