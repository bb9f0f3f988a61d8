"""Opening one input file or zip archive: the size cap, decoding, the parser by suffix, unique ids.

:func:`read_file` reads a file named by :func:`index.readers.read_paths` (a zip archive reads like
a folder of its members), refuses it over ``max_bytes``, decodes it, runs the parser for its suffix
(:data:`~index.reader_formats.READERS`) and turns rejections and repeated ids into
:class:`~index.errors.InputError`. Part of :mod:`index.readers`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from .documents import Article
from .errors import InputError
from .reader_decoding import decode_bytes
from .reader_formats import READERS
from .reader_records import BadInput


def read_file(
    file: Path, rel: str, max_bytes: int, max_chars: int, seen: dict[str, str]
) -> Iterator[Article | InputError]:
    path = str(file)
    if file.suffix.lower() == ".zip":
        yield from _read_zip(file, rel, max_bytes, max_chars, seen)
        return
    try:
        size = file.stat().st_size
        if size > max_bytes:
            yield InputError(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit", path=path)
            return
        data = file.read_bytes()
    except OSError as exc:
        yield InputError(f"cannot read the file: {exc.strerror or exc}", path=path)
        return
    yield from _read_data(data, file.suffix.lower(), rel, path, max_bytes, max_chars, seen)


def _read_data(
    data: bytes, suffix: str, rel: str, path: str, max_bytes: int, max_chars: int, seen: dict[str, str]
) -> Iterator[Article | InputError]:
    if len(data) > max_bytes:  # it grew since stat(), or an archive member lied about its size
        yield InputError(f"file is {len(data):,} bytes or more, over the {max_bytes:,}-byte limit", path=path)
        return
    try:
        text = decode_bytes(data, clean=suffix not in {".json", ".jsonl"})
    except ValueError as exc:
        yield InputError(str(exc), path=path)
        return
    if not text.strip():
        yield InputError("empty file (only whitespace)", path=path)
        return
    reader = READERS[suffix]
    for item, line, label in reader(text, rel, path, max_chars):
        prefix = f"{label}: " if label else ""
        if isinstance(item, BadInput):
            yield InputError(prefix + item.reason, path=path, line=line)
        elif item.id in seen:
            reason = f"{prefix}duplicate id {item.id!r} (first seen at {seen[item.id]})"
            yield InputError(reason, path=path, line=line)
        else:
            seen[item.id] = path + (f":{line}" if line is not None else "") + (f" {label}" if label else "")
            yield item


def _hidden(name: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in name.split("/"))


def _read_zip(
    file: Path, rel: str, max_bytes: int, max_chars: int, seen: dict[str, str]
) -> Iterator[Article | InputError]:
    """A zip archive reads like a folder: its supported members in sorted order, named ``archive.zip/member``.

    Each member is bounded by ``max_bytes`` (checked on the header and again while reading, so a
    member that lies about its size cannot exhaust memory); encrypted members, nested archives and
    corrupt members are reported and the rest of the archive is read.
    """
    path = str(file)
    try:
        archive = zipfile.ZipFile(file)
    except (OSError, zipfile.BadZipFile) as exc:
        yield InputError(f"not a readable zip archive ({exc})", path=path)
        return
    with archive:
        members = sorted(
            (i for i in archive.infolist() if not i.is_dir() and not _hidden(i.filename)), key=lambda i: i.filename
        )
        readable = 0
        for info in members:
            suffix = Path(info.filename).suffix.lower()
            member = f"{path}/{info.filename}"
            if suffix == ".zip":
                yield InputError("archives inside archives are not read", path=member)
                continue
            if suffix not in READERS:
                continue
            readable += 1
            if info.flag_bits & 0x1:
                yield InputError("encrypted archive member", path=member)
                continue
            if info.file_size > max_bytes:
                yield InputError(f"file is {info.file_size:,} bytes, over the {max_bytes:,}-byte limit", path=member)
                continue
            try:
                with archive.open(info) as handle:
                    data = handle.read(max_bytes + 1)
            except (OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError) as exc:
                yield InputError(f"cannot read the archive member: {exc}", path=member)
                continue
            yield from _read_data(data, suffix, f"{rel}/{info.filename}", member, max_bytes, max_chars, seen)
        if not readable:
            kinds = ", ".join(sorted(READERS))
            yield InputError(f"no readable files in the archive (expected {kinds})", path=path)
