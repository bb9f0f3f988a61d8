"""A bounded, expiring, thread-safe store for chat sessions kept by the HTTP server.

Sessions live in memory only: at most ``max_sessions`` of them (the least recently used is
evicted first) and each expires ``ttl_s`` seconds after its last use. Every session has
its own lock so that two requests on the same session take turns instead of losing one
of the turns::

    store: SessionStore[ChatSession] = SessionStore(ttl_s=3600, max_sessions=1000)
    sid = store.add(ChatSession(id=...))
    with store.use(sid) as entry:          # NotFoundError when unknown or expired
        entry.value = chat(entry.value)    # changes are kept when the block exits
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from index.errors import NotFoundError

T = TypeVar("T")


def new_session_id() -> str:
    """An unguessable id (the id is the only thing that gives access to a session)."""
    return "s_" + secrets.token_urlsafe(18)


@dataclass
class Entry(Generic[T]):
    value: T
    expires_at: float
    lock: threading.Lock = field(default_factory=threading.Lock)


class SessionStore(Generic[T]):
    def __init__(
        self, *, ttl_s: float = 3600.0, max_sessions: int = 1000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self.ttl_s = ttl_s
        self.max_sessions = max_sessions
        self._clock = clock
        self._entries: OrderedDict[str, Entry[T]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._entries)

    def __contains__(self, session_id: object) -> bool:
        with self._lock:
            self._purge(self._clock())
            return session_id in self._entries

    def _purge(self, now: float) -> None:
        # Entries are kept in order of last use, so expired ones are at the front.
        while self._entries:
            sid, entry = next(iter(self._entries.items()))
            if entry.expires_at > now:
                break
            del self._entries[sid]

    def add(self, value: T, session_id: str | None = None) -> str:
        """Keep ``value`` under a new (or the given) id; evicts the least recently used if full."""
        sid = session_id or new_session_id()
        with self._lock:
            now = self._clock()
            self._purge(now)
            self._entries.pop(sid, None)
            while len(self._entries) >= self.max_sessions:
                self._entries.popitem(last=False)
            self._entries[sid] = Entry(value, now + self.ttl_s)
        return sid

    def _entry(self, session_id: str) -> Entry[T]:
        with self._lock:
            now = self._clock()
            self._purge(now)
            entry = self._entries.get(session_id)
            if entry is None:
                raise NotFoundError(f"chat session {session_id!r} does not exist or has expired", session_id=session_id)
            entry.expires_at = now + self.ttl_s
            self._entries.move_to_end(session_id)
            return entry

    def get(self, session_id: str) -> T:
        """The session's value (a use: its expiry is pushed back). NotFoundError when unknown or expired."""
        return self._entry(session_id).value

    @contextmanager
    def use(self, session_id: str) -> Iterator[Entry[T]]:
        """Hold the session's own lock while working on it; assign ``entry.value`` to change it."""
        entry = self._entry(session_id)
        with entry.lock:
            yield entry
            with self._lock:
                entry.expires_at = self._clock() + self.ttl_s

    def delete(self, session_id: str) -> bool:
        with self._lock:
            return self._entries.pop(session_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
