"""Text hygiene at the door: the one check every piece of outside text passes.

Files, JSON records (from disk or the HTTP API) and questions all come through here before anything
downstream (hashing, chunking, chromadb, tantivy, the terminal) sees them. Python strings can hold
what UTF-8 cannot encode: a lone surrogate (``"\\ud800"`` is valid JSON) makes ``str.encode`` raise
deep inside the index. Noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF, …) are not text either. Such
input is refused with a reason, per record, so a bad record never takes its neighbours with it.
"""

from __future__ import annotations

import re

_PLANE_ENDS = "".join(chr(plane << 16 | end) for plane in range(17) for end in (0xFFFE, 0xFFFF))
_BAD = re.compile(f"[\ud800-\udfff\ufdd0-\ufdef{_PLANE_ENDS}]")


def text_problem(text: str) -> str | None:
    """Why ``text`` is not valid Unicode text (a lone surrogate, a noncharacter), or None if it is."""
    match = _BAD.search(text)
    if match is None:
        return None
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"holds a lone surrogate U+{code:04X} at character {match.start()} (not valid Unicode)"
    return f"holds the noncharacter U+{code:04X} at character {match.start()} (not text)"


def check_text(text: str, what: str) -> str:
    """``text`` unchanged, or ``ValueError("<what> holds …")`` when it is not valid Unicode text."""
    problem = text_problem(text)
    if problem is not None:
        raise ValueError(f"{what} {problem}")
    return text
