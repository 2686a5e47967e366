"""Lazy markers: `# ... existing code ...`, `// ... rest unchanged`, `/* ... */`.

A model that abbreviates the code it did not change writes a comment in its place. Pasted as
is, the comment deletes what it stands for; here each one is replaced by the document lines
between the answer lines around it, or the answer is refused when those cannot be found.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from lsp_server.refactor.fuzzy_lines import is_trivial, normal, similarity

_COMMENT = re.compile(
    r"^\s*(?:#|//|--|;|%|/\*+|<!--|\{/\*)\s*(?P<body>.*?)\s*(?:\*+/|-->|\*/\})?\s*$"
)
_DOTS = re.compile(r"\.{3,}|…")
_WORDS = re.compile(
    r"\b(existing|unchanged|rest of|remaining|same as|as before|omitted|original|"
    r"other (?:code|methods|fields|cases|functions|lines)|no changes|keep|previous)\b",
    re.IGNORECASE,
)
#: How alike a changed line must be to the document line it replaces to anchor a marker.
FUZZY_ANCHOR = 0.6


class MarkerError(Exception):
    """A marker whose lines cannot be told apart with confidence."""


@dataclass
class Line:
    """An answer line; `doc` is the document line it is a verbatim copy of (expanded)."""

    text: str
    doc: int | None = None


def is_marker(line: str, region: set[str]) -> bool:
    """Whether a line stands for omitted code rather than being code itself."""
    stripped = line.strip()
    if stripped in ("...", "…", "// ...", "# ...") and normal(line) not in region:
        return True
    match = _COMMENT.match(line)
    if match is None:
        return False
    body = match.group("body")
    if _DOTS.search(body):
        rest = _DOTS.sub("", body).strip(" .,:;()[]-*")
        return not rest or bool(_WORDS.search(body))
    return bool(_WORDS.search(body)) and bool(
        re.search(r"\b(code|unchanged|rest|remaining|omitted|same)\b", body, re.I)
    )


class _Finder:
    """Where a normalised line occurs in the document, fast."""

    def __init__(self, doc: list[str]) -> None:
        self.doc = doc
        self.norm = [normal(line) for line in doc]
        self.where: dict[str, list[int]] = {}
        for index, text in enumerate(self.norm):
            self.where.setdefault(text, []).append(index)

    def exact_after(self, text: str, pos: int) -> int | None:
        found = self.where.get(normal(text), [])
        at = bisect.bisect_left(found, pos)
        return found[at] if at < len(found) else None

    def nearest(self, text: str, lo: int, hi: int) -> int | None:
        found = self.where.get(normal(text), [])
        if not found:
            return None
        return min(found, key=lambda i: 0 if lo <= i < hi else min(abs(i - lo), abs(i - hi)))

    def fuzzy_after(self, text: str, pos: int, limit: int) -> int | None:
        best, best_score = None, FUZZY_ANCHOR
        for index in range(pos, min(len(self.doc), limit)):
            if not self.norm[index]:
                continue
            score = similarity(text, self.doc[index])
            if score > best_score:
                best, best_score = index, score
        return best


def expand(answer: list[str], doc: list[str], start: int, end: int) -> list[Line]:
    """The answer with every marker replaced by the document lines it stands for.

    `doc` is the document's lines, [start, end) the selected ones. Answer lines are anchored
    in order: the first one nearest the selection, each next one after the previous anchor.
    """
    region = {normal(line) for line in doc[start:end]}
    markers = [i for i, line in enumerate(answer) if is_marker(line, region)]
    if not markers:
        return [Line(text) for text in answer]
    finder = _Finder(doc)
    out: list[Line] = []
    pos: int | None = None  # the document line after the last anchored answer line
    guessed = False  # whether that anchor was a changed line matched by likeness
    for index, text in enumerate(answer):
        if index in markers:
            nxt, next_guessed = _next_anchor(answer, index, markers, finder, pos, start, end)
            lo = pos if pos is not None else min(start, nxt if nxt is not None else start)
            hi = nxt if nxt is not None else max(end, lo)
            if hi < lo:
                raise MarkerError(f"cannot tell which lines {text.strip()!r} stands for")
            if (guessed or next_guessed) and lo < end and hi > start:
                lo, hi = _outside_selection(text, lo, hi, start, end, next_guessed)
            out.extend(Line(doc[i], i) for i in range(lo, hi))
            pos, guessed = hi, False
            continue
        if not text.strip():
            out.append(Line(text))
            continue
        if pos is None:
            found = finder.nearest(text, start, end)
        else:
            found = finder.exact_after(text, pos)
            if found is not None and found > max(end, pos) + 200:
                found = None
        guessed = found is None or is_trivial(text)
        if found is None:
            found = finder.fuzzy_after(text, pos if pos is not None else start, end + 1)
        if found is not None:
            pos = found + 1
        out.append(Line(text))
    return out


def _outside_selection(
    marker: str, lo: int, hi: int, start: int, end: int, before_guess: bool
) -> tuple[int, int]:
    """A marker next to a changed line may or may not stand for selected lines. It is read
    as standing only for the unselected ones when that reading is the natural one (the
    marker comes before the selection, or speaks of the file); otherwise it is refused."""
    if before_guess and lo < start:
        return lo, start
    if re.search(r"\b(file|module|class|other)\b", marker, re.I) or (not before_guess and hi > end):
        return max(lo, end), max(hi, end)
    raise MarkerError(f"cannot tell whether {marker.strip()!r} stands for selected lines")


def _next_anchor(
    answer: list[str],
    index: int,
    markers: list[int],
    finder: _Finder,
    pos: int | None,
    start: int,
    end: int,
) -> tuple[int | None, bool]:
    """The document line of the first real answer line after the marker (None: the marker
    ends the answer and stands for the rest of the selection), and whether it was found by
    likeness (a changed line) rather than equality."""
    for later in range(index + 1, len(answer)):
        text = answer[later]
        if later in markers:
            raise MarkerError("two markers in a row stand for nothing certain")
        if not text.strip():
            continue
        lo = pos if pos is not None else 0
        found = (
            finder.exact_after(text, lo) if pos is not None else finder.nearest(text, start, end)
        )
        if found is not None and (pos is None or found >= pos):
            return found, is_trivial(text)
        if is_trivial(text):
            continue  # a new `}` or `/**` says nothing about where the marker ends
        found = finder.fuzzy_after(text, lo if pos is not None else start, end + 1)
        if found is not None:
            return found, True
    if any(answer[later].strip() for later in range(index + 1, len(answer))):
        raise MarkerError(
            f"cannot find where the code after {answer[index].strip()!r} is in the file"
        )
    return None, False
