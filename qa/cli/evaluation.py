"""The ``sanad eval`` subcommand."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from .common import EXIT_OK, add_home, err, out, positive, progress_bar, settings_from_args

if TYPE_CHECKING:
    from ..evaluate import EvalReport


def cmd_eval(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    with progress_bar() as progress:
        err.print(f"building an isolated index of {args.dataset} …", style="dim")
        from ..evaluate import evaluate

        report = evaluate(
            args.dataset,
            settings=settings,
            questions_from=args.questions,
            distractors=args.distractors or [],
            distractor_limit=args.distractor_limit,
            methods=methods,
            k=args.k,
            answer_sample=args.answer_sample,
            limit=args.limit,
            progress=progress,
            unanswerable=args.unanswerable,
        )
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        out.print(f"wrote {args.json}")
    return EXIT_OK


def print_report(report: EvalReport) -> None:
    title = (
        f"{report.dataset} · {report.articles} articles + {report.distractor_articles} distractors "
        f"({report.distractor_chunks} chunks) · "
        f"{report.chunks} chunks · built in {report.build_s:.0f} s · {report.embedder}"
    )
    table = Table(title=title)
    table.add_column("method", no_wrap=True)
    for col in ("R@1", "R@5", "R@20", "MRR@10", "ctx R@1", "ctx MRR", "p50 ms", "p95 ms"):
        table.add_column(col, justify="right")
    for m in report.methods:
        d = m.as_dict()
        table.add_row(
            m.method,
            f"{d['R@1']:.3f}",
            f"{d['R@5']:.3f}",
            f"{d['R@20']:.3f}",
            f"{d['MRR@10']:.3f}",
            f"{d['context_R@1']:.3f}",
            f"{d['context_MRR@10']:.3f}",
            f"{d['latency_p50_ms']:.1f}",
            f"{d['latency_p95_ms']:.1f}",
        )
    out.print(table)
    out.print("ctx: the gold context itself (a distractor holding the answer does not count)", style="dim")
    a = report.answers
    out.print(
        f"answers ({a['questions']} questions): cited sentence holds a gold answer "
        f"{a['cited_sentence_has_gold']:.3f} (any cited sentence {a['any_cited_sentence_has_gold']:.3f}, "
        f"cited passage {a['cited_passage_has_gold']:.3f}), "
        f"exact match {a['exact_match']:.3f}, F1 {a['f1']:.3f}, {a['statuses']}"
    )
    out.print(
        f"short answers: given for {a['short_answer_rate']:.3f} of the questions, F1 {a['short_answer_f1']:.3f} "
        f"and exact match {a['short_answer_exact_match']:.3f} where given; F1 ≥ .6 on "
        f"{a['short_answer_f1_good_share']:.3f} of all questions · answer stage p50 "
        f"{a['answer_latency_p50_ms']:.1f} ms, p95 {a['answer_latency_p95_ms']:.1f} ms"
    )
    u = a.get("unanswerable")
    if u:
        out.print(
            f"without the gold context ({u['questions']} questions): false-answer rate {u['false_answer_rate']:.3f} "
            f"(of which the cited sentence still holds a gold answer: {u['answered_with_gold']:.3f})"
        )


def register(sub: Any) -> None:
    p = sub.add_parser("eval", help="measure retrieval and answers on a SQuAD-format QA set")
    p.add_argument("dataset", type=Path, help="SQuAD v1.1 JSON")
    p.add_argument("--questions", type=Path, help="parallel SQuAD file: take question texts from it (same ids)")
    p.add_argument("--distractors", type=Path, action="append", help="files/folders ingested beside the contexts")
    p.add_argument(
        "--distractor-limit", type=positive, metavar="N", help="only the first N distinct articles of the distractors"
    )
    p.add_argument("--methods", default="dense,lexical,hybrid")
    p.add_argument("-k", type=int, default=20)
    p.add_argument("--answer-sample", type=int, default=200, help="questions to answer for answer metrics")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument(
        "--unanswerable",
        action="store_true",
        help="ask the answer sample again over the index without each question's gold context (false-answer rate)",
    )
    p.add_argument("--embedder", help="SANAD_EMBEDDER spec to evaluate")
    p.add_argument("--json", type=Path, metavar="OUT.json", help="write the report as JSON")
    add_home(p)
    p.set_defaults(func=cmd_eval)
