"""Keeping the lexical index in step with the store: article hashes and what differs.

The index records each article's content hash as the store has it, or a stand-in made from its
chunk ids (:func:`fingerprint`); :class:`Diff` names the articles that are missing, stale or extra
compared with the store (:meth:`index.lexical.LexicalIndex.diff`), so any crash is repaired by
re-indexing them. Part of :mod:`index.lexical`, which re-exports both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Diff:
    """What differs between the lexical index and the store (see :meth:`LexicalIndex.diff`)."""

    missing: list[str] = field(default_factory=list)  # in the store, not here
    stale: list[str] = field(default_factory=list)  # here with another content hash
    extra: list[str] = field(default_factory=list)  # here, not in the store

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)

    @property
    def to_index(self) -> list[str]:
        """Articles to (re-)upsert from the store."""
        return self.missing + self.stale


def fingerprint(chunk_ids: Iterable[str]) -> str:
    """A stand-in content hash: the article's chunk ids (themselves content hashes), sorted."""
    return "chunks:" + hashlib.sha256("\n".join(sorted(chunk_ids)).encode()).hexdigest()[:16]
