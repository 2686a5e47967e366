"""The definitions table held in memory as well, for the lookups a context assembly makes.

A cold assembly on the standard library reads ~450 definition rows in ~30 queries, and
SQLite spends most of that time making each row's twelve values into Python objects again:
about 1 ms of a 9-10 ms assembly. Here every row is made once, when the index is built
(~0.1 s and ~12 MB for the standard library's 26,000), and a lookup returns the same
tuples. Answers come in the order the SQL queries give them (by name: part, then rowid; by
file: rowid), so a caller cannot tell the two apart.

Held only up to `MAX_ROWS` definitions (~450 bytes each); a larger repository is asked
through SQL alone. Updates replace whole tuples (never mutate one in place): a lookup on
another thread sees the old answer or the new one for each name or file.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Collection, Iterable
from sys import intern
from typing import Any

from .model import Definition, definition_from_row

#: Definitions held in memory at most (~70 MB; the standard library has 26,000).
MAX_ROWS = 150_000

#: (rowid, part code, definition)
Row = tuple[int, int, Definition]
_NO_ROWS: tuple[Row, ...] = ()


def _entry(row: tuple[Any, ...]) -> Row:
    """A row made a definition whose repeated strings (name, kind, path, container) are
    shared with every other row's: a third less memory."""
    name, kind, path, *rest = row[2:]
    container = rest[4]
    if container is not None:
        rest[4] = intern(container)
    return row[0], row[1], definition_from_row((intern(name), intern(kind), intern(path), *rest))


def _by_part_then_rowid(row: Row) -> tuple[int, int]:
    return row[1], row[0]


class DefsInMemory:
    """Every stored definition by file (rowid order) and by name (part, then rowid)."""

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """`rows`: (rowid, part code, the twelve `DEF_COLUMNS`), in rowid order."""
        by_path: dict[str, list[Row]] = {}
        by_name: dict[str, list[Row]] = {}
        for row in rows:
            entry = _entry(row)
            by_path.setdefault(entry[2].path, []).append(entry)
            by_name.setdefault(entry[2].name, []).append(entry)
        self._by_path = {path: tuple(found) for path, found in by_path.items()}
        self._by_name = {
            name: tuple(found if len(found) == 1 else sorted(found, key=_by_part_then_rowid))
            for name, found in by_name.items()
        }
        self._write_lock = threading.Lock()

    @classmethod
    def read(cls, rows: Callable[[], Iterable[tuple[Any, ...]]]) -> DefsInMemory:
        """Made from what `rows()` gives, with the garbage collector held off: tens of
        thousands of tuples, none in a cycle, need no collection walking them (the standard
        library's: 99-111 ms, against 110-190 ms with the collector on)."""
        held = gc.isenabled()
        gc.disable()
        try:
            return cls(rows())
        finally:
            if held:
                gc.enable()

    def replace(self, path: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """File `path` now holds `rows` (same shape as the constructor's; none: removed)."""
        new = tuple(_entry(row) for row in rows)
        with self._write_lock:
            old = self._by_path.get(path, _NO_ROWS)
            if old == new:  # a file refreshed but not changed (or changed and stored again)
                return
            names = {entry[2].name for entry in old} | {entry[2].name for entry in new}
            for name in names:
                kept = [e for e in self._by_name.get(name, _NO_ROWS) if e[2].path != path]
                kept += [e for e in new if e[2].name == name]
                if kept:
                    self._by_name[name] = tuple(sorted(kept, key=_by_part_then_rowid))
                else:
                    self._by_name.pop(name, None)
            if new:
                self._by_path[path] = new
            else:
                self._by_path.pop(path, None)

    def named(self, names: Iterable[str], parts: Collection[int] | None = None) -> list[Definition]:
        """The definitions of `names` (in sorted order) in `parts` (None: all)."""
        found: list[Definition] = []
        by_name = self._by_name
        for name in sorted(set(names)):
            for _rowid, part, definition in by_name.get(name, _NO_ROWS):
                if parts is None or part in parts:
                    found.append(definition)
        return found

    def count_named(self, names: Iterable[str], part: int) -> dict[str, int]:
        """How many definitions in `part` each name has (names without any left out)."""
        counts: dict[str, int] = {}
        for name in set(names):
            count = sum(1 for entry in self._by_name.get(name, _NO_ROWS) if entry[1] == part)
            if count:
                counts[name] = count
        return counts

    def in_file(self, path: str) -> list[Definition]:
        """The file's definitions in rowid order."""
        return [entry[2] for entry in self._by_path.get(path, _NO_ROWS)]

    def in_file_part(self, path: str, part: int) -> list[Definition]:
        return [entry[2] for entry in self._by_path.get(path, _NO_ROWS) if entry[1] == part]

    def in_file_container(self, path: str, container: str) -> list[Definition]:
        return [e[2] for e in self._by_path.get(path, _NO_ROWS) if e[2].container == container]
