"""Read files and folders (or JSON records from the API) into :class:`~index.documents.Article` objects.

Bad input never raises: each bad file, line or record is yielded as an
:class:`~index.errors.InputError` naming the file (and line) and the reason, and reading carries on
with the rest, so the caller can report, count and go on.

Formats
-------
``.txt`` / ``.md``
    Optional front matter (``---`` / ``key: value`` lines / ``---``) with ``title``, ``date``,
    ``source``, ``url``, ``id``, ``summary``; it is metadata and is left out of the text. Otherwise the
    first non-empty line is the title (``#`` marks removed). A leading block of ``- `` bullet lines is
    the article's summary (several bullets may share one line, ``"- a. - b."``); then the title is the
    first sentence of the body, shortened. ``Article.text`` is the rest of the file: decoded, BOM
    removed, ``\\r\\n`` → ``\\n``, NFC, outer whitespace stripped; title and summary stay in it.
``.jsonl``
    One JSON object a line: ``id``, ``title``, ``text`` or ``content``, optional ``date`` (also
    ``date_extracted`` / ``published``), ``source``, ``url``, ``summary``. Blank lines are skipped.
``.json``
    A list of such objects, ``{"articles": [...]}``, or one such object (SaudiNewsNet's
    ``{source, url, date_extracted, title, author, content}`` fits).
``.html`` / ``.htm``
    Main text, title, date, canonical URL and site name extracted with trafilatura.
``.txt`` (or no extension) starting with ``<DOC>`` / ``<DOCNO>``
    TREC-style documents (the ANT corpus), one or more a file: see :mod:`index.reader_trec`. Files
    without an extension are read only when they are; others are skipped quietly.
``.zip``
    Read like a folder of the formats above (SaudiNewsNet ships as zips of JSON); members are
    named ``archive.zip/member`` in ids and errors.
``.tar.gz`` / ``.tgz`` / ``.tar``
    The same, streamed in one pass (:mod:`index.reader_tar`): regular members only, in archive
    order, named ``archive.tar.gz/member``.

Ids
---
A given ``id`` wins (it must be URL-safe: letters, digits, ``_ - . ~``). Otherwise the id is a
readable ASCII prefix and a 12-hex-digit hash of the ``url``, or of the file path relative to the
ingest root (the folder named on the command line; for a file named directly, its name) plus the
line (jsonl) or item index (json). API records with neither id nor url hash their title and text.
Ids are unique within one call: a repeated id is an error for every later occurrence.

The code is split: :mod:`index.reader_files` opens files and zip archives (size cap, decoding,
unique ids), :mod:`index.reader_formats` holds the per-format parsers, :mod:`index.reader_records`
validates records into articles (also for the API), :mod:`index.reader_titles` derives titles and
summaries and :mod:`index.reader_decoding` turns bytes into text; this module walks the paths.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from .documents import Article
from .errors import InputError
from .reader_decoding import decode_bytes
from .reader_files import file_kind, read_file
from .reader_formats import HTML_SUFFIXES, SUPPORTED_SUFFIXES, TEXT_SUFFIXES, is_supported
from .reader_records import articles_from_records, parse_date
from .reader_titles import TITLE_CHARS, shorten

__all__ = [
    "HTML_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "TEXT_SUFFIXES",
    "TITLE_CHARS",
    "articles_from_records",
    "decode_bytes",
    "parse_date",
    "read_paths",
    "shorten",
]


def _walk(root: Path) -> Iterator[Path | InputError]:
    """Supported files under ``root``, sorted by relative path; hidden files and folders skipped."""
    found: list[tuple[tuple[str, ...], Path]] = []
    errors: list[InputError] = []

    def on_error(exc: OSError) -> None:
        errors.append(InputError(f"cannot read the folder: {exc.strerror or exc}", path=str(exc.filename or root)))

    for folder, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or not is_supported(name):
                continue
            file = Path(folder, name)
            found.append((file.relative_to(root).parts, file))
    yield from errors
    for _, file in sorted(found):
        yield file


def read_paths(
    paths: Sequence[str | Path], *, max_bytes: int, max_article_chars: int
) -> Iterator[Article | InputError]:
    """Articles from files and folders (recursively, in sorted order), or an InputError per bad input.

    In folders, files with other extensions (and hidden ones) are skipped silently; a file named
    directly with an unsupported extension is an error.
    """
    seen: dict[str, str] = {}
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            for entry in _walk(path):
                if isinstance(entry, InputError):
                    yield entry
                    continue
                rel = entry.relative_to(path).as_posix()
                yield from read_file(entry, rel, max_bytes, max_article_chars, seen)
        elif path.is_file():
            kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
            if not is_supported(path.name):
                yield InputError(f"unsupported file type {path.suffix!r}; expected one of {kinds}", path=str(path))
                continue
            found = False
            for item in read_file(path, path.name, max_bytes, max_article_chars, seen):
                found = True
                yield item
            if not found:  # a file without an extension that is not TREC-style
                reason = f"no extension and not TREC-style (<DOC>, <DOCNO>) text; expected one of {kinds}"
                yield InputError(reason, path=str(path))
        elif path.exists():
            kind = file_kind(path.stat().st_mode)
            yield InputError(f"{kind}, not a regular file or folder: only regular files are read", path=str(path))
        else:
            yield InputError("no such file or folder", path=str(path))
