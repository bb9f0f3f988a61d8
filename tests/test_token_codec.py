"""Token states packed as int8 rows (index.token_codec): half the bytes of float16, the same
late-interaction scores to within a few thousandths, and a blob that is not one is refused."""

from __future__ import annotations

import numpy as np
import pytest

from index.rerank import maxsim
from index.token_codec import PackedStates, packed_nbytes


def _rows(n: int, dim: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_packed_rows_keep_cosines_and_maxsim() -> None:
    passage, query = _rows(200, 384, 1), _rows(12, 384, 2)
    packed = PackedStates.pack(passage)
    assert packed.nbytes == packed_nbytes(200, 384) == 200 * 388 < passage.astype(np.float16).nbytes
    exact = query @ passage.T
    approx = query @ packed.unpack().T
    assert np.abs(exact - approx).max() < 0.003
    assert abs(maxsim(query, passage) - maxsim(query, packed.unpack())) < 0.002


def test_bytes_round_trip_and_bad_blobs() -> None:
    packed = PackedStates.pack(_rows(5, 16, 3))
    back = PackedStates.from_bytes(packed.to_bytes(), 16)
    assert back is not None
    np.testing.assert_array_equal(back.unpack(), packed.unpack())
    assert PackedStates.from_bytes(packed.to_bytes()[:-1], 16) is None  # not whole rows
    assert PackedStates.from_bytes(packed.to_bytes(), 0) is None
    nan_scale = np.float32("nan").tobytes() + packed.to_bytes()[4:]
    assert PackedStates.from_bytes(nan_scale, 16) is None


def test_zero_rows_and_empty_states() -> None:
    zeros = PackedStates.pack(np.zeros((2, 8), dtype=np.float32))
    np.testing.assert_array_equal(zeros.unpack(), np.zeros((2, 8), dtype=np.float32))
    assert PackedStates.pack(np.zeros((0, 8), dtype=np.float32)).unpack().shape == (0, 8)
    with pytest.raises(ValueError, match="rows, dim"):
        PackedStates.pack(np.zeros(8, dtype=np.float32))
