"""The child process of the crash-point tests (``tests/test_crash_points.py``): a real Sanad run on
chromadb on disk and tantivy, with the test's deterministic embedder (the only thing injected).

``python crash_child.py HOME CORPUS_V1 CORPUS_V2 FROM UNTIL`` runs the steps from ``FROM`` up to,
not including, ``UNTIL`` (``end`` for all; ``SANAD_CRASH_AT`` in the environment ends it at that
point) and prints the index's state as JSON when it gets to the end. ``python crash_child.py HOME
--state`` opens the index as any command does (which reconciles it) and prints what is visible,
and what the raw collections hold.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fakes import HashEmbedder  # the script's folder is on sys.path

from qa.assistant import Assistant
from qa.settings import Settings

STEPS = ("ingest-v1", "ingest-v2", "forget", "reindex")
FORGET = "anqara"
QUERIES = ("أنقرة الخارجية", "معرض الكتاب زوار", "محطة تحلية المياه", "الأمطار الغزيرة")


def assistant(home: Path) -> Assistant:
    return Assistant(Settings(home=home), embedder=HashEmbedder())


def run(home: Path, v1: Path, v2: Path, start: str, until: str) -> None:
    for step in STEPS[STEPS.index(start) : len(STEPS) if until == "end" else STEPS.index(until)]:
        with assistant(home) as a:
            if step == "ingest-v1":
                a.ingest([v1])
            elif step == "ingest-v2":
                a.ingest([v2])
            elif step == "forget":
                a.forget(FORGET)
            else:
                a.reindex()


def state(home: Path) -> dict[str, Any]:
    with assistant(home) as a:
        store = a.store  # opening reconciles what a crashed writer left
        infos = store.list_articles()
        records = {i.id: store.article_hash(i.id) for i in infos}
        passages = list(store.iter_passages())
        visible = sorted(p.chunk_id for p in passages)
        raw = store._chunks.get(include=["metadatas"])
        raw_chunks = sorted(raw["ids"])
        sentences = store._sentences.get(include=["metadatas"])
        sentence_articles = sorted({str((m or {}).get("article_id")) for m in sentences["metadatas"] or []})
        search: dict[str, list[str]] = {}
        for method in ("dense", "lexical", "hybrid"):
            retriever = a.retriever_for(method)
            for q in QUERIES:
                search[f"{method}:{q}"] = [p.chunk_id for p in retriever.retrieve(q, 5)]
        lexical_articles = sorted(a.lexical.article_hashes())
        pending = store._pending_ids()
        reindex_pending = a.reindex_journal.exists()
    return {
        "records": records,
        "record_chunks": sum(i.chunks for i in infos),
        "visible_chunks": visible,
        "visible_articles": sorted({p.article_id for p in passages}),
        "raw_chunks": raw_chunks,
        "sentence_articles": sentence_articles,
        "sentences": len(sentences["ids"]),
        "lexical_articles": lexical_articles,
        "search": search,
        "pending": pending,
        "reindex_pending": reindex_pending,
    }


def main() -> None:
    home = Path(sys.argv[1])
    if sys.argv[2] == "--state":
        print(json.dumps(state(home), ensure_ascii=False))
        return
    run(home, Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], sys.argv[5])
    print(json.dumps(state(home), ensure_ascii=False))


if __name__ == "__main__":
    main()
