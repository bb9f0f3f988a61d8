"""Corroboration: the other articles that state a cited sentence, and how many independent origins.

For each citation, the story index (:class:`index.stories.StoryIndex`) names the sentences of other
articles that are identical or near-identical to the cited sentence(s). Each is verified the way a
model's quote is (:func:`qa.citations.locate` on the other article's own text): the cited quote is
searched for in the other article's sentences (or, when the other sentence is the shorter one, that
sentence in the quote), and the corroborating quote is the exact slice ``text[start:end]`` of the
other article. A copy that does not verify is left out.

``Citation.origins`` counts the distinct origins (:mod:`index.stories.grouping`: a wire credit, an
identical body, a source) of the cited article and its corroborators; ``Claim.origins`` those of all
its citations together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from index.documents import Article
from index.stories import ArticleSource, SentenceCopy, StoryIndex, reconcile

from .citations import locate
from .models import Answer, Citation, Corroboration

ArticleReader = Callable[[str], Article | None]
"""An article by id, or ``None`` when it is gone."""


def _verified(quote: str, article: Article, copies: Sequence[SentenceCopy]) -> tuple[int, int] | None:
    """Where ``quote`` is stated in ``article``, among its sentences ``copies``: exact offsets, or ``None``."""
    lo, hi = min(c.start for c in copies), max(c.end for c in copies)
    match = locate(quote, article.text[lo:hi])
    if match is not None:
        return lo + match.start, lo + match.end
    for c in copies:  # the other sentence is the shorter one (no credit, a word less): it lies in the quote
        if locate(article.text[c.start : c.end], quote) is not None:
            return c.start, c.end
    return None


def corroborations(citation: Citation, stories: StoryIndex, read: ArticleReader) -> list[Corroboration]:
    """The verified statements of ``citation``'s sentence in other articles, one per article."""
    by_article: dict[str, list[SentenceCopy]] = defaultdict(list)
    for copy in stories.copies(citation.article_id, citation.start, citation.end):
        if copy.article_id != citation.article_id:
            by_article[copy.article_id].append(copy)
    if not by_article:
        return []
    origin = stories.origin_of(list(by_article))
    out = []
    for article_id, copies in by_article.items():
        article = read(article_id)
        if article is None:
            continue
        where = _verified(citation.quote, article, copies)
        if where is None:
            continue
        start, end = where
        out.append(
            Corroboration(
                article_id=article_id,
                title=article.title,
                source=article.source,
                date=article.date,
                start=start,
                end=end,
                quote=article.text[start:end],
                origin=origin.get(article_id, f"article:{article_id}"),
            )
        )
    out.sort(key=lambda c: (c.date is None, c.date, c.article_id))
    return out


def corroborate(answer: Answer, stories: StoryIndex, read: ArticleReader) -> Answer:
    """``answer`` with each citation's corroborations and origins, and each claim's origins."""
    if not answer.citations:
        return answer
    cited_origin = stories.origin_of([c.article_id for c in answer.citations])
    citations = []
    origins_of: dict[int, set[str]] = {}
    for citation in answer.citations:
        found = corroborations(citation, stories, read)
        origins = {cited_origin.get(citation.article_id, f"article:{citation.article_id}")}
        origins |= {c.origin for c in found}
        origins_of[citation.n] = origins
        citations.append(citation.model_copy(update={"corroborated_by": found, "origins": len(origins)}))
    claims = [
        claim.model_copy(update={"origins": len(set().union(*(origins_of.get(n, set()) for n in claim.citations)))})
        for claim in answer.claims
    ]
    return answer.model_copy(update={"citations": citations, "claims": claims})


def open_stories(path: Path, store: ArticleSource) -> StoryIndex:
    """The story index at ``path``, brought in line with the store (refilled from it when lost or damaged)."""
    stories = StoryIndex(path)
    reconcile(store, stories)
    return stories
