"""Named crash points at the write boundaries of ingest, forget and reindex, for the crash tests.

``SANAD_CRASH_AT=<name>`` makes the process end at once (``os._exit``, no clean-up, like ``kill -9``)
when it reaches that point, so a test can check that what is visible afterwards is exactly what was
committed, and that a re-run ends where an uninterrupted run does. Unset (always, for users), a
crash point costs one dictionary lookup. The points, in the order a run passes them:

ingest (per group of articles written together)
    ``ingest:pending`` the articles are marked pending in the store · ``ingest:sentences`` their
    sentence vectors are written · ``ingest:chunks`` their chunks are written · ``ingest:logged``
    their change log entries are written (:mod:`index.changelog`) · ``ingest:records``
    their records are written (committed) · ``ingest:stale`` their old chunks are dropped ·
    ``ingest:committed`` the pending mark is cleared, the lexical index not yet written
forget
    ``forget:pending`` · ``forget:logged`` the change log entry is written · ``forget:record`` the
    record is gone · ``forget:chunks`` · ``forget:sentences``
    the store is clean, the lexical index not yet
reindex
    ``reindex:saved`` every article's text is saved beside the index · ``reindex:reset`` the old
    collections are dropped, nothing re-ingested yet (then the ingest points)
"""

from __future__ import annotations

import os

CRASH_ENV = "SANAD_CRASH_AT"
CRASH_EXIT = 86
"""The exit status of a process ended at a crash point."""

POINTS = (
    "ingest:pending",
    "ingest:sentences",
    "ingest:chunks",
    "ingest:logged",
    "ingest:records",
    "ingest:stale",
    "ingest:committed",
    "forget:pending",
    "forget:logged",
    "forget:record",
    "forget:chunks",
    "forget:sentences",
    "reindex:saved",
    "reindex:reset",
)


def crash_point(name: str) -> None:
    """End the process here if ``SANAD_CRASH_AT`` names this point."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(CRASH_EXIT)
