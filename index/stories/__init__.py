"""Stories, wire copies and corroboration (issue 13, part 2).

At ingest every sentence gets a normalised fingerprint (:mod:`.fingerprint`); identical and
near-identical sentences across articles are linked (exact fingerprints, and MinHash LSH over
word sets from datasketch, verified on the words), and articles that share most of their
content, a run of sentences or their whole body are grouped into a story with a stable id
(:mod:`.grouping`). A wire credit in the text ("(واس)", "بحسب وكالة الأناضول", "Reuters" …,
:mod:`.credits`) or an identical body makes copies one *origin*, so the independent origins of a
statement count origins, not articles. :mod:`.store` keeps all of it in SQLite beside the index, a
derived cache: :func:`reconcile` rebuilds it from the chunk store's article texts, like the
lexical index. :func:`collapse_copies` (:mod:`.collapse`) folds near-duplicate passages of a
ranking into one hit that carries its copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..documents import Article
from ..lexical_sync import Diff
from .collapse import collapse_copies
from .credits import wire_credit
from .fingerprint import body_fingerprint, sentence_key, sentence_prints
from .grouping import Story, StoryArticle
from .store import SentenceCopy, StoryIndex

__all__ = [
    "ArticleSource",
    "SentenceCopy",
    "Story",
    "StoryArticle",
    "StoryIndex",
    "body_fingerprint",
    "collapse_copies",
    "reconcile",
    "sentence_key",
    "sentence_prints",
    "wire_credit",
]

_BATCH = 200


class ArticleSource(Protocol):
    """What :func:`reconcile` reads of the chunk store."""

    def article_hashes(self) -> dict[str, str]: ...

    def hashes_of(self, article_ids: Sequence[str]) -> dict[str, str]: ...

    def get_article(self, article_id: str) -> Article: ...


def reconcile(store: ArticleSource, stories: StoryIndex, article_ids: Sequence[str] | None = None) -> Diff:
    """Bring the story index in line with the store (the source of truth): articles it lacks or
    holds with another content hash are fingerprinted again from their stored text; articles the
    store no longer has are dropped; the stories are regrouped if anything changed. With
    ``article_ids``, only those articles are compared (what a change log named). Returns what was
    repaired."""
    hashes = store.article_hashes() if article_ids is None else store.hashes_of(article_ids)
    diff = stories.diff(hashes, among=article_ids)
    for article_id in diff.extra:
        stories.delete_article(article_id)
    todo = diff.to_index
    for i in range(0, len(todo), _BATCH):
        part = [store.get_article(aid) for aid in todo[i : i + _BATCH]]
        stories.upsert_articles(part, content_hashes={a.id: hashes[a.id] for a in part})
    stories.regroup()
    return diff
