"""Recently edited and open files: the source of "similar code" snippets.

`touch` runs on every keystroke (didChange), so it only stores the text; the token windows
used for Jaccard similarity are computed lazily, once per text version, when a completion
actually asks for them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from .similar import Window, windows_of


@dataclass
class _Entry:
    text: str
    windows: list[Window] | None = field(default=None)


class RecentFiles:
    """Most-recently-touched files first, at most `capacity` of them."""

    def __init__(self, capacity: int = 20, max_chars: int = 400_000) -> None:
        self._capacity = capacity
        self._max_chars = max_chars
        self._entries: OrderedDict[Path, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def touch(self, path: Path | str, text: str) -> None:
        """Record the latest text of an opened or edited file (cheap: no tokenizing here)."""
        key = Path(path)
        if len(text) > self._max_chars:
            text = text[: self._max_chars]
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is None or entry.text != text:
                entry = _Entry(text)
            self._entries[key] = entry
            self._entries.move_to_end(key, last=False)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=True)

    def forget(self, path: Path | str) -> None:
        with self._lock:
            self._entries.pop(Path(path), None)

    def paths(self) -> list[Path]:
        """Most recent first."""
        with self._lock:
            return list(self._entries)

    def text(self, path: Path | str) -> str | None:
        with self._lock:
            entry = self._entries.get(Path(path))
            return entry.text if entry is not None else None

    def windows(self, path: Path) -> list[Window]:
        """Token windows of a file's latest text (computed once per version)."""
        with self._lock:
            entry = self._entries.get(path)
        if entry is None:
            return []
        if entry.windows is None:
            entry.windows = windows_of(entry.text)
        return entry.windows

    def __len__(self) -> int:
        return len(self._entries)
