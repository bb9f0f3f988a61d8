"""The sentence-transformers backend: any sentence-transformers model, by hub name or local folder.

:class:`SentenceTransformerEmbedder` loads the model (offline when ``HF_HUB_OFFLINE`` says so),
works out its query / passage prompts and names itself by label, precision and a fingerprint of
the folder's files (:func:`folder_fingerprint`); :func:`quiet_loading` is shared with the other
torch backend (:mod:`index.e5_embedder`). Importing this module registers the
``sentence-transformers:<name or folder>`` spec with :mod:`index.embedder_registry`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .documents import content_hash
from .embedder_base import Embedder, Kind, Vectors, content_masks, l2_normalise, token_states
from .embedder_registry import BackendOptions, register_embedder, resolve_device
from .errors import ConfigError, ModelError

_OFF = {"", "0", "false", "no", "off"}
_GENERIC_FOLDER_NAMES = {"model", "models", "snapshot", "default", "main", "onnx", "pytorch"}
_CONFIG_FILES = (
    "config.json",
    "config_sentence_transformers.json",
    "modules.json",
    "sentence_bert_config.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx", ".pt", ".gguf")


def hub_offline() -> bool:
    """True when ``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) asks not to touch the hub."""
    return any(
        os.environ.get(var, "").strip().lower() not in _OFF for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _looks_like_path(name: str) -> bool:
    """A filesystem path rather than a hub id like ``org/name``."""
    return name.startswith(("/", "./", "../", "~", ".\\", "..\\")) or (len(name) > 2 and name[1:3] in (":/", ":\\"))


def folder_fingerprint(folder: Path) -> str:
    """A cheap content fingerprint of a model folder: its config files, and the size, head and
    tail of each weight file (so another model, precision or quantisation gets another value)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if path.name in _CONFIG_FILES or rel == "1_Pooling/config.json":
            h.update(rel.encode() + b"\x00" + path.read_bytes() + b"\x00")
        elif path.suffix in _WEIGHT_SUFFIXES:
            size = path.stat().st_size
            with path.open("rb") as f:
                head = f.read(1 << 20)
                f.seek(max(0, size - (1 << 20)))
                tail = f.read(1 << 20)
            h.update(f"{rel}\x00{size}\x00".encode() + hashlib.sha256(head + tail).digest())
    return h.hexdigest()[:16]


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """transformers draws a "Loading weights" progress bar on stderr; keep model loading quiet."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local folder.

    Prefixes: explicit ``prompts={"query": ..., "passage": ...}`` win; otherwise prompts named
    ``query`` and ``passage`` (or ``document``) in the folder's ``config_sentence_transformers.json``
    are used by name; otherwise a model whose name contains ``e5`` gets ``query: `` / ``passage: ``.
    Vectors are L2-normalised float32. With ``HF_HUB_OFFLINE=1`` nothing is fetched from the hub.
    """

    def __init__(
        self,
        name_or_path: str,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        prompts: dict[str, str] | None = None,
    ) -> None:
        name_or_path = name_or_path.strip()
        if not name_or_path:
            raise ConfigError("sentence-transformers needs a model name or a local folder")
        folder = Path(name_or_path).expanduser()
        local = folder.is_dir()
        if not local and (_looks_like_path(name_or_path) or folder.exists()):
            raise ModelError(f"no sentence-transformers model folder at {name_or_path}", model=name_or_path)
        if prompts is not None and not set(prompts) <= {"query", "passage"}:
            raise ConfigError(f"prompts takes the keys 'query' and 'passage', got {sorted(prompts)}")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - dependency is required
            raise ConfigError("the sentence-transformers package is not installed") from exc

        offline = hub_offline()
        try:
            with quiet_loading():
                self._model = SentenceTransformer(
                    str(folder.resolve()) if local else name_or_path,
                    device=device,
                    local_files_only=local or offline,
                )
        except Exception as exc:
            hint = (
                " (the hub is off: HF_HUB_OFFLINE is set; give a local model folder or pre-fill the HF cache)"
                if offline and not local
                else ""
            )
            raise ModelError(
                f"could not load sentence-transformers model {name_or_path!r}: {exc}{hint}", model=name_or_path
            ) from exc

        self.name = name_or_path
        self.batch_size = batch_size
        self.device = device
        if local:
            label = folder.resolve().name
            if label.lower() in _GENERIC_FOLDER_NAMES:
                label = f"{folder.resolve().parent.name}/{label}"
            source = folder_fingerprint(folder.resolve())
        else:
            label, source = name_or_path, name_or_path
        self.label = label
        self._query, self._passage = self._resolve_prompts(label, prompts)
        dtype = next(iter(self._model.parameters())).dtype
        self.precision = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}.get(
            str(dtype).removeprefix("torch."), str(dtype).removeprefix("torch.")
        )
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self._fingerprint = content_hash(
            source, self.prompt_text("query"), self.prompt_text("passage"), str(self._model.max_seq_length), length=8
        )

    def _resolve_prompts(
        self, label: str, prompts: dict[str, str] | None
    ) -> tuple[tuple[str | None, str], tuple[str | None, str]]:
        """Each side as (prompt_name to pass by name, or None; prompt text)."""
        if prompts is not None:
            return (None, prompts.get("query", "")), (None, prompts.get("passage", ""))
        own = {key: value for key, value in (self._model.prompts or {}).items() if value}
        query_name = "query" if "query" in own else None
        passage_name = next((n for n in ("passage", "document") if n in own), None)
        if query_name or passage_name:
            return (
                (query_name, own[query_name] if query_name else ""),
                (passage_name, own[passage_name] if passage_name else ""),
            )
        if "e5" in label.lower():
            return (None, "query: "), (None, "passage: ")
        return (None, ""), (None, "")

    def prompt_text(self, kind: Kind) -> str:
        """The prefix put before texts of this kind ("" for none)."""
        return (self._query if kind == "query" else self._passage)[1]

    @property
    def identity(self) -> str:
        return f"sentence-transformers:{self.label}:{self.precision}:{self._fingerprint}"

    def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._encode(texts, kind, normalize_embeddings=True, convert_to_numpy=True)
        # normalised again in float32: a half-precision model's unit vectors are only ~1e-3 close to 1
        return l2_normalise(np.asarray(out, dtype=np.float32).reshape(len(texts), -1))

    def token_vectors(
        self, texts: Sequence[str], kind: Kind, *, content_only: bool = False
    ) -> list[NDArray[np.float32]]:
        """Per-token states of each text (prompt included unless ``content_only``; see :mod:`index.rerank`)."""
        if not texts:
            return []
        encoded = self._encode(texts, kind, output_value="token_embeddings", convert_to_numpy=False)
        masks = None
        if content_only:
            limit = int(self._model.max_seq_length or 512)
            masks = content_masks(self._model.tokenizer, self.prompt_text(kind), texts, limit)
        return token_states(encoded, masks)

    def _encode(self, texts: Sequence[str], kind: Kind, **options: Any) -> Any:
        """``model.encode`` with this kind's prompt (by name or as text) and the batch size."""
        prompt_name, prompt = self._query if kind == "query" else self._passage
        return self._model.encode(
            list(texts),
            prompt_name=prompt_name,
            prompt=None if prompt_name or not prompt else prompt,
            batch_size=self.batch_size,
            show_progress_bar=False,
            **options,
        )

    def count_tokens(self, text: str) -> int:
        tokenizer = self._model.tokenizer
        return len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


def _sentence_transformers(arg: str, options: BackendOptions) -> Embedder:
    if not arg:
        raise ConfigError(
            "sentence-transformers needs a model: sentence-transformers:<hub name or local folder>",
            spec="sentence-transformers",
        )
    return SentenceTransformerEmbedder(arg, device=resolve_device(options.device))


register_embedder("sentence-transformers", _sentence_transformers, "sentence-transformers:<model name or local folder>")
