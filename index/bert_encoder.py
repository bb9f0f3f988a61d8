"""A BERT encoder in plain torch for the e5 folder: the weights, the tokenizer, one forward pass.

The e5 model folder (:mod:`index.e5_model`) is a standard sentence-transformers folder, but
loading it through sentence-transformers imports ``transformers`` — about 5 s of imports and
3 s of set-up before the first question, measured by ``benchmarks/cold_start.py``. The model
is a plain BERT encoder (multilingual-e5-small: 12 layers, 12 heads, hidden 384, mean pooling),
so this module runs it directly: ``model.safetensors`` through ``safetensors``, ``tokenizer.json``
through ``tokenizers`` (the Rust library ``transformers`` itself wraps), and the forward pass as
a dozen torch calls per layer — the same operations as Hugging Face's ``BertModel`` with its
``sdpa`` attention, so its vectors equal sentence-transformers' (cosine ≥ 0.9999, tested).

On CPU the linear layers run through oneDNN with the bias, GELU and residual add fused into the
matrix products (``torch.ops.mkldnn._linear_pointwise``), the fusions torch's inductor makes,
checked against the plain ops at load (:meth:`BertEncoder.fused`); bf16 is a cast of the weights.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelError

if TYPE_CHECKING:
    import torch

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
TOKENIZER = "tokenizer.json"
FUSED_MIN_TOKENS = 1024
"""Padded tokens from which a batch runs the fused oneDNN linears (:meth:`BertEncoder.hidden_states`)."""


@dataclass(frozen=True)
class Tokenized:
    """Token ids of each text (``<s> … </s>``, truncated) and each token's character span."""

    ids: list[list[int]]
    offsets: list[list[tuple[int, int]]]


class Tokenizer:
    """``tokenizer.json`` through ``tokenizers``: ids with specials, truncated at ``max_length``."""

    def __init__(self, path: Path, max_length: int) -> None:
        from tokenizers import Tokenizer as RustTokenizer

        try:
            self._tok = RustTokenizer.from_file(str(path))
        except Exception as exc:  # the library raises its own exception types
            raise ModelError(f"cannot read the tokenizer {path.name}: {exc}", path=path.name) from exc
        self._tok.no_padding()
        self._tok.no_truncation()
        self.max_length = max_length
        self.pad_id = int(self._tok.token_to_id("<pad>") or 1)

    def encode(self, texts: Sequence[str], *, specials: bool = True, truncate: bool = True) -> Tokenized:
        encodings = self._tok.encode_batch(list(texts), add_special_tokens=specials)
        ids: list[list[int]] = []
        offsets: list[list[tuple[int, int]]] = []
        for e in encodings:
            row, spans = list(e.ids), [tuple(o) for o in e.offsets]
            if truncate and len(row) > self.max_length:
                # keep </s> at the end, as the tokenizer's own truncation does
                keep = self.max_length - 1 if specials else self.max_length
                row = row[:keep] + (row[-1:] if specials else [])
                spans = spans[:keep] + (spans[-1:] if specials else [])
            ids.append(row)
            offsets.append([(int(a), int(b)) for a, b in spans])
        return Tokenized(ids, offsets)

    def tokens(self, text: str) -> list[str]:
        """The pieces of ``text`` (no specials), for tests and debugging."""
        return list(self._tok.encode(text, add_special_tokens=False).tokens)


class BertEncoder:
    """The folder's BertModel: :meth:`hidden_states` of a batch of token ids."""

    def __init__(self, folder: Path, *, bf16: bool = False, fuse: bool = True, device: str = "cpu") -> None:
        import torch
        from safetensors.torch import load_file

        try:
            config: dict[str, Any] = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
            weights = load_file(str(folder / WEIGHTS))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the model in {folder.name}: {exc}", path=folder.name) from exc
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise ModelError(f"{folder.name} is not a BERT encoder with GELU", path=folder.name)
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.hidden = int(config["hidden_size"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.dtype = torch.bfloat16 if bf16 else torch.float32
        try:
            self.device = torch.device(device)
            self.w: dict[str, torch.Tensor] = {
                k: v.to(device=self.device, dtype=self.dtype).contiguous() for k, v in weights.items()
            }
            self._check_names()
        except (KeyError, RuntimeError) as exc:
            raise ModelError(f"the weights in {folder.name} are not a BertModel's: {exc}", path=folder.name) from exc
        # the first token type's vector is added to every position (token_type_ids are all 0)
        self.w["embeddings.type0"] = self.w["embeddings.token_type_embeddings.weight"][0]
        self._fuse = fuse and self.device.type == "cpu"  # oneDNN's fused linears are CPU kernels
        self._op: Any = None
        self._fusion_checked = False

    @property
    def fused(self) -> bool:
        """Whether big batches run the fused oneDNN linears (decided, and checked, on first use)."""
        self._check_fusion()
        return self._op is not None

    def _check_fusion(self) -> None:
        if self._fusion_checked:
            return
        self._fusion_checked = True
        self._op = _fused_linear_op() if self._fuse else None
        if self._op is not None and not self._fusion_matches():
            self._op = None

    def _check_names(self) -> None:
        needed = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight"]
        for i in range(self.layers):
            needed += [f"encoder.layer.{i}.{n}.weight" for n in _LAYER_LINEARS]
        missing = [n for n in needed if n not in self.w]
        if missing:
            raise KeyError(f"missing {missing[0]}")

    def _fusion_matches(self) -> bool:
        import torch

        ids = torch.tensor([[0, 1000, 2000, 3000, 4000, 2], [0, 5000, 6000, 2, 1, 1]])
        mask = ids != 1
        try:
            fused = self._forward(ids, mask, self._op).float()
            plain = self._forward(ids, mask, None).float()
        except RuntimeError:
            return False
        cosine = torch.nn.functional.cosine_similarity(fused[mask], plain[mask], dim=-1)
        return bool((cosine > 0.999).all())  # bf16 rounding alone stays far above this

    def _linear(self, x: torch.Tensor, name: str, op: Any, post: str = "none") -> torch.Tensor:
        import torch.nn.functional as F

        w, b = self.w[name + ".weight"], self.w[name + ".bias"]
        if op is not None:
            y = op(x.reshape(-1, x.shape[-1]), w, b, post, [], "none" if post == "gelu" else "")
            out: torch.Tensor = y.reshape(*x.shape[:-1], w.shape[0])
            return out
        y = F.linear(x, w, b)
        return F.gelu(y) if post == "gelu" else y

    def _add_norm(self, x: torch.Tensor, residual: torch.Tensor, dense: str, norm: str, op: Any) -> torch.Tensor:
        """LayerNorm(linear(x) + residual), the add fused into the linear when fused."""
        import torch
        import torch.nn.functional as F

        w, b = self.w[dense + ".weight"], self.w[dense + ".bias"]
        if op is not None:
            flat = x.reshape(-1, x.shape[-1])
            y = torch.ops.mkldnn._linear_pointwise.binary(flat, residual.reshape(-1, w.shape[0]), w, b, "add")
            y = y.reshape(*x.shape[:-1], w.shape[0])
        else:
            y = F.linear(x, w, b) + residual
        return F.layer_norm(y, (self.hidden,), self.w[norm + ".weight"], self.w[norm + ".bias"], self.eps)

    def hidden_states(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The last layer's states, ``(batch, tokens, hidden)``, of ``ids`` (``mask``: real tokens).

        Batches of at least :data:`FUSED_MIN_TOKENS` run the fused linears: oneDNN builds its
        kernels on a shape's first use (≈ 1 s in a fresh process), which a question's one short
        text does not win back; plain ``F.linear`` runs those."""
        return self._forward(ids.to(self.device), mask.to(self.device), self._op_for(ids))

    def _op_for(self, ids: torch.Tensor) -> Any:
        """The fused linear op for a batch this big, or None (plain ``F.linear``)."""
        if ids.numel() < FUSED_MIN_TOKENS:
            return None
        self._check_fusion()
        return self._op

    def local_states(
        self, ids: torch.Tensor, mask: torch.Tensor, groups: torch.Tensor, layers: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The last layer's states of ``ids`` as :meth:`hidden_states`, and a second copy whose last
        ``layers`` layers ran again with each token seeing only its own group's tokens.

        ``groups`` is ``(batch, tokens)``: a span's index for its tokens, -1 for tokens in no span
        (``<s>``, the prompt, a title), which every token still sees. So a sentence's local states
        start from the chunk's context and end as the sentence's own: one pass and ``layers``
        twelfths instead of a second pass over every sentence (``benchmarks/ingest.py``)."""
        import torch

        op = self._op_for(ids)
        ids, groups = ids.to(self.device), groups.to(self.device)
        real = mask.to(device=self.device, dtype=torch.bool)
        split = self.layers - max(0, min(layers, self.layers))
        with torch.inference_mode():
            keep = real[:, None, None, :]
            x = self._embed(ids)
            for i in range(split):
                x = self._layer(x, i, keep, op)
            y = x
            for i in range(split, self.layers):
                x = self._layer(x, i, keep, op)
            own = (groups[:, :, None] == groups[:, None, :]) & real[:, None, :]
            local = (own | ((groups < 0) & real)[:, None, :])[:, None]  # a padded row still sees <s>
            for i in range(split, self.layers):
                y = self._layer(y, i, local, op)
        return x, y

    def _forward(self, ids: torch.Tensor, mask: torch.Tensor, op: Any) -> torch.Tensor:
        import torch

        with torch.inference_mode():
            keep = mask[:, None, None, :].to(torch.bool)
            x = self._embed(ids)
            for i in range(self.layers):
                x = self._layer(x, i, keep, op)
            return x

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        import torch.nn.functional as F

        w = self.w
        x = F.embedding(ids, w["embeddings.word_embeddings.weight"])
        x = x + w["embeddings.position_embeddings.weight"][: ids.shape[1]] + w["embeddings.type0"]
        norm_w, norm_b = w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"]
        return F.layer_norm(x, (self.hidden,), norm_w, norm_b, self.eps)

    def _layer(self, x: torch.Tensor, i: int, keep: torch.Tensor, op: Any) -> torch.Tensor:
        """Encoder layer ``i`` on ``x``; ``keep`` (broadcast to ``(batch, 1, tokens, tokens)``) says
        which keys each query sees."""
        import torch.nn.functional as F

        batch, length = x.shape[0], x.shape[1]
        head = self.hidden // self.heads
        p = f"encoder.layer.{i}."

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, head).transpose(1, 2)

        q = split(self._linear(x, p + "attention.self.query", op))
        k = split(self._linear(x, p + "attention.self.key", op))
        v = split(self._linear(x, p + "attention.self.value", op))
        ctx: torch.Tensor = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
        ctx = ctx.transpose(1, 2).reshape(batch, length, self.hidden)
        x = self._add_norm(ctx, x, p + "attention.output.dense", p + "attention.output.LayerNorm", op)
        h = self._linear(x, p + "intermediate.dense", op, "gelu")
        return self._add_norm(h, x, p + "output.dense", p + "output.LayerNorm", op)


_LAYER_LINEARS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def _fused_linear_op() -> Any:
    """``torch.ops.mkldnn._linear_pointwise`` (oneDNN linear with fused post-ops), or None."""
    import torch

    if not torch.backends.mkldnn.is_available():  # type: ignore[no-untyped-call]
        return None
    return getattr(torch.ops.mkldnn, "_linear_pointwise", None)
