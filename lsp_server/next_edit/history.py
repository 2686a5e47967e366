"""Per-document edit history: the few recent steps that explain what the user is doing.

Keystrokes are coalesced into steps (typing a word, renaming a name) so the model sees
intentions rather than characters. Held in memory only, bounded, and dropped on close.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Edits closer together in time than this, and touching the same text, form one step.
COALESCE_S = 2.0
#: Steps kept per document: older ones rarely say anything about the next edit.
MAX_STEPS = 8
#: A step larger than this (pasting a file) is kept as a marker, without its text.
MAX_STEP_CHARS = 4000


@dataclass(frozen=True)
class Change:
    """One replacement between two texts: `removed` at `start` became `inserted`."""

    start: int
    removed: str
    inserted: str

    @property
    def end_after(self) -> int:
        """Where the inserted text ends in the newer text."""
        return self.start + len(self.inserted)


@dataclass(frozen=True)
class Step:
    """A coalesced edit; `before`/`after` are the whole lines it touched, from `line` (0-based)."""

    change: Change
    line: int
    before: str
    after: str
    time: float


def diff_texts(old: str, new: str) -> Change | None:
    """The single replacement turning `old` into `new` (common prefix and suffix trimmed)."""
    if old == new:
        return None
    limit = min(len(old), len(new))
    prefix = _common_prefix(old, new, limit)
    suffix = _common_suffix(old, new, limit - prefix)
    return Change(prefix, old[prefix : len(old) - suffix], new[prefix : len(new) - suffix])


_CHUNK = 4096


def _common_prefix(old: str, new: str, limit: int) -> int:
    """Chunks compared in C first, characters only in the chunk that differs: a keystroke in
    a 20 MB document costs milliseconds, not seconds."""
    start = 0
    while start + _CHUNK <= limit and old[start : start + _CHUNK] == new[start : start + _CHUNK]:
        start += _CHUNK
    while start < limit and old[start] == new[start]:
        start += 1
    return start


def _common_suffix(old: str, new: str, limit: int) -> int:
    """Like `_common_prefix`, from the ends, never more than `limit` characters."""
    n, m = len(old), len(new)
    size = 0
    while (
        size + _CHUNK <= limit
        and old[n - size - _CHUNK : n - size] == new[m - size - _CHUNK : m - size]
    ):
        size += _CHUNK
    while size < limit and old[n - 1 - size] == new[m - 1 - size]:
        size += 1
    return size


def _step(change: Change, text: str, now: float) -> Step:
    """Describe `change` (offsets into the newer `text`) by the full lines it touched."""
    line_start = text.rfind("\n", 0, change.start) + 1
    line_end = text.find("\n", change.end_after)
    line_end = len(text) if line_end < 0 else line_end
    head, tail = text[line_start : change.start], text[change.end_after : line_end]
    before = head + change.removed + tail
    after = head + change.inserted + tail
    return Step(change, text.count("\n", 0, line_start), before, after, now)


def _merge(last: Change, new: Change) -> Change | None:
    """`new` folded into `last` when it edits inside or at the edge of what `last` inserted."""
    if not (last.start <= new.start and new.start + len(new.removed) <= last.end_after):
        if new.start + len(new.removed) == last.start:  # deleting backwards into the step
            return Change(new.start, new.removed + last.removed, new.inserted + last.inserted)
        return None
    offset = new.start - last.start
    inserted = last.inserted[:offset] + new.inserted + last.inserted[offset + len(new.removed) :]
    return Change(last.start, last.removed, inserted)


class EditHistory:
    """The recent steps of one document, newest last."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.steps: list[Step] = []

    def record(self, new_text: str, now: float) -> Step | None:
        """Note that the document became `new_text`; returns the step it is now part of."""
        change = diff_texts(self.text, new_text)
        self.text = new_text
        if change is None:
            return None
        last = self.steps[-1] if self.steps else None
        if last is not None and now - last.time <= COALESCE_S:
            merged = _merge(last.change, change)
            if merged is not None:
                self.steps.pop()
                if merged.removed == merged.inserted:
                    return None  # typed and taken back: nothing happened
                change = merged
        if len(change.removed) + len(change.inserted) > MAX_STEP_CHARS:
            change = Change(change.start, "", "")  # too large to describe; keep its place
        step = _step(change, new_text, now)
        self.steps.append(step)
        del self.steps[:-MAX_STEPS]
        return step

    @property
    def last(self) -> Step | None:
        return self.steps[-1] if self.steps else None

    def before_last(self) -> str | None:
        """The text as it was before the last step (None: no step, or too large to know)."""
        last = self.last
        if last is None or (not last.change.removed and not last.change.inserted):
            return None
        c = last.change
        return self.text[: c.start] + c.removed + self.text[c.end_after :]
