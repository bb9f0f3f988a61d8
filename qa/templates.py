"""Prompt templates: files in the ``prompts`` package, validated when loaded.

Syntax: :class:`string.Template` — ``$name`` or ``${name}`` is a placeholder, ``$$`` is a
literal ``$``. Braces are plain text, so JSON examples need no escaping. Each template has a
fixed set of placeholders it MUST use (``required``) and MAY use (``optional``); a template
that uses an unknown placeholder, misses a required one, or has a stray ``$`` raises
:class:`~index.errors.PromptError` naming the template, at load time, not at the first answer.

Article text reaches the model only through :func:`render_passages`, which wraps every
passage in ``<passage n="…">…</passage>`` and neutralises anything tag-like inside it (``<``
and ``>`` become ``‹`` and ``›``), so an article cannot close the untrusted block or open a
fake one. The system prompt tells the model that this block is data, never instructions.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from index.documents import Passage
from index.errors import PromptError
from qa.language import detect_language, language_name

Message = dict[str, str]
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": "..."}``."""

# Characters that stand in for "<" and ">" inside untrusted text (see ``neutralise``).
LT_STANDIN = "\u2039"  # ‹
GT_STANDIN = "\u203a"  # ›


@dataclass(frozen=True)
class TemplateSpec:
    """The placeholders a template must use and may use."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()

    @property
    def allowed(self) -> frozenset[str]:
        return self.required | self.optional


SPECS: dict[str, TemplateSpec] = {
    "system": TemplateSpec(),
    "answer": TemplateSpec(
        required=frozenset({"question", "passages", "language_name"}),
        optional=frozenset({"n_passages", "language"}),
    ),
    "retry": TemplateSpec(required=frozenset({"error"}), optional=frozenset({"n_passages"})),
    "rewrite_system": TemplateSpec(),
    "rewrite": TemplateSpec(
        required=frozenset({"history", "question"}),
        optional=frozenset({"language_name", "language"}),
    ),
}
"""Every template Sanad loads, by name (file ``prompts/<name>.txt``)."""


@dataclass(frozen=True)
class PromptTemplate:
    """A validated template. ``render`` fills every placeholder it uses."""

    name: str
    text: str
    placeholders: frozenset[str]

    def render(self, **values: object) -> str:
        missing = self.placeholders - values.keys()
        if missing:
            raise PromptError(
                f"prompt template {self.name!r}: no value for {', '.join(sorted(missing))}",
                template=self.name,
                missing=sorted(missing),
            )
        return string.Template(self.text).substitute({k: str(v) for k, v in values.items()})


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def parse_template(name: str, text: str, spec: TemplateSpec, *, origin: str = "") -> PromptTemplate:
    """Validate ``text`` against ``spec``; :class:`PromptError` names the template and the problem."""
    where = f"prompt template {name!r}" + (f" ({origin})" if origin else "")
    template = string.Template(text)
    for match in template.pattern.finditer(text):
        if match.group("invalid") is not None:
            line, col = _line_col(text, match.start("invalid"))
            raise PromptError(
                f"{where}: stray '$' at line {line}, column {col}; write $name or ${{name}} for a placeholder"
                " and $$ for a literal dollar sign",
                template=name,
                line=line,
                column=col,
            )
    used = frozenset(template.get_identifiers())
    unknown = used - spec.allowed
    if unknown:
        allowed = ", ".join(f"${p}" for p in sorted(spec.allowed)) or "none"
        raise PromptError(
            f"{where}: unknown placeholder {', '.join(f'${p}' for p in sorted(unknown))} (allowed: {allowed})",
            template=name,
            unknown=sorted(unknown),
        )
    missing = spec.required - used
    if missing:
        raise PromptError(
            f"{where}: missing required placeholder {', '.join(f'${p}' for p in sorted(missing))}",
            template=name,
            missing=sorted(missing),
        )
    return PromptTemplate(name=name, text=text, placeholders=used)


def _read(name: str, directory: Path | None) -> tuple[str, str]:
    filename = f"{name}.txt"
    try:
        if directory is None:
            ref = resources.files("prompts").joinpath(filename)
            return ref.read_text(encoding="utf-8"), f"prompts/{filename}"
        path = directory / filename
        return path.read_text(encoding="utf-8"), str(path)
    except FileNotFoundError as exc:
        where = str(directory / filename) if directory else f"prompts/{filename}"
        raise PromptError(f"prompt template {name!r} not found: {where}", template=name, path=where) from exc
    except (UnicodeDecodeError, OSError) as exc:
        raise PromptError(f"prompt template {name!r} cannot be read: {exc}", template=name) from exc


def neutralise(text: str) -> str:
    """Make untrusted text unable to open or close a tag: ``<``/``>`` become ``‹``/``›``."""
    return text.replace("<", LT_STANDIN).replace(">", GT_STANDIN)


def _attr(value: str) -> str:
    return neutralise(" ".join(value.split())).replace('"', "'")


def render_passages(passages: Sequence[Passage]) -> str:
    """Number the passages 1…n and wrap each one as ``<passage n="…" …>text</passage>``."""
    blocks: list[str] = []
    for n, passage in enumerate(passages, start=1):
        attrs = [f'n="{n}"']
        if passage.title:
            attrs.append(f'title="{_attr(passage.title)}"')
        if passage.date:
            attrs.append(f'date="{passage.date.isoformat()}"')
        if passage.source:
            attrs.append(f'source="{_attr(passage.source)}"')
        blocks.append(f"<passage {' '.join(attrs)}>\n{neutralise(passage.text.strip())}\n</passage>")
    return "\n".join(blocks)


def render_history(turns: Sequence[tuple[str, str]]) -> str:
    """A conversation as ``<turn role="user|assistant">…</turn>`` blocks (untrusted, neutralised)."""
    out = []
    for role, content in turns:
        safe_role = "assistant" if role == "assistant" else "user"
        out.append(f'<turn role="{safe_role}">\n{neutralise(content.strip())}\n</turn>')
    return "\n".join(out)


@dataclass(frozen=True)
class Templates:
    """All of Sanad's prompts, loaded and validated together."""

    system: PromptTemplate
    answer: PromptTemplate
    retry: PromptTemplate
    rewrite_system: PromptTemplate
    rewrite: PromptTemplate

    @classmethod
    def load(cls, directory: str | Path | None = None) -> Templates:
        """Load ``<name>.txt`` for every template in :data:`SPECS`.

        ``directory=None`` reads the packaged ``prompts`` files; a directory overrides them all.
        """
        folder = Path(directory) if directory is not None else None
        loaded: dict[str, PromptTemplate] = {}
        for name, spec in SPECS.items():
            text, origin = _read(name, folder)
            loaded[name] = parse_template(name, text, spec, origin=origin)
        return cls(**loaded)

    @classmethod
    def from_texts(cls, texts: Mapping[str, str]) -> Templates:
        """Build from strings (tests, embedding): every name in :data:`SPECS` must be given."""
        absent = [name for name in SPECS if name not in texts]
        if absent:
            raise PromptError(f"prompt template {absent[0]!r} not given", template=absent[0])
        return cls(**{name: parse_template(name, texts[name], spec) for name, spec in SPECS.items()})

    def answer_messages(
        self, question: str, passages: Sequence[Passage], *, language: str | None = None
    ) -> list[Message]:
        """System + user messages asking for a :class:`~qa.models.DraftAnswer` about ``passages``."""
        lang = language or detect_language(question)
        user = self.answer.render(
            question=question.strip(),
            passages=render_passages(passages),
            n_passages=len(passages),
            language=lang,
            language_name=language_name(lang),
        )
        return [{"role": "system", "content": self.system.render()}, {"role": "user", "content": user}]

    def retry_message(self, error: str, *, n_passages: int) -> Message:
        """The corrective user message sent after an unusable reply."""
        return {"role": "user", "content": self.retry.render(error=error, n_passages=n_passages)}

    def rewrite_messages(self, history: Sequence[tuple[str, str]], question: str) -> list[Message]:
        """Messages asking to turn a follow-up ``question`` into a standalone one (plain-text reply).

        ``history`` is ``[(role, content), …]`` with role ``"user"`` or ``"assistant"``.
        """
        lang = detect_language(question)
        user = self.rewrite.render(
            history=render_history(history),
            question=question.strip(),
            language=lang,
            language_name=language_name(lang),
        )
        return [{"role": "system", "content": self.rewrite_system.render()}, {"role": "user", "content": user}]


_DEFAULT: Templates | None = None


def default_templates() -> Templates:
    """The packaged templates, loaded once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Templates.load()
    return _DEFAULT
