"""The request and response bodies of the HTTP API (pydantic models, also its OpenAPI schemas)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from index.documents import ArticleInfo, Filters, Passage
from index.hygiene import check_text

from ..models import Answer

MODEL_ID = "sanad"

# A request's own text (not articles, which are checked record by record): valid Unicode or a 422.
Text = Annotated[str, AfterValidator(lambda value: check_text(value, "the text"))]


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Text] = Field(default_factory=list, description="Keep only these sources (any of).")
    since: date | None = Field(default=None, description="Only articles dated on or after (YYYY-MM-DD).")
    until: date | None = Field(default=None, description="Only articles dated on or before (YYYY-MM-DD).")

    def filters(self) -> Filters | None:
        f = Filters(sources=self.sources, since=self.since, until=self.until)
        return None if f.empty else f


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Text
    k: int | None = Field(default=None, ge=1, le=100, description="Passages to retrieve (default: settings).")
    filters: FiltersIn | None = None
    as_of: date | None = Field(
        default=None, description="The day the question's time words (أمس, last week) resolve against (default: today)."
    )
    stream: bool = Field(default=False, description="Same as sending Accept: text/event-stream.")


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: Text
    k: int | None = Field(default=None, ge=1, le=100)
    filters: FiltersIn | None = None
    as_of: date | None = Field(
        default=None, description="The day the question's time words (أمس, last week) resolve against (default: today)."
    )


class SearchResponse(BaseModel):
    query: str
    passages: list[Passage]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: Text
    session_id: Text | None = Field(default=None, description="Omit to start a new session.")
    k: int | None = Field(default=None, ge=1, le=100)
    filters: FiltersIn | None = None
    as_of: date | None = Field(
        default=None, description="The day the question's time words (أمس, last week) resolve against (default: today)."
    )
    stream: bool = False


class ChatResponse(BaseModel):
    session_id: str
    question: str = Field(description="The standalone question that was answered (follow-ups are rewritten).")
    answer: Answer
    turns: int = Field(description="Messages in the session so far.")


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    articles: list[dict[str, Any]] = Field(
        min_length=1,
        description="Article objects: id, title, text (or content), optional date, source, url, summary.",
    )


class IngestItem(BaseModel):
    index: int = Field(description="Position of the article in the request (0-based).")
    id: str | None = None
    status: Literal["added", "updated", "unchanged", "skipped"]
    reason: str | None = None


class IngestResponse(BaseModel):
    ok: bool = Field(description="False when any article was skipped (see items and skipped).")
    added: int
    updated: int
    unchanged: int
    chunks: int
    seconds: float
    items: list[IngestItem]
    skipped: list[dict[str, Any]]


class ArticlesResponse(BaseModel):
    count: int
    articles: list[ArticleInfo]


class ForgetResponse(BaseModel):
    article_id: str
    chunks_removed: int


class CompletionMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Text
    content: Text | list[dict[str, Any]] | None = None


class CompletionRequest(BaseModel):
    """The parts of an OpenAI chat-completions request Sanad uses; other fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: Text = MODEL_ID
    messages: list[CompletionMessage] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
