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
``.zip``
    Read like a folder of the formats above (SaudiNewsNet ships as zips of JSON); members are
    named ``archive.zip/member`` in ids and errors.

Ids
---
A given ``id`` wins (it must be URL-safe: letters, digits, ``_ - . ~``). Otherwise the id is a
readable ASCII prefix and a 12-hex-digit hash of the ``url``, or of the file path relative to the
ingest root (the folder named on the command line; for a file named directly, its name) plus the
line (jsonl) or item index (json). API records with neither id nor url hash their title and text.
Ids are unique within one call: a repeated id is an error for every later occurrence.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .documents import Article, content_hash
from .errors import InputError
from .sentences import split_sentences

__all__ = [
    "HTML_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "TEXT_SUFFIXES",
    "articles_from_records",
    "decode_bytes",
    "parse_date",
    "read_paths",
    "shorten",
]

TEXT_SUFFIXES = frozenset({".txt", ".md"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | {".jsonl", ".json", ".zip"}

TITLE_CHARS = 120
"""Titles derived from the text are shortened to about this many characters."""
_HEAD_CHARS = 8000  # title and bullet summary are looked for in this much of the text

_SAFE_ID = re.compile(r"[\w~-][\w.~-]{0,199}")
_BULLET = re.compile(r"[-•]\s+")
_BULLET_SPLIT = re.compile(r"(?<=[.!?؟…])\s+[-•]\s+(?=\S)")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FM_KEY = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*)")
_LINE_END = re.compile(r"\r\n?|\n")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_LEADING_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[T\s])")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class _Bad(Exception):
    """Internal: a reason to reject the input, turned into an InputError by the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- decoding


def _looks_arabic(text: str) -> bool:
    """True for real Arabic text (as cp1256 would decode it), not Cyrillic or Latin mojibake."""
    letters = sum(1 for c in text if c.isalpha())
    arabic = sum(1 for c in text if "\u0600" <= c <= "\u06ff" and c.isalpha())
    if not arabic or arabic < 0.5 * letters:
        return False
    # cp1256 keeps a few French letters (à â ç è é …); Greek or Cyrillic mojibake is full of them.
    accented = sum(1 for c in text if "\u00c0" <= c <= "\u00ff" and c.isalpha())
    if accented > 0.02 * letters + 2:
        return False
    # Alef and lam are about a fifth of all letters in Arabic prose; mojibake rarely has them.
    return text.count("ا") + text.count("ل") >= 0.1 * arabic


def _clean(text: str) -> str:
    """Line ends → ``\\n``, NFC, a stray leading BOM removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):  # the check is much faster than normalising
        text = unicodedata.normalize("NFC", text)
    return text.removeprefix("\ufeff")


def _control_ratio(text: str) -> float:
    """Share of characters that do not occur in text: C0 controls (bar tab/newline/FF/VT), DEL, U+FFFD."""
    return len(_CONTROL.findall(text)) / max(1, len(text))


def decode_bytes(data: bytes, *, clean: bool = True) -> str:
    """Decode a file's bytes to clean text; raises ``ValueError`` with a plain reason.

    ``clean=False`` skips line-end and NFC normalisation (JSON readers clean each string instead).

    Tries a BOM (UTF-8, UTF-16, UTF-32), then UTF-8, then Windows-1256 (Arabic) when it decodes
    cleanly and reads as Arabic. NUL bytes or mostly control characters mean binary data.
    """
    if not data:
        raise ValueError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise ValueError(f"not valid {encoding.upper()} text, though it starts with a {encoding} BOM") from None
            break
    else:
        if b"\x00" in data:
            raise ValueError("binary file (contains NUL bytes), not text; UTF-16 text needs a byte-order mark")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            try:
                text = data.decode("cp1256")
            except UnicodeDecodeError:
                text = ""
            if not text or not _looks_arabic(text):
                raise ValueError(
                    f"not UTF-8 text (invalid byte at offset {exc.start}), nor Arabic Windows-1256"
                ) from None
    text = _clean(text) if clean else text.removeprefix("\ufeff")
    if "\x00" in text or _control_ratio(text) > 0.05:
        raise ValueError("binary data (mostly control characters), not text")
    return text


# --------------------------------------------------------------------------- small helpers


def parse_date(value: Any) -> date | None:
    """Lenient date: ISO date or datetime (``2015-07-21``, ``2015-07-21 10:00:00``, ``…T10:00Z``),
    ``2015/07/21``, RFC 2822 (``Tue, 21 Jul 2015 10:00:00 +0000``); ``None``/``""`` → ``None``.
    Raises ``ValueError`` for anything else."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"date must be a string like 2015-07-21, not {type(value).__name__}")
    text = value.strip()
    if not text:
        return None
    match = _LEADING_DATE.match(text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"unreadable date {value!r} (expected e.g. 2015-07-21)") from None


def _slug(text: str, limit: int = 40) -> str:
    """ASCII, lowercase, hyphenated; '' when nothing ASCII is left (e.g. an Arabic name)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > limit:
        cut = slug[:limit]
        slug = (cut.rsplit("-", 1)[0] if "-" in cut else cut).strip("-")
    return slug


def _make_id(prefix: str, *key: str) -> str:
    digest = content_hash(*key, length=12)
    return f"{prefix}-{digest}" if prefix else digest


def _url_id(url: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    return _make_id(_slug(f"{host} {parts.path}"), "url", url)


def shorten(text: str, limit: int = TITLE_CHARS) -> str:
    """One line of at most about ``limit`` characters, cut at a clause or word boundary."""
    text = " ".join(text.split())
    if len(text) > limit:
        head = text[: limit + 1]
        clause = max(head.rfind(mark) for mark in "،,؛;:")
        space = head.rfind(" ")
        cut = clause if clause >= limit // 2 else space if space > 0 else limit
        text = head[:cut].rstrip(" ،,؛;:-") + "…"
    return text.rstrip(" .،,؛;:")


def _first_sentence(text: str) -> str:
    spans = split_sentences(text)
    return text[spans[0].start : spans[0].end] if spans else ""


def _bullet_items(block: str) -> list[str]:
    items: list[str] = []
    for line in block.split("\n"):
        line = _BULLET.sub("", line.strip(), count=1)
        items.extend(item.strip() for item in _BULLET_SPLIT.split(line) if item.strip())
    return items


def _title_and_summary(text: str) -> tuple[str, str]:
    """Title from the first line, or (after a bullet summary) from the body's first sentence."""
    lines = text.split("\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        return "", ""
    if not _BULLET.match(lines[i].lstrip()):
        return shorten(lines[i].strip().lstrip("#").strip()), ""
    j = i
    while j < len(lines) and lines[j].strip() and _BULLET.match(lines[j].lstrip()):
        j += 1
    items = _bullet_items("\n".join(lines[i:j]))
    body = "\n".join(lines[j:])
    sentence = _first_sentence(body) or (items[0] if items else "")
    return shorten(sentence), "\n".join(items)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split ``--- key: value ---`` front matter off ``text``; ``({}, text)`` when there is none."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group(1).split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t-":
            continue  # continuation of a multi-line value: not ours to interpret
        kv = _FM_KEY.fullmatch(line.rstrip())
        if not kv:
            return {}, text  # not front matter after all (e.g. a horizontal rule)
        value = kv.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        meta[kv.group(1).lower()] = value
    if not meta:
        return {}, text
    return meta, text[match.end() :]


# --------------------------------------------------------------------------- building articles


def _check_id(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Bad(f"field 'id' must be a string or an integer, not {type(value).__name__}")
    ident = str(value).strip()
    if not _SAFE_ID.fullmatch(ident):
        raise _Bad(
            f"id {ident[:60]!r} is not URL-safe (use letters, digits, '_', '-', '.', '~'; not starting with '.')"
        )
    return ident


def _opt_str(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, list) and key == "summary" and all(isinstance(v, str) for v in value):
        return _clean("\n".join(v.strip() for v in value)).strip()
    if not isinstance(value, str):
        raise _Bad(f"field '{key}' must be a string, not {type(value).__name__}")
    return _clean(value).strip()


def _build(
    *,
    text: str,
    max_chars: int | None,
    given_id: str | None,
    url: str,
    fallback_id: tuple[str, tuple[str, ...]],
    title: str = "",
    summary: str = "",
    date_value: Any = None,
    source: str = "",
    path: str = "",
) -> Article:
    text = text.strip()
    if not text:
        raise _Bad("empty text")
    if max_chars is not None and len(text) > max_chars:
        raise _Bad(f"article text is {len(text):,} characters, over the {max_chars:,}-character limit")
    try:
        when = parse_date(date_value)
    except ValueError as exc:
        raise _Bad(str(exc)) from None
    if not title or not summary:
        derived_title, derived_summary = _title_and_summary(text[:_HEAD_CHARS])
        title = title or derived_title
        summary = summary or derived_summary
    if given_id is not None:
        ident = given_id
    elif url:
        ident = _url_id(url)
    else:
        ident = _make_id(fallback_id[0], *fallback_id[1])
    return Article(
        id=ident,
        title=title,
        text=text,
        date=when,
        source=source,
        url=url,
        summary=summary,
        path=path,
    )


def _from_record(record: Any, *, max_chars: int | None, fallback_id: tuple[str, tuple[str, ...]], path: str) -> Article:
    if not isinstance(record, dict):
        raise _Bad(f"expected a JSON object, got {type(record).__name__}")
    if "text" in record and record["text"] is not None:
        key = "text"
    elif "content" in record and record["content"] is not None:
        key = "content"
    else:
        raise _Bad("no 'text' or 'content' field")
    raw = record[key]
    if not isinstance(raw, str):
        raise _Bad(f"field '{key}' must be a string, not {type(raw).__name__}")
    text = _clean(raw)
    if not text.strip():
        raise _Bad(f"empty '{key}' field")
    date_value = next((record[k] for k in ("date", "date_extracted", "published") if record.get(k)), None)
    return _build(
        text=text,
        max_chars=max_chars,
        given_id=_check_id(record.get("id")),
        url=_opt_str(record, "url"),
        fallback_id=fallback_id,
        title=" ".join(_opt_str(record, "title").split()),
        summary=_opt_str(record, "summary"),
        date_value=date_value,
        source=_opt_str(record, "source"),
        path=path,
    )


# --------------------------------------------------------------------------- per-format readers

# An article or a reason to reject, the line it came from (jsonl, JSON syntax errors) and a label
# naming the record inside the file ("articles[3]", "[3]") or "".
_Item = tuple[Article | _Bad, int | None, str]


def _read_text(text: str, rel: str, path: str, max_chars: int) -> Iterator[_Item]:
    meta, body = _front_matter(text)
    if meta and not body.strip():
        yield _Bad("no text after the front matter"), None, ""
        return
    try:
        yield (
            _build(
                text=body,
                max_chars=max_chars,
                given_id=_check_id(meta.get("id")),
                url=meta.get("url", ""),
                fallback_id=(_slug(Path(rel).stem), ("path", rel)),
                title=" ".join(meta.get("title", "").split()),
                summary=meta.get("summary", ""),
                date_value=meta.get("date"),
                source=meta.get("source", ""),
                path=path,
            ),
            None,
            "",
        )
    except _Bad as bad:
        yield bad, None, ""


def _read_jsonl(text: str, rel: str, path: str, max_chars: int) -> Iterator[_Item]:
    stem = _slug(Path(rel).stem, 30)
    for number, line in enumerate(_LINE_END.split(text), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _Bad(f"invalid JSON: {exc.msg} (column {exc.colno})"), number, ""
            continue
        fallback = (f"{stem}-{number}".strip("-"), ("path", rel, str(number)))
        try:
            yield _from_record(record, max_chars=max_chars, fallback_id=fallback, path=path), number, ""
        except _Bad as bad:
            yield bad, number, ""


def _read_json(text: str, rel: str, path: str, max_chars: int) -> Iterator[_Item]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield _Bad(f"invalid JSON: {exc.msg} (column {exc.colno})"), exc.lineno, ""
        return
    stem = _slug(Path(rel).stem, 30)
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        records: list[Any] = data["articles"]
        label = "articles"
    elif isinstance(data, list):
        records, label = data, ""
    elif isinstance(data, dict) and ("text" in data or "content" in data):
        try:
            yield _from_record(data, max_chars=max_chars, fallback_id=(stem, ("path", rel)), path=path), None, ""
        except _Bad as bad:
            yield bad, None, ""
        return
    else:
        yield _Bad('expected a list of articles, {"articles": [...]}, or one article object'), None, ""
        return
    if not records:
        yield _Bad("no articles in the file (empty list)"), None, ""
    for index, record in enumerate(records):
        fallback = (f"{stem}-{index}".strip("-"), ("path", rel, str(index)))
        try:
            yield _from_record(record, max_chars=max_chars, fallback_id=fallback, path=path), None, f"{label}[{index}]"
        except _Bad as bad:
            yield bad, None, f"{label}[{index}]"


def _extract_html(text: str) -> Any:
    """trafilatura's extraction with its logging and warnings kept out of the caller's output."""
    import trafilatura

    logger = logging.getLogger("trafilatura")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return trafilatura.bare_extraction(text, with_metadata=True, include_comments=False)
    finally:
        logger.setLevel(level)


def _read_html(text: str, rel: str, path: str, max_chars: int) -> Iterator[_Item]:
    try:
        doc = _extract_html(text)
    except Exception as exc:  # a parser failure on one page must not stop the run
        yield _Bad(f"could not parse HTML: {exc}"), None, ""
        return
    body = _clean(getattr(doc, "text", None) or "") if doc is not None else ""
    if not body.strip():
        yield _Bad("no main text found in the HTML"), None, ""
        return
    try:
        when = parse_date(getattr(doc, "date", None))
    except ValueError:
        when = None  # an extracted date we cannot read is not the file's fault
    try:
        yield (
            _build(
                text=body,
                max_chars=max_chars,
                given_id=None,
                url=str(getattr(doc, "url", None) or ""),
                fallback_id=(_slug(Path(rel).stem), ("path", rel)),
                title=_clean(str(getattr(doc, "title", None) or "")).strip(),
                date_value=when,
                source=str(getattr(doc, "sitename", None) or ""),
                path=path,
            ),
            None,
            "",
        )
    except _Bad as bad:
        yield bad, None, ""


_READERS = {
    ".txt": _read_text,
    ".md": _read_text,
    ".jsonl": _read_jsonl,
    ".json": _read_json,
    ".html": _read_html,
    ".htm": _read_html,
}


def _read_file(
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
    reader = _READERS[suffix]
    for item, line, label in reader(text, rel, path, max_chars):
        prefix = f"{label}: " if label else ""
        if isinstance(item, _Bad):
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
            if suffix not in _READERS:
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
            kinds = ", ".join(sorted(_READERS))
            yield InputError(f"no readable files in the archive (expected {kinds})", path=path)


def _walk(root: Path) -> Iterator[Path | InputError]:
    """Supported files under ``root``, sorted by relative path; hidden files and folders skipped."""
    found: list[tuple[tuple[str, ...], Path]] = []
    errors: list[InputError] = []

    def on_error(exc: OSError) -> None:
        errors.append(InputError(f"cannot read the folder: {exc.strerror or exc}", path=str(exc.filename or root)))

    for folder, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
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
                yield from _read_file(entry, rel, max_bytes, max_article_chars, seen)
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
                yield InputError(
                    f"unsupported file type {path.suffix or '(none)'!r}; expected one of {kinds}", path=str(path)
                )
                continue
            yield from _read_file(path, path.name, max_bytes, max_article_chars, seen)
        elif path.exists():
            yield InputError("not a regular file or folder", path=str(path))
        else:
            yield InputError("no such file or folder", path=str(path))


def articles_from_records(
    records: Iterable[dict[str, Any]], *, origin: str, max_article_chars: int | None = None
) -> Iterator[Article | InputError]:
    """The same validation for JSON objects (e.g. from the HTTP API); errors name ``origin`` and the index.

    Ids: ``id`` if given, else derived from ``url``, else from the title and text (so sending the
    same article twice gives the same id).
    """
    seen: dict[str, str] = {}
    prefix = _slug(origin, 20)
    for index, record in enumerate(records):
        try:
            title = record.get("title") if isinstance(record, dict) else None
            text = record.get("text", record.get("content")) if isinstance(record, dict) else None
            key = ("record", str(title or ""), str(text or ""))
            article = _from_record(record, max_chars=max_article_chars, fallback_id=(prefix, key), path="")
        except _Bad as bad:
            yield InputError(f"[{index}]: {bad.reason}", path=origin, index=index, detail=bad.reason)
            continue
        if article.id in seen:
            detail = f"duplicate id {article.id!r} (first seen at {seen[article.id]})"
            yield InputError(f"[{index}]: {detail}", path=origin, index=index, detail=detail)
            continue
        seen[article.id] = f"[{index}]"
        yield article
