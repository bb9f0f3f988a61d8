"""Opening one input file or archive: the size cap, decoding, the parser by suffix, unique ids.

:func:`read_file` reads a file named by :func:`index.readers.read_paths` (a zip or tar archive reads
like a folder of its members; tar members come from :mod:`index.reader_tar`), refuses it over
``max_bytes``, decodes it, runs the parser for its suffix (:data:`~index.reader_formats.READERS`)
and turns rejections and repeated ids into :class:`~index.errors.InputError`. Part of :mod:`index.readers`.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .documents import Article
from .errors import InputError
from .reader_decoding import decode_bytes
from .reader_formats import READERS, is_tar
from .reader_records import BadInput
from .reader_tar import hidden_member, tar_members


def read_file(
    file: Path, rel: str, max_bytes: int, max_chars: int, seen: dict[str, str]
) -> Iterator[Article | InputError]:
    path = str(file)
    if file.suffix.lower() == ".zip":
        yield from _read_zip(file, rel, max_bytes, max_chars, seen)
        return
    if is_tar(file.name):
        yield from _read_tar(file, rel, max_bytes, max_chars, seen)
        return
    try:
        data = read_regular_file(file, max_bytes)
    except RefusedFile as exc:
        yield InputError(str(exc), path=path)
        return
    except OSError as exc:
        yield InputError(f"cannot read the file: {exc.strerror or exc}", path=path)
        return
    yield from _read_data(data, file.suffix.lower(), rel, path, max_bytes, max_chars, seen)


class RefusedFile(ValueError):
    """A path that is not read: a device, FIFO, socket or folder, or a file over the byte limit."""


_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def file_kind(mode: int) -> str:
    """What a non-regular ``st_mode`` is, in words ("a character device", "a FIFO (named pipe)", …)."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(file: Path) -> BinaryIO:
    """``file`` (symlinks followed) opened for reading, if it is a regular file; else :class:`RefusedFile`.

    Opened first and checked by ``fstat`` on the open descriptor (no race with a swapped path), and
    opened non-blocking, so that a FIFO cannot hang the open.
    """
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise RefusedFile(f"{file_kind(mode)}, not a regular file: only regular files are read")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular_file(file: Path, max_bytes: int) -> bytes:
    """The bytes of regular file ``file``, at most ``max_bytes`` of them (else :class:`RefusedFile`).

    Never reads more than ``max_bytes + 1`` bytes, so that a file that grows while it is read, or
    whose size is not what ``stat`` says, cannot exhaust memory. ``OSError`` when it cannot be read.
    """
    with open_regular(file) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise RefusedFile(f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RefusedFile(f"file is over the {max_bytes:,}-byte limit (it grew while it was read)")
    return data


def _read_data(
    data: bytes, suffix: str, rel: str, path: str, max_bytes: int, max_chars: int, seen: dict[str, str]
) -> Iterator[Article | InputError]:
    if len(data) > max_bytes:  # it grew since stat(), or an archive member lied about its size
        if suffix:  # a file without an extension is only read if it is TREC-style: else no complaint
            yield InputError(f"file is {len(data):,} bytes or more, over the {max_bytes:,}-byte limit", path=path)
        return
    try:
        text = decode_bytes(data, clean=suffix not in {".json", ".jsonl"})
    except ValueError as exc:
        if suffix:
            yield InputError(str(exc), path=path)
        return
    if not text.strip() and suffix:
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


def _open_archive(file: Path) -> BinaryIO | InputError:
    """The archive opened as a regular file, or why it cannot be read."""
    try:
        return open_regular(file)
    except RefusedFile as exc:
        return InputError(str(exc), path=str(file))
    except OSError as exc:
        return InputError(f"cannot read the file: {exc.strerror or exc}", path=str(file))


def _read_tar(
    file: Path, rel: str, max_bytes: int, max_chars: int, seen: dict[str, str]
) -> Iterator[Article | InputError]:
    """A tar archive reads like a folder of its members (see :mod:`index.reader_tar`), in one pass."""
    path = str(file)
    handle = _open_archive(file)
    if isinstance(handle, InputError):
        yield handle
        return
    found = False
    with handle:
        for member in tar_members(handle, path, frozenset(READERS), max_bytes):
            if isinstance(member, InputError):
                found = True
                yield member
                continue
            where, inner = f"{path}/{member.name}", f"{rel}/{member.name}"
            for item in _read_data(member.data, member.suffix, inner, where, max_bytes, max_chars, seen):
                found = True
                yield item
    if not found:
        kinds = ", ".join(sorted(k for k in READERS if k))
        yield InputError(f"no readable files in the archive (expected {kinds})", path=path)


def _read_zip(
    file: Path, rel: str, max_bytes: int, max_chars: int, seen: dict[str, str]
) -> Iterator[Article | InputError]:
    """A zip archive reads like a folder: its supported members in sorted order, named ``archive.zip/member``.

    Each member is bounded by ``max_bytes`` (checked on the header and again while reading, so a
    member that lies about its size cannot exhaust memory); encrypted members, nested archives and
    corrupt members are reported and the rest of the archive is read.
    """
    path = str(file)
    handle = _open_archive(file)
    if isinstance(handle, InputError):
        yield handle
        return
    with handle:
        try:
            archive = zipfile.ZipFile(handle)
        except (OSError, zipfile.BadZipFile) as exc:
            yield InputError(f"not a readable zip archive ({exc})", path=path)
            return
        with archive:
            yield from _zip_members(archive, path, rel, max_bytes, max_chars, seen)


def _zip_members(
    archive: zipfile.ZipFile, path: str, rel: str, max_bytes: int, max_chars: int, seen: dict[str, str]
) -> Iterator[Article | InputError]:
    members = sorted(
        (i for i in archive.infolist() if not i.is_dir() and not hidden_member(i.filename)), key=lambda i: i.filename
    )
    readable = 0
    for info in members:
        suffix = Path(info.filename).suffix.lower()
        member = f"{path}/{info.filename}"
        if suffix == ".zip":
            yield InputError("archives inside archives are not read", path=member)
            continue
        if suffix not in READERS or not suffix:
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
