"""``sanad eval``: retrieval and answer quality on SQuAD-format QA sets, in an isolated index.

Every unique context of the dataset becomes an article of a fresh index (never the user's);
``distractors`` (files or folders) are ingested beside them. For each question the rank of
the first gold chunk (inside the gold context, or containing a gold answer) is recorded per
retrieval method, giving R@1/5/20 and MRR@10, and the same for the gold context alone; a
sample of questions is also answered to measure how often the cited sentence (and passage)
holds a gold answer, the short answer's coverage and F1, exact match / F1 of the whole answer
after Arabic normalisation, and the answer stage's latency. With ``unanswerable`` the same
questions are asked again over the index without their gold context: the share answered instead
of ``insufficient_evidence`` is the false-answer rate.
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.documents import Passage, content_hash
from index.embed_cache import CachedEmbedder
from index.errors import InputError
from index.normalize import tokens

from .assistant import Assistant
from .citations import MARKERS
from .models import Answer
from .settings import Settings

Progress = Callable[[str, int, int], None]


@dataclass
class Question:
    id: str
    question: str
    answers: list[str]
    context_id: str
    starts: list[int] = field(default_factory=list)  # each answer's offset in its context


@dataclass
class Dataset:
    contexts: list[dict[str, str]]
    questions: list[Question]


def load_squad(path: Path, questions_from: Path | None = None) -> Dataset:
    """Read SQuAD v1.1 JSON; ``questions_from`` replaces question texts by id (cross-lingual)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        docs = data["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a SQuAD v1.1 JSON file ({exc})", path=str(path)) from exc
    parallel: dict[str, str] = {}
    if questions_from is not None:
        for q in load_squad(questions_from).questions:
            parallel[q.id] = q.question
    contexts: dict[str, dict[str, str]] = {}
    questions: list[Question] = []
    for doc in docs:
        for para in doc.get("paragraphs", []):
            text = para["context"]
            cid = "ctx-" + content_hash(text, length=12)
            contexts.setdefault(cid, {"id": cid, "title": str(doc.get("title", "")), "text": text})
            for qa in para.get("qas", []):
                qtext = parallel.get(qa["id"], qa["question"]) if questions_from else qa["question"]
                qtext = qtext.strip().lstrip("-").strip()
                if questions_from is not None and qa["id"] not in parallel:
                    continue
                given = [a for a in qa.get("answers", []) if a.get("text")]
                starts = [int(a["answer_start"]) for a in given if "answer_start" in a]
                questions.append(Question(qa["id"], qtext, [a["text"] for a in given], cid, starts))
    return Dataset(list(contexts.values()), questions)


# --- metrics --------------------------------------------------------------------------------


def answer_tokens(text: str) -> list[str]:
    return tokens(MARKERS.sub(" ", text))


def f1(prediction: str, gold: str) -> float:
    p, g = answer_tokens(prediction), answer_tokens(gold)
    common = Counter(p) & Counter(g)
    same = sum(common.values())
    if not p or not g or same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def exact(prediction: str, gold: str) -> bool:
    return answer_tokens(prediction) == answer_tokens(gold)


_CLITIC = "(?:وال|فال|بال|كال|لل|ال|[وفبلك])?"  # an answer span may leave out a prefix glued to its first word


def contains(text: str, gold: str) -> bool:
    """Whether ``gold``'s normalised tokens occur in ``text`` as whole tokens (the first one may
    carry a one-letter or article prefix: "باريس" is found in "وباريس", "19" is not in "1990")."""
    g = " ".join(answer_tokens(gold))
    if not g:
        return False
    return re.search(f"(?:^| ){_CLITIC}{re.escape(g)}(?= |$)", " ".join(answer_tokens(text))) is not None


def is_gold(passage: Passage, question: Question) -> bool:
    """The issue's rule: a passage is gold when it lies inside the gold context or contains an answer."""
    return passage.article_id == question.context_id or any(contains(passage.text, g) for g in question.answers)


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _recall(ranks: Sequence[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / max(1, len(ranks))


def _mrr(ranks: Sequence[int | None], k: int = 10) -> float:
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / max(1, len(ranks))


@dataclass
class MethodResult:
    """Per question: ``ranks`` of the first gold passage (:func:`is_gold`), ``context_ranks`` of the
    first passage of the gold context itself (stricter: a distractor holding the answer does not count)."""

    method: str
    ranks: list[int | None] = field(default_factory=list)
    context_ranks: list[int | None] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def recall(self, k: int) -> float:
        return _recall(self.ranks, k)

    def mrr(self, k: int = 10) -> float:
        return _mrr(self.ranks, k)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "questions": len(self.ranks),
            "R@1": self.recall(1),
            "R@5": self.recall(5),
            "R@20": self.recall(20),
            "MRR@10": self.mrr(10),
            "context_R@1": _recall(self.context_ranks, 1),
            "context_MRR@10": _mrr(self.context_ranks, 10),
            "latency_p50_ms": statistics.median(self.latencies) * 1000 if self.latencies else 0.0,
            "latency_p95_ms": pct(self.latencies, 0.95) * 1000,
        }


@dataclass
class EvalReport:
    dataset: str
    embedder: str
    articles: int
    distractor_articles: int
    distractor_chunks: int
    chunks: int
    build_s: float
    methods: list[MethodResult]
    answers: dict[str, Any]
    cache: dict[str, int]
    retrieval: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "embedder": self.embedder,
            "articles": self.articles,
            "distractor_articles": self.distractor_articles,
            "distractor_chunks": self.distractor_chunks,
            "chunks": self.chunks,
            "build_s": self.build_s,
            "methods": [m.as_dict() for m in self.methods],
            "answers": self.answers,
            "embedding_cache": self.cache,
            "retrieval_settings": self.retrieval,
        }


def evaluate(
    dataset_path: Path,
    *,
    settings: Settings,
    questions_from: Path | None = None,
    distractors: Sequence[Path] = (),
    distractor_limit: int | None = None,
    methods: Sequence[str] = ("dense", "lexical", "hybrid"),
    k: int = 20,
    answer_sample: int = 200,
    limit: int | None = None,
    workdir: Path | None = None,
    progress: Progress | None = None,
    unanswerable: bool = False,
) -> EvalReport:
    data = load_squad(dataset_path, questions_from)
    questions = data.questions[:limit] if limit else data.questions
    cache_path = Path(settings.home) / "cache" / "embeddings.sqlite"
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        eval_settings = settings.model_copy(update={"home": Path(tmp)})
        eval_settings.chroma = eval_settings.chroma.model_copy(update={"url": None})
        assistant = Assistant(eval_settings, wrap_embedder=lambda build: CachedEmbedder(build(), cache_path))
        cache = assistant.embedder
        assert isinstance(cache, CachedEmbedder)
        started = time.perf_counter()
        report = assistant.ingest_records(data.contexts, origin=str(dataset_path))
        distractor_count = distractor_chunks = 0
        if distractors:
            before = assistant.store.count()
            extra = assistant.ingest(list(distractors), progress=progress, limit=distractor_limit)
            distractor_count = len(extra.added)
            distractor_chunks = assistant.store.count() - before
        build_s = time.perf_counter() - started
        chunks = assistant.store.count()

        results = []
        for method in methods:
            retriever = assistant.retriever_for(method)
            result = MethodResult(method)
            for n, q in enumerate(questions, 1):
                t = time.perf_counter()
                passages = retriever.retrieve(q.question, k)
                result.latencies.append(time.perf_counter() - t)
                result.ranks.append(next((i for i, p in enumerate(passages, 1) if is_gold(p, q)), None))
                result.context_ranks.append(
                    next((i for i, p in enumerate(passages, 1) if p.article_id == q.context_id), None)
                )
                if progress:
                    progress(method, n, len(questions))
            results.append(result)

        answered = _answer_metrics(assistant, questions[:answer_sample], progress)
        if unanswerable:
            answered["unanswerable"] = _unanswerable_metrics(
                assistant, questions[:answer_sample], data.contexts, progress
            )
    return EvalReport(
        dataset=dataset_path.name,
        embedder=cache.identity,
        articles=len(report.added) + len(report.unchanged),
        distractor_articles=distractor_count,
        distractor_chunks=distractor_chunks,
        chunks=chunks,
        build_s=build_s,
        methods=results,
        answers=answered,
        cache={"hits": cache.hits, "misses": cache.misses},
        retrieval=settings.retrieval.model_dump(),
    )


def _answer_metrics(assistant: Assistant, questions: Sequence[Question], progress: Progress | None) -> dict[str, Any]:
    """How the answers fare: the cited sentence (first, any) and the cited passage hold a gold
    answer; the short answer's coverage, exact match and F1; the whole answer's F1; the answer
    stage's latency (warm: retrieval is timed apart)."""
    tally = _Tally()
    for n, q in enumerate(questions, 1):
        passages = assistant.search(q.question)
        tally.add(q, passages, assistant.answer(q.question, passages))
        if progress:
            progress("answer", n, len(questions))
    return tally.as_dict()


@dataclass
class _Tally:
    questions: int = 0
    first_sentence: int = 0
    any_sentence: int = 0
    passage: int = 0
    em: int = 0
    f1_sum: float = 0.0
    short: int = 0
    short_em: int = 0
    short_f1_sum: float = 0.0
    short_f1_good: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def add(self, q: Question, passages: Sequence[Passage], answer: Answer) -> None:
        self.questions += 1
        self.statuses[answer.status] += 1
        self.latencies.append(answer.timings.get("answer", 0.0))
        by_chunk = {p.chunk_id: p.text for p in passages}
        quotes = [c.quote for c in answer.citations]
        holds = [any(contains(quote, g) for g in q.answers) for quote in quotes]
        self.first_sentence += bool(holds and holds[0])
        self.any_sentence += any(holds)
        cited = [by_chunk.get(c.chunk_id, c.quote) for c in answer.citations]
        self.passage += any(contains(text, g) for text in cited for g in q.answers)
        if answer.status == "answered":
            self.em += any(exact(answer.answer, g) for g in q.answers)
            self.f1_sum += max((f1(answer.answer, g) for g in q.answers), default=0.0)
        if answer.short_answer is not None:
            text = answer.short_answer.text
            best = max((f1(text, g) for g in q.answers), default=0.0)
            self.short += 1
            self.short_em += any(exact(text, g) for g in q.answers)
            self.short_f1_sum += best
            self.short_f1_good += best >= SHORT_F1_GOOD

    def as_dict(self) -> dict[str, Any]:
        total = max(1, self.questions)
        shown = max(1, self.short)
        return {
            "questions": self.questions,
            "cited_sentence_has_gold": self.first_sentence / total,
            "any_cited_sentence_has_gold": self.any_sentence / total,
            "cited_passage_has_gold": self.passage / total,
            "exact_match": self.em / total,
            "f1": self.f1_sum / total,
            "short_answer_rate": self.short / total,
            "short_answer_exact_match": self.short_em / shown,
            "short_answer_f1": self.short_f1_sum / shown,
            "short_answer_f1_good_share": self.short_f1_good / total,
            "answer_latency_p50_ms": statistics.median(self.latencies) * 1000 if self.latencies else 0.0,
            "answer_latency_p95_ms": pct(self.latencies, 0.95) * 1000,
            "statuses": dict(self.statuses),
        }


SHORT_F1_GOOD = 0.6
"""A short answer counts as good at this F1 against the best gold answer (the issue's bar)."""


def without_gold_context(
    assistant: Assistant, questions: Sequence[Question], contexts: Sequence[dict[str, str]]
) -> Iterator[Question]:
    """Each of ``questions``, yielded while its gold context is out of the index (forgotten, its
    questions asked, then ingested again, also when the caller stops early)."""
    by_context: dict[str, list[Question]] = {}
    for q in questions:
        by_context.setdefault(q.context_id, []).append(q)
    records = {c["id"]: c for c in contexts}
    for context_id, asked in by_context.items():
        assistant.forget(context_id)
        try:
            yield from asked
        finally:
            assistant.ingest_records([records[context_id]], origin="eval")


def _unanswerable_metrics(
    assistant: Assistant,
    questions: Sequence[Question],
    contexts: Sequence[dict[str, str]],
    progress: Progress | None,
) -> dict[str, Any]:
    """Each question asked over the index WITHOUT its gold context (:func:`without_gold_context`):
    every answer is a false one unless it says ``insufficient_evidence``. ``answered_with_gold``
    counts the answers whose cited sentence still holds a gold answer (another context of the same
    article may say it too)."""
    answered = with_gold = 0
    for done, q in enumerate(without_gold_context(assistant, questions, contexts), 1):
        passages = assistant.search(q.question)
        answer = assistant.answer(q.question, passages)
        if answer.status == "answered":
            answered += 1
            with_gold += any(contains(c.quote, g) for c in answer.citations for g in q.answers)
        if progress:
            progress("unanswerable", done, len(questions))
    total = max(1, len(questions))
    return {
        "questions": len(questions),
        "false_answer_rate": answered / total,
        "answered_with_gold": with_gold / total,
    }
