"""The e5 BERT encoder in numpy, for a question: no torch import on the query path.

A cold ``sanad ask`` spends more time importing torch (≈ 1.3 s) than encoding its question
(≈ 20 tokens: 12 layers of small matrix products, a few ms in numpy's BLAS). This module runs
the same forward pass as :class:`index.bert_encoder.BertEncoder` in float32 numpy, straight from
``model.safetensors`` mapped into memory (the format is an 8-byte header length, a JSON header of
each tensor's dtype, shape and byte range, then the raw data): nothing is copied or converted,
and only the rows of the word-embedding matrix a question uses are read. GELU is the exact
(erf) one, with erf from Abramowitz & Stegun 7.1.26 (error < 1.5e-7). Its vectors equal the
torch encoder's fp32 ones (cosine ≥ 0.9999, tested), so they query an index built by either
precision.

It is for short inputs: :data:`NUMPY_MAX_TOKENS` padded tokens per call at most, where numpy
and a fresh torch are on a par; longer batches go to torch. The products run on one BLAS thread
(``threadpoolctl``): for matrices this small OpenBLAS's threads cost more than they share —
measured on 2 busy cores, a (32×384)·(384×1536) product took 12 ms on two threads, 0.6 ms on one.

The last :data:`MEMO` inputs' states are kept: a search asks for the question's vector (retrieval)
and then for its token states (the reranker, :mod:`index.rerank`), and both come from one pass.
"""

from __future__ import annotations

import json
import struct
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import ModelError

NUMPY_MAX_TOKENS = 256
"""Padded tokens (batch × length) up to which the numpy encoder runs a batch."""

MEMO = 16
"""Inputs whose states are kept (read-only) for the next call with the same ids."""

F32 = NDArray[np.float32]


def map_safetensors(path: Path) -> dict[str, NDArray[Any]]:
    """Every float32 tensor of a safetensors file as a read-only memory-mapped array."""
    try:
        with path.open("rb") as f:
            (size,) = struct.unpack("<Q", f.read(8))
            header: dict[str, Any] = json.loads(f.read(size))
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    except (OSError, ValueError, struct.error) as exc:
        raise ModelError(f"cannot read the weights {path.name}: {exc}", path=path.name) from exc
    out: dict[str, NDArray[Any]] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta.get("dtype") != "F32":
            raise ModelError(f"{path.name}: tensor {name} is {meta.get('dtype')}, not F32", path=path.name)
        start, end = (int(x) for x in meta["data_offsets"])
        out[name] = data[start:end].view(np.float32).reshape(meta["shape"])
    return out


def _erf(x: F32) -> F32:
    """erf by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    out: F32 = (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)
    return out


def _layer_norm(x: F32, weight: NDArray[Any], bias: NDArray[Any], eps: float) -> F32:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    out: F32 = centred / np.sqrt(var + eps) * weight + bias
    return out


class NumpyBert:
    """The folder's BertModel in numpy: :meth:`hidden_states` of a small batch of token ids."""

    def __init__(self, folder: Path) -> None:
        try:
            config: dict[str, Any] = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read the config in {folder.name}: {exc}", path=folder.name) from exc
        self.w = map_safetensors(folder / "model.safetensors")
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.hidden = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self._blas: Any = None
        self._memo: OrderedDict[bytes, F32] = OrderedDict()
        self._memo_lock = threading.Lock()
        self._t: dict[str, tuple[F32, F32]] = {}  # each linear's weights transposed, on first use

    def _linear(self, x: F32, *names: str) -> F32:
        """``x`` through the named linear layers side by side (their outputs concatenated)."""
        key = "+".join(names)
        found = self._t.get(key)
        if found is None:  # (in, out) C-ordered: twice as fast as the mapped (out, in) matrix's .T
            found = (
                np.ascontiguousarray(np.concatenate([self.w[n + ".weight"] for n in names]).T, dtype=np.float32),
                np.concatenate([self.w[n + ".bias"] for n in names]).astype(np.float32),
            )
            self._t[key] = found
        out: F32 = x @ found[0] + found[1]
        return out

    def hidden_states(self, ids: NDArray[np.int64], mask: NDArray[np.bool_]) -> F32:
        """The last layer's states ``(batch, tokens, hidden)`` of ``ids`` (``mask``: real tokens);
        read-only, and the same array for the same input while it is among the last :data:`MEMO`."""
        ids, mask = np.ascontiguousarray(ids, dtype=np.int64), np.ascontiguousarray(mask, dtype=bool)
        key = repr(ids.shape).encode() + ids.tobytes() + mask.tobytes()
        with self._memo_lock:
            found = self._memo.get(key)
            if found is not None:
                self._memo.move_to_end(key)
                return found
        if self._blas is None:
            from threadpoolctl import ThreadpoolController

            self._blas = ThreadpoolController()
        with self._blas.limit(limits=1, user_api="blas"):
            states = self._forward(ids, mask)
        states.setflags(write=False)
        with self._memo_lock:
            self._memo[key] = states
            while len(self._memo) > MEMO:
                self._memo.popitem(last=False)
        return states

    def _forward(self, ids: NDArray[np.int64], mask: NDArray[np.bool_]) -> F32:
        w = self.w
        batch, length = ids.shape
        head = self.hidden // self.heads
        x = np.asarray(w["embeddings.word_embeddings.weight"][ids], dtype=np.float32)
        x = x + w["embeddings.position_embeddings.weight"][:length] + w["embeddings.token_type_embeddings.weight"][0]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        blocked = np.where(mask[:, None, None, :], 0.0, -np.inf).astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(head))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def split(t: F32) -> F32:
                return t.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

            qkv = self._linear(x, *(p + f"attention.self.{n}" for n in ("query", "key", "value")))
            q, k, v = (split(part) for part in np.split(qkv, 3, axis=-1))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.hidden)
            x = _layer_norm(
                self._linear(ctx, p + "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self.eps,
            )
            h = self._linear(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h * np.float32(1.0 / np.sqrt(2.0))))
            x = _layer_norm(
                self._linear(h, p + "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                self.eps,
            )
        return x.astype(np.float32, copy=False)
