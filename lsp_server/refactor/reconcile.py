"""Reconciling a chat answer with the document: the minimal edit of what actually changed.

Models rarely answer with exactly the selected lines. They repeat a few lines around them,
rewrite the whole enclosing function, echo the whole file, or abbreviate with
`# ... existing code ...`. Pasted over the selection, each of those duplicates or deletes
code. Here the answer is located in the document instead: markers are expanded, lines the
answer shares with the text around the selection are recognised as context (whitespace and
indentation do not matter) and kept as the document has them, and whatever remains replaces
the selection. An answer that still repeats or changes code outside the selection is
refused: refusing is always better than corrupting.
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass

from lsp_server.refactor import indentation
from lsp_server.refactor.fuzzy_lines import block_similarity, is_trivial, normal, words
from lsp_server.refactor.lazy_markers import Line, MarkerError, expand
from lsp_server.refactor.textops import (
    TextEdit,
    detect_eol,
    fit_to_selection,
    line_edits,
    split_lines,
)

_HEADER = re.compile(
    r"^\s*(?:@\w|(?:export\s+|pub(?:\([^)]*\))?\s+|public\s+|private\s+|protected\s+|static\s+|"
    r"async\s+|abstract\s+|final\s+|default\s+)*"
    r"(?:def|class|function|func|fn|impl|struct|interface|enum|trait|type|record|module)\b)"
)
#: An echoed context line this near the selection that the answer changed is refused.
NEAR_LINES = 3
#: A definition header repeated from this near the selection is an echo, not new code.
HEADER_REACH = 30


class Unreconcilable(Exception):
    """The answer cannot be fitted into the document with confidence; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Reconciled:
    new_text: str
    edits: list[TextEdit]


@dataclass(frozen=True)
class _Selection:
    first: int  # first selected line
    stop: int  # one past the last selected line
    prefix: str  # text of the first line before the selection
    suffix: str  # text of the last line after the selection

    @property
    def mid_line(self) -> bool:
        return bool(self.prefix.strip() or self.suffix.strip())


class _Document:
    def __init__(self, text: str) -> None:
        self.text = text
        self.raw = split_lines(text)
        self.lines = [line.rstrip("\r\n") for line in self.raw]
        self.norm = [normal(line) for line in self.lines]
        self.eol = detect_eol(text)
        self.starts = [0]
        for line in self.raw:
            self.starts.append(self.starts[-1] + len(line))

    def line_of(self, offset: int) -> int:
        return max(0, bisect.bisect_right(self.starts, offset) - 1)

    def selection(self, start: int, end: int) -> _Selection:
        first = self.line_of(start)
        prefix = self.lines[first][: start - self.starts[first]] if first < len(self.lines) else ""
        last = self.line_of(end)
        column = end - self.starts[last]
        if column == 0 and last > first:
            return _Selection(first, last, prefix, "")
        suffix = self.lines[last][column:] if last < len(self.lines) else ""
        return _Selection(first, min(last + 1, len(self.lines)), prefix, suffix)

    def replace(self, first: int, stop: int, new_lines: list[str]) -> Reconciled:
        """The document with lines [first, stop) replaced; unchanged lines keep their bytes."""
        old = self.lines[first:stop]
        kept: list[str] = []
        matcher = difflib.SequenceMatcher(
            None, [x.rstrip() for x in old], [x.rstrip() for x in new_lines], autojunk=False
        )
        eols = [self.raw[i][len(self.lines[i]) :] for i in range(first, stop)]
        last_eol = eols[-1] if eols else self.eol
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                kept.extend(self.raw[first + i] for i in range(i1, i2))
            else:
                kept.extend(line + self.eol for line in new_lines[j1:j2])
        if kept and not last_eol:
            kept[-1] = kept[-1].rstrip("\r\n")
        elif kept and not kept[-1].endswith(("\n", "\r")):
            kept[-1] += last_eol
        old_text = "".join(self.raw[first:stop])
        new_region = "".join(kept)
        base = self.starts[first]
        new_text = self.text[:base] + new_region + self.text[self.starts[stop] :]
        return Reconciled(new_text, line_edits(old_text, new_region, base=base))


def reconcile(text: str, start: int, end: int, code: str, reading: int = 0) -> Reconciled:
    """The document with the answer `code` fitted in place of text[start:end].

    Raises Unreconcilable when the answer cannot be located or changes code outside the
    selection. `reading` > 0 asks for the next most likely reading of which answer lines are
    context (when lines like `}` make it ambiguous); Unreconcilable when there is none.
    """
    doc = _Document(text)
    selection = doc.selection(start, end)
    answer = _trim_blank_edges(code.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    if not selection.mid_line:
        whole = _fit_lines(doc, selection.first, selection.stop, answer, reading)
        return doc.replace(selection.first, selection.stop, whole)
    lines: list[str] | None
    try:
        lines = _fit_lines(doc, selection.first, selection.stop, answer, reading)
    except Unreconcilable:
        lines = None
    if lines is not None and _keeps_line_edges(lines, selection):
        return doc.replace(selection.first, selection.stop, lines)
    if reading:
        raise Unreconcilable("no other reading of the answer")
    return _inside_lines(doc, start, end, selection, answer)


def _trim_blank_edges(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _keeps_line_edges(lines: list[str], selection: _Selection) -> bool:
    """In a selection inside a line, a whole-line answer must keep what was not selected."""
    joined = normal(" ".join(lines))
    head, tail = normal(selection.prefix), normal(selection.suffix)
    return joined.startswith(head) and joined.endswith(tail) and bool(head or tail)


def _inside_lines(
    doc: _Document, start: int, end: int, selection: _Selection, answer: list[str]
) -> Reconciled:
    """A selection within a line answered with the selected text alone."""
    outside = _outside_lines(doc, selection.first, selection.stop)
    _refuse_echo([Line(t) for t in answer], doc, selection.first, selection.stop, outside)
    original = doc.text[start:end]
    replacement = fit_to_selection(
        "\n".join(answer), original, bool(selection.prefix.strip()), doc.eol
    )
    if original.endswith(("\n", "\r")) and not replacement.endswith(("\n", "\r")):
        replacement += doc.eol
    new_text = doc.text[:start] + replacement + doc.text[end:]
    return Reconciled(new_text, line_edits(original, replacement, base=start))


def _fit_lines(
    doc: _Document, first: int, stop: int, answer: list[str], reading: int = 0
) -> list[str]:
    """The new text of lines [first, stop): the answer without its context, re-indented."""
    try:
        expanded = expand(answer, doc.lines, first, stop)
    except MarkerError as exc:
        raise Unreconcilable(f"the answer abbreviates code ({exc})") from exc
    readings = _context(doc, first, stop, expanded)
    if reading >= len(readings):
        raise Unreconcilable("no other reading of the answer")
    k, j = readings[reading]
    body = _blank_edges_like(expanded[k : len(expanded) - j], doc.lines[first:stop])
    outside = _outside_lines(doc, first, stop)
    _refuse_echo(body, doc, first, stop, outside)
    _refuse_changed_neighbours(body, doc, first, stop)
    pairs = _anchor_pairs(expanded[:k], doc, first, before=True)
    pairs += _anchor_pairs(expanded[len(expanded) - j :], doc, stop, before=False)
    runs: list[list[str]] = [[]]
    for line in expanded:
        if line.doc is None:
            runs[-1].append(line.text)
        elif runs[-1]:
            runs.append([])
    return _reindent(body, doc, first, stop, pairs, runs)


def _blank_edges_like(body: list[Line], selected: list[str]) -> list[Line]:
    """The body with as many blank lines at each end as the selection has: models drop and
    add them at the edges, and the file's spacing around the selection is not theirs to change."""
    lo, hi = 0, len(body)
    while lo < hi and not body[lo].text.strip():
        lo += 1
    while hi > lo and not body[hi - 1].text.strip():
        hi -= 1
    if lo == hi:
        return []
    lead = next((i for i, line in enumerate(selected) if line.strip()), len(selected))
    trail = next((i for i, line in enumerate(reversed(selected)) if line.strip()), 0)
    return [Line("")] * lead + body[lo:hi] + [Line("")] * trail


def _context(doc: _Document, first: int, stop: int, answer: list[Line]) -> list[tuple[int, int]]:
    """How many answer lines at each end repeat the lines before/after the selection, as
    readings from the most likely down (at most three).

    Blank lines are ignored in the comparison (models drop and add them). Context that cannot
    be the selection's own lines is always context; among the rest, the reading whose middle
    reads most like the selection comes first.
    """
    texts = [normal(line.text) for line in answer]
    before = [i for i in range(first - 1, -1, -1) if doc.norm[i]]
    after = [i for i in range(stop, len(doc.lines)) if doc.norm[i]]
    leading = [0, *_runs(texts, [doc.norm[i] for i in before])]
    trailing = [0, *_runs(texts[::-1], [doc.norm[i] for i in after])]
    selected = doc.lines[first:stop]
    head = [normal(line) for line in selected if line.strip()]
    keys: list[tuple[int, float, int, int, int]] = []
    for k in leading:
        for j in trailing:
            if k + j > len(answer):
                continue
            middle = [line.text for line in answer[k : len(answer) - j]]
            sure = _unambiguous(texts[:k], head) + _unambiguous(texts[::-1][:j], head[::-1])
            score = block_similarity(selected, middle)
            keys.append((sure, round(score, 6), k + j, k, j))
    keys.sort(reverse=True)
    return [(key[3], key[4]) for key in keys[:3]]


def _unambiguous(context: list[str], selected: list[str]) -> int:
    """How many context lines these are, when they cannot also be read as the selection's
    own first lines (a file may repeat a line just before it); 0 when they can."""
    kept = [t for t in context if t]
    if not kept or kept == selected[: len(kept)]:
        return 0
    return len(kept)


def _runs(texts: list[str], neighbours: list[str]) -> list[int]:
    """Every k such that the non-blank lines of texts[:k] are the nearest `neighbours`
    (given nearest first), in order."""
    found: list[int] = []
    if not neighbours:
        return found
    for k in range(1, len(texts) + 1):
        if not texts[k - 1] or texts[k - 1] != neighbours[0]:
            continue
        kept = [t for t in texts[:k] if t]
        if len(kept) > len(neighbours):
            break
        if all(kept[-1 - t] == neighbours[t] for t in range(len(kept))):
            found.append(k)
    return found


def _outside_lines(doc: _Document, first: int, stop: int) -> dict[str, list[int]]:
    selected = set(doc.norm[first:stop])
    where: dict[str, list[int]] = {}
    for index, text in enumerate(doc.norm):
        if (index < first or index >= stop) and text not in selected:
            where.setdefault(text, []).append(index)
    return where


def _refuse_echo(
    body: list[Line], doc: _Document, first: int, stop: int, outside: dict[str, list[int]]
) -> None:
    """Refuse an answer that still holds code from outside the selection: two consecutive
    lines of it, or a definition header from near the selection."""
    model = [
        (i, line.text) for i, line in enumerate(body) if line.doc is None and line.text.strip()
    ]
    previous: list[int] = []
    for _, text in model:
        hits = [] if is_trivial(text) else outside.get(normal(text), [])
        if _HEADER.match(text) and any(
            first - HEADER_REACH <= h < stop + HEADER_REACH for h in hits
        ):
            raise Unreconcilable(
                f"the answer repeats line {hits[0] + 1} ({text.strip()[:60]!r}), which is "
                "outside the selection"
            )
        if any(h - 1 in previous for h in hits):
            line = min(h for h in hits if h - 1 in previous)
            raise Unreconcilable(
                f"the answer repeats lines {line}–{line + 1} from outside the selection "
                "(and changes code around them)"
            )
        previous = hits


def _refuse_changed_neighbours(body: list[Line], doc: _Document, first: int, stop: int) -> None:
    """Refuse when the answer starts (ends) with a changed copy of the line just before
    (after) the selection: the model rewrote context it was not asked to touch."""
    model = [line.text for line in body if line.doc is None and line.text.strip()]
    if not model:
        return
    selected = [line for line in doc.lines[first:stop] if line.strip()]
    before = [i for i in range(first - 1, max(-1, first - 1 - NEAR_LINES), -1) if doc.norm[i]]
    after = [i for i in range(stop, min(len(doc.lines), stop + NEAR_LINES)) if doc.norm[i]]
    for text, neighbours in ((model[0], before), (model[-1], after)):
        if is_trivial(text):
            continue
        for index in neighbours:
            if _same_statement(text, doc.lines[index]) and not any(
                _same_statement(text, line) for line in selected
            ):
                raise Unreconcilable(
                    f"the answer changes line {index + 1} ({doc.lines[index].strip()[:60]!r}), "
                    "which is outside the selection"
                )


def _same_statement(a: str, b: str) -> bool:
    """Two lines that begin alike (`def total(` / `def total(`): versions of one statement."""
    wa, wb = words(a), words(b)
    return len(wa) >= 2 and len(wb) >= 2 and wa[:2] == wb[:2]


def _anchor_pairs(
    context: list[Line], doc: _Document, edge: int, before: bool
) -> list[tuple[str, str]]:
    """(answer line, document line) pairs of the context the model wrote out (non-blank
    lines correspond one to one, walking away from the selection)."""
    written = [line for line in context if line.text.strip()]
    if before:
        lines = [doc.lines[i] for i in range(edge - 1, -1, -1) if doc.norm[i]]
        written = written[::-1]
    else:
        lines = [doc.lines[i] for i in range(edge, len(doc.lines)) if doc.norm[i]]
    return [(a.text, d) for a, d in zip(written, lines, strict=False) if a.doc is None]


def _reindent(
    body: list[Line],
    doc: _Document,
    first: int,
    stop: int,
    pairs: list[tuple[str, str]],
    runs: list[list[str]],
) -> list[str]:
    """The body in the document's indentation: levels learned from lines known equal.

    `runs` are the lines the model wrote, in order, split where a marker was expanded (its
    indentation steps tell its unit).
    """
    model_lines = [line.text for line in body if line.doc is None]
    doc_style = indentation.style_of(doc.lines)
    selected = doc.lines[first:stop]
    known = list(pairs)
    wanted = {normal(line): line for line in selected if line.strip()}
    for line in body:
        if line.doc is None and normal(line.text) in wanted:
            known.append((line.text, wanted[normal(line.text)]))
    answer_style = indentation.answer_style(runs, doc_style, known)
    offset = indentation.offset_from(known, answer_style, doc_style)
    if offset is None:
        have = indentation.common_levels(model_lines, answer_style)
        want = indentation.common_levels(selected, doc_style)
        offset = (want or 0.0) - (have or 0.0)
    keep = {i for i, line in enumerate(body) if line.doc is not None}
    texts = [line.text for line in body]
    return [
        line.rstrip() for line in indentation.shift(texts, answer_style, doc_style, offset, keep)
    ]
