"""Comparing code lines the way a reader does: whitespace and indentation do not count.

Models re-indent, re-wrap spaces and drop trailing blanks when they copy lines from a file;
anchoring an answer in the document needs an equality that shrugs those off.
"""

from __future__ import annotations

import difflib
import re

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def normal(line: str) -> str:
    """The line with indentation, line break and runs of blanks removed or collapsed."""
    return _SPACE.sub(" ", line.strip())


def words(line: str) -> list[str]:
    return _WORD.findall(line)


def similarity(a: str, b: str) -> float:
    """How alike two lines read, 0..1 (blanks collapsed first)."""
    return difflib.SequenceMatcher(None, normal(a), normal(b), autojunk=False).ratio()


def is_trivial(line: str) -> bool:
    """Lines that occur everywhere (`}`, `end`, `else:`, blank): no evidence of an echo."""
    text = normal(line)
    return len(text) < 6 or not _WORD.search(text)


def block_similarity(a: list[str], b: list[str]) -> float:
    """How alike two runs of lines are: line matches, plus a bag-of-characters tie-breaker."""
    na = [normal(x) for x in a if x.strip()]
    nb = [normal(x) for x in b if x.strip()]
    if not na and not nb:
        return 2.0
    lines = difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio()
    chars = difflib.SequenceMatcher(None, " ".join(na), " ".join(nb), autojunk=False)
    return lines + chars.quick_ratio()
