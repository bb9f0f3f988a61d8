"""The HTTP server's chat-session store: bounded, expiring, one writer per session at a time."""

from __future__ import annotations

import threading
import time

import pytest

from index.errors import NotFoundError
from qa.http.sessions import SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_expiry_counts_from_last_use() -> None:
    clock = Clock()
    store: SessionStore[str] = SessionStore(ttl_s=60, max_sessions=10, clock=clock)
    sid = store.add("a")
    clock.now += 59
    assert store.get(sid) == "a"  # a use: expiry pushed back
    clock.now += 59
    assert sid in store
    clock.now += 61
    assert sid not in store
    with pytest.raises(NotFoundError) as err:
        store.get(sid)
    assert sid in err.value.message and err.value.status == 404


def test_least_recently_used_is_evicted_when_full() -> None:
    clock = Clock()
    store: SessionStore[int] = SessionStore(ttl_s=600, max_sessions=3, clock=clock)
    ids = [store.add(i) for i in range(3)]
    clock.now += 1
    store.get(ids[0])  # ids[1] is now the least recently used
    newest = store.add(3)
    assert len(store) == 3
    assert ids[1] not in store
    assert ids[0] in store and ids[2] in store and newest in store


def test_ids_are_unguessable_and_distinct() -> None:
    store: SessionStore[int] = SessionStore()
    ids = {store.add(i) for i in range(200)}
    assert len(ids) == 200
    assert all(len(i) >= 20 for i in ids)


def test_use_serialises_turns_on_one_session() -> None:
    store: SessionStore[list[int]] = SessionStore()
    sid = store.add([])

    def turn(n: int) -> None:
        with store.use(sid) as entry:
            current = list(entry.value)
            time.sleep(0.001)  # a read-modify-write that would lose turns without the lock
            entry.value = [*current, n]

    threads = [threading.Thread(target=turn, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(store.get(sid)) == list(range(30))


def test_delete_and_clear() -> None:
    store: SessionStore[str] = SessionStore()
    a, b = store.add("a"), store.add("b")
    assert store.delete(a) is True
    assert store.delete(a) is False
    store.clear()
    assert b not in store and len(store) == 0


def test_bad_bounds() -> None:
    with pytest.raises(ValueError):
        SessionStore(max_sessions=0)
