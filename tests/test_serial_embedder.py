"""The server's shared embedder: one call at a time, questions before ingest slices, ingest never starved."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
from fakes import HashEmbedder

from index.embeddings import Kind, Vectors
from index.serial import SerialEmbedder, background_work


class Recording:
    """A slow embedder that records who called it, and checks that calls never overlap."""

    def __init__(self, delay: float = 0.03) -> None:
        self.inner = HashEmbedder()
        self.delay = delay
        self.calls: list[tuple[str, int]] = []
        self.active = 0
        self.overlaps = 0
        self.lock = threading.Lock()

    @property
    def identity(self) -> str:
        return "recording"

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        with self.lock:
            self.active += 1
            self.overlaps += self.active > 1
            self.calls.append((threading.current_thread().name, len(texts)))
        time.sleep(self.delay)
        with self.lock:
            self.active -= 1
        return self.inner.embed(texts, kind)


def test_background_slices_give_the_same_vectors() -> None:
    texts = [f"نص رقم {i} عن الأخبار" for i in range(21)]
    recording = Recording(delay=0)
    serial = SerialEmbedder(lambda: recording, background_batch=8)
    with background_work():
        sliced = serial.embed(texts, "passage")
    whole = serial.embed(texts, "passage")
    np.testing.assert_array_equal(sliced, HashEmbedder().embed(texts, "passage"))
    np.testing.assert_array_equal(whole, sliced)
    assert [n for _, n in recording.calls] == [8, 8, 5, 21]
    assert serial.identity == "recording"


def test_a_question_waits_for_one_slice_at_most() -> None:
    recording = Recording()
    serial = SerialEmbedder(lambda: recording, background_batch=4)
    serial.embed(["warm"], "query")
    first_slice = threading.Event()

    def ingest() -> None:
        with background_work():
            serial.embed([f"passage {i}" for i in range(40)], "passage")

    def ask() -> None:
        first_slice.wait()
        serial.embed(["question"], "query")

    bg = threading.Thread(target=ingest, name="ingest")
    fg = threading.Thread(target=ask, name="ask")
    bg.start()
    fg.start()
    while not any(name == "ingest" for name, _ in recording.calls):
        time.sleep(0.001)
    first_slice.set()
    bg.join()
    fg.join()
    order = [name for name, _ in recording.calls[1:]]
    assert order.count("ingest") == 10
    # The question went right after the slice running when it arrived (or the one after).
    assert order.index("ask") <= 2
    assert recording.overlaps == 0


def test_ingest_is_not_starved_by_a_stream_of_questions() -> None:
    recording = Recording(delay=0.005)
    serial = SerialEmbedder(lambda: recording, background_batch=2, fairness=3)
    stop = threading.Event()

    def asker() -> None:
        while not stop.is_set():
            serial.embed(["question"], "query")

    askers = [threading.Thread(target=asker, name=f"ask-{i}") for i in range(6)]
    for t in askers:
        t.start()
    done = threading.Event()

    def ingest() -> None:
        with background_work():
            serial.embed([f"p{i}" for i in range(10)], "passage")
        done.set()

    threading.Thread(target=ingest, name="ingest").start()
    finished = done.wait(timeout=20)
    stop.set()
    for t in askers:
        t.join()
    assert finished, "ingest starved"
    assert recording.overlaps == 0
