"""Passage token states packed as int8 rows, for the reranker's caches in memory and on disk.

Each row of a passage's token states is L2-normalised, so one scale per row (its largest
magnitude over 127, kept as float32) and a signed byte per value keep its cosines with any
query row to within about 0.003: ``dim + 4`` bytes a token instead of ``2 × dim`` as float16,
which doubles how many passages a bounded cache holds (at 384 dimensions, 388 bytes a row
against 768). :func:`maxsim` reads the unpacked float32 rows; nothing else needs to know.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

SCALE_BYTES = 4  # one float32 per row


def packed_nbytes(rows: int, dim: int) -> int:
    """Bytes of ``rows`` token states of ``dim`` values once packed."""
    return rows * (dim + SCALE_BYTES)


@dataclass(frozen=True, slots=True)
class PackedStates:
    """``codes[i] × scales[i]`` is row ``i`` of the states (within half a step of 1/127 of its peak)."""

    codes: NDArray[np.int8]  # (rows, dim)
    scales: NDArray[np.float32]  # (rows,)

    @classmethod
    def pack(cls, states: NDArray[np.floating]) -> PackedStates:
        arr = np.asarray(states, dtype=np.float32)
        if arr.ndim != 2:
            raise ValueError(f"token states must be (rows, dim), got shape {arr.shape}")
        peak = np.abs(arr).max(axis=1) if arr.size else np.zeros(arr.shape[0], dtype=np.float32)
        scales = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
        codes = np.clip(np.rint(arr / scales[:, None]), -127, 127).astype(np.int8)
        return cls(codes, scales)

    @classmethod
    def of(cls, states: NDArray[np.floating] | PackedStates) -> PackedStates:
        """``states`` packed (as they are when they already are)."""
        return states if isinstance(states, PackedStates) else cls.pack(states)

    def unpack(self) -> NDArray[np.float32]:
        return self.codes.astype(np.float32) * self.scales[:, None]

    @property
    def dim(self) -> int:
        return int(self.codes.shape[1])

    @property
    def nbytes(self) -> int:
        return packed_nbytes(int(self.codes.shape[0]), self.dim)

    def to_bytes(self) -> bytes:
        return self.scales.astype("<f4").tobytes() + self.codes.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, dim: int) -> PackedStates | None:
        """The states :meth:`to_bytes` wrote, or None when ``data`` cannot be such a blob."""
        if dim <= 0 or len(data) % (dim + SCALE_BYTES):
            return None
        rows = len(data) // (dim + SCALE_BYTES)
        scales = np.frombuffer(data, dtype="<f4", count=rows).astype(np.float32)
        codes = np.frombuffer(data, dtype=np.int8, offset=rows * SCALE_BYTES).reshape(rows, dim)
        if not np.isfinite(scales).all():
            return None
        return cls(codes, scales)
