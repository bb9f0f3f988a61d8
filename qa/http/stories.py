"""``GET /v1/stories``: articles grouped into stories (``index.stories``), with sources, dates and origins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel, Field

from index.errors import RequestError

if TYPE_CHECKING:
    from ..assistant import Assistant


class StoryArticleOut(BaseModel):
    id: str
    title: str = ""
    source: str = ""
    date: dt.date | None = None
    origin: str = Field(description="wire:<agency> credited in the text, copy:<body> (identical text), source:<name>…")


class StoryOut(BaseModel):
    id: str = Field(description="Stable: derived from the story's smallest article id.")
    articles: list[StoryArticleOut] = Field(description="Oldest first.")
    sources: list[str]
    first: dt.date | None = None
    last: dt.date | None = None
    origins: list[str] = Field(description="The distinct origins: the independent sources of the story.")


class StoriesResponse(BaseModel):
    count: int
    stories: list[StoryOut]


def add_story_routes(api: APIRouter, ready: Callable[[], Assistant]) -> None:
    @api.get("/stories", response_model=StoriesResponse, summary="Stories: articles that share their text")
    def stories(
        since: dt.date | None = None, until: dt.date | None = None, include_single: bool = False
    ) -> StoriesResponse:
        if since and until and since > until:
            raise RequestError(f"since {since} is after until {until}")
        found = ready().stories.stories(since=since, until=until, min_articles=1 if include_single else 2)
        out = [StoryOut.model_validate(s.as_dict()) for s in found]
        return StoriesResponse(count=len(out), stories=out)
