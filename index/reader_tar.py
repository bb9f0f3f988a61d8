"""Tar archives (``.tar.gz``, ``.tgz``, ``.tar``) read like a folder, member by member, in one pass.

:func:`tar_members` streams an open archive (``tarfile`` mode ``r|*``: the archive is read once,
start to end, and never indexed first, so a 10,000-member archive costs one decompression) and
yields each member to read as a :class:`Member` with its bytes, or an
:class:`~index.errors.InputError` naming ``archive.tar.gz/member`` and the reason:

- only regular members are read; a symbolic or hard link, a device or a FIFO with a readable name
  is refused by kind (nothing it points to is ever opened);
- a member over ``max_bytes`` is refused on its header, and no member is read past ``max_bytes + 1``
  bytes;
- names are only names: ``../x`` or ``/etc/x`` is read as the member's data, in memory; nothing is
  written to disk;
- archives inside the archive are not read; hidden members (``.x``, ``__MACOSX``) are skipped;
- a damaged or truncated archive is reported with the reason, after the members read before the
  damage; the caller goes on with its other inputs.

Members come in archive order (a stream cannot be sorted without holding it). Part of
:mod:`index.readers`; :mod:`index.reader_files` decodes and parses the members.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO, NamedTuple

from .errors import InputError

_BROKEN = (tarfile.TarError, OSError, EOFError, zlib.error, ValueError)
_ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar")


class Member(NamedTuple):
    """A regular member to read: its name in the archive, its suffix (lower case) and its bytes."""

    name: str
    suffix: str
    data: bytes


def hidden_member(name: str) -> bool:
    """An archive member to skip silently: a hidden file or folder (``.x``; ``./`` is not one) or ``__MACOSX``."""
    return any((part.startswith(".") and part not in {".", ".."}) or part == "__MACOSX" for part in name.split("/"))


def _kind(info: tarfile.TarInfo) -> str:
    if info.issym():
        return f"a symbolic link (to {info.linkname!r})"
    if info.islnk():
        return f"a hard link (to {info.linkname!r})"
    if info.ischr():
        return "a character device"
    if info.isblk():
        return "a block device"
    if info.isfifo():
        return "a FIFO (named pipe)"
    return "not a regular file"


def tar_members(
    handle: IO[bytes], path: str, readable: frozenset[str], max_bytes: int
) -> Iterator[Member | InputError]:
    """The members of the tar archive open in ``handle`` (``path`` names it) whose suffix is in ``readable``."""
    try:
        # a name that is not UTF-8 gets U+FFFD, not lone surrogates that no JSON or terminal takes
        archive = tarfile.open(fileobj=handle, mode="r|*", encoding="utf-8", errors="replace")  # noqa: SIM115
    except _BROKEN as exc:
        yield InputError(f"not a readable tar archive ({exc})", path=path)
        return
    with archive:
        members = iter(archive)
        while True:
            try:
                info = next(members)
            except StopIteration:
                break
            except _BROKEN as exc:
                yield InputError(f"the archive is damaged or cut short ({exc}); the rest of it is not read", path=path)
                return
            name = info.name
            if info.isdir() or hidden_member(name):
                continue
            member = f"{path}/{name}"
            suffix = PurePosixPath(name).suffix.lower()
            if name.lower().endswith(_ARCHIVES):
                yield InputError("archives inside archives are not read", path=member)
                continue
            if suffix not in readable:
                continue
            if not info.isreg():  # without an extension it may be anything: skipped quietly
                if suffix:
                    yield InputError(f"{_kind(info)} in the archive: only regular members are read", path=member)
                continue
            if info.size > max_bytes:
                if suffix:
                    yield InputError(f"file is {info.size:,} bytes, over the {max_bytes:,}-byte limit", path=member)
                continue
            try:
                extracted = archive.extractfile(info)
                data = extracted.read(max_bytes + 1) if extracted is not None else b""
            except _BROKEN as exc:
                yield InputError(f"the archive is damaged or cut short ({exc}); the rest is not read", path=member)
                return
            yield Member(name, suffix, data)
