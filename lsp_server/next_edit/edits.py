"""From the model's rewritten window to the edits it implies: minimal, ordered, in offsets."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """The lines of the document shown to the model: `text[start:end]`, whole lines."""

    start: int
    end: int
    cursor: int  # offset of the cursor inside the document


@dataclass(frozen=True)
class Edit:
    """Replace `text[start:end]` of the document with `new_text`."""

    start: int
    end: int
    new_text: str

    def apply(self, text: str) -> str:
        return text[: self.start] + self.new_text + text[self.end :]


def window_around(text: str, cursor: int, before: int = 20, after: int = 30) -> Window:
    """Whole lines around the cursor: more after it, where next edits tend to be."""
    line = text.count("\n", 0, cursor)
    starts = [0]
    pos = text.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    first = max(0, line - before)
    last = min(len(starts), line + after + 1)
    end = starts[last] if last < len(starts) else len(text)
    return Window(starts[first], end, cursor)


def derive_edits(text: str, window: Window, rewritten: str) -> list[Edit]:
    """Edits turning the window into `rewritten`, each trimmed to the characters that change."""
    old = text[window.start : window.end]
    # Models drop or add newlines at the end of a block: those are never the edit.
    rewritten = rewritten.rstrip("\n") + old[len(old.rstrip("\n")) :]
    old_lines = old.splitlines(keepends=True)
    new_lines = rewritten.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    offsets = [window.start]
    for line in old_lines:
        offsets.append(offsets[-1] + len(line))
    edits: list[Edit] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            pairs = [
                (i, i + 1, j, j + 1) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
        else:  # line by line where lines correspond, else the hunk as one edit
            pairs = [(i1, i2, j1, j2)]
        for a1, a2, b1, b2 in pairs:
            start, end = offsets[a1], offsets[a2]
            edit = _trim(text[start:end], "".join(new_lines[b1:b2]), start)
            if edit is not None:
                edits.append(edit)
    return edits


def _trim(old: str, new: str, at: int) -> Edit | None:
    """The smallest replacement of `old` (at offset `at`) by `new`, widened to whole words so
    that a rename reads as `width` → `w` rather than as a deletion of `idth`."""
    if old == new:
        return None
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1

    def inside_word(i_old: int, i_new: int) -> bool:
        return _word(old, i_old) or _word(new, i_new)

    while prefix > 0 and _word(old, prefix - 1) and inside_word(prefix, prefix):
        prefix -= 1
    while (
        suffix > 0
        and _word(old, len(old) - suffix)
        and inside_word(len(old) - suffix - 1, len(new) - suffix - 1)
    ):
        suffix -= 1
    return Edit(at + prefix, at + len(old) - suffix, new[prefix : len(new) - suffix])


def _word(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] == "_")


def order_from_cursor(edits: list[Edit], cursor: int) -> list[Edit]:
    """The edit to propose first is the nearest one after the cursor, then the ones before."""
    after = [e for e in edits if e.end >= cursor]
    before = [e for e in edits if e.end < cursor]
    return sorted(after, key=lambda e: e.start) + sorted(before, key=lambda e: -e.start)
