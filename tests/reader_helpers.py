"""What the reader tests share: read paths into (articles, errors) under test limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.documents import Article
from index.errors import InputError
from index.readers import read_paths

LIMITS: dict[str, Any] = {"max_bytes": 1_000_000, "max_article_chars": 100_000}


def read(*paths: Path | str, **limits: int) -> tuple[list[Article], list[InputError]]:
    articles: list[Article] = []
    errors: list[InputError] = []
    for item in read_paths(list(paths), **{**LIMITS, **limits}):
        (articles if isinstance(item, Article) else errors).append(item)  # type: ignore[arg-type]
    return articles, errors
