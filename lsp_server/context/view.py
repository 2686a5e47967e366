"""Access to the index for one assembly: memoized, failure-tolerant, and shared.

Answers about files other than the one being edited are shared across assemblies for a
few seconds (a burst of keystrokes asks the same questions); the edited file's own
definitions and imports are always asked fresh. Exclusion is applied on every read, so
an answer cached before a file was excluded never leaks it.

Determinism: answers listing definitions of many files (by name, by container) are put in
one canonical order (path, position), whatever order the index's rows were written in (a
parallel build writes them in any order) and whether a file is open (the index appends
open documents last). An index that exposes an integer `generation` (bumped on every
change) and `changed_since(generation)` (the files changed since) gets its shared answers
dropped as soon as a file other than the edited one changes, and keeps them longer
otherwise (`TRACKED_TTL_S`): while typing in one file they stay valid.
"""

from __future__ import annotations

import functools
import posixpath
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from lsp_server.index.model import Definition, Import
from lsp_server.index.protocol import IndexReader
from lsp_server.index.pymodules import PythonModules, modules_for

_T = TypeVar("_T")


@functools.lru_cache(maxsize=16384)
def parent_dir(path: str) -> str:
    return posixpath.dirname(path)


#: Index answers about files other than the one being edited are reused across assemblies
#: for this long: a burst of keystrokes asks the same questions, and a few seconds of
#: staleness in *other* files is harmless for context. The edited file is always fresh.
SHARED_TTL_S = 3.0
#: ... and for this long when the index tells which files changed (a safety net only).
TRACKED_TTL_S = 30.0
_SHARED_MAX = 8192
#: index -> (kind, key) -> (expiry, answer); answers are lists of Definition, Import or str
_shared: weakref.WeakKeyDictionary[IndexReader, dict[tuple[str, str], tuple[float, list[Any]]]] = (
    weakref.WeakKeyDictionary()
)
_shared_lock = threading.Lock()
#: Where the generation the shared answers belong to is kept (never a real question).
_GENERATION_KEY = ("generation", "")


#: The repository's aliased imports change only when another file's imports do: reused this
#: long whatever the index's generation (which every keystroke in the edited file bumps).
ALIASES_TTL_S = 30.0
_aliases: weakref.WeakKeyDictionary[IndexReader, tuple[float, list[tuple[str, Import]]]] = (
    weakref.WeakKeyDictionary()
)


def canonical(definitions: Iterable[Definition]) -> list[Definition]:
    """Definitions of many files in one order that depends on nothing but their place."""
    return sorted(definitions, key=_place)


def _place(d: Definition) -> tuple[str, int, int, str, str]:
    return (d.path, d.line, d.column, d.name, d.kind)


def _generation(index: IndexReader) -> object:
    """The index's change counter if it has one (None: unknown, the TTL alone applies)."""
    try:
        return getattr(index, "generation", None)
    except Exception:  # noqa: BLE001 - a property that fails: as if unknown
        return None


def _changed_since(index: IndexReader, generation: object) -> frozenset[str] | None:
    """The files the index says changed after `generation` (None: unknown)."""
    try:
        changed = index.changed_since(generation)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - an index without the question: as if all changed
        return None
    return changed if isinstance(changed, frozenset) else None


def clear_shared_cache() -> None:
    """Forget every cached index answer (tests; after a rebuild)."""
    with _shared_lock:
        _shared.clear()
        _aliases.clear()


class IndexView:
    """Memoized, failure-tolerant access to the index for one assembly."""

    def __init__(
        self, index: IndexReader, allowed: Callable[[str], bool], current: str | None = None
    ) -> None:
        self.index = index
        self.allowed = allowed
        self.current = current
        self._memo: dict[tuple[str, str], list[Any]] = {}
        self._dirs: dict[str, list[str]] | None = None
        self._current_defs: dict[str, list[Definition]] | None = None
        self._current_members: dict[str, list[Definition]] | None = None
        #: how same-named definitions of other files are ordered before their place (the
        #: order every tie among them is broken by): e.g. most imported file first
        self.precedence: Callable[[Definition], float] | None = None
        self._ttl = SHARED_TTL_S
        try:
            with _shared_lock:
                self._shared = _shared.setdefault(index, {})
                self._drop_stale_answers()
        except TypeError:  # not weak-referenceable: no sharing
            self._shared = {}

    def _drop_stale_answers(self) -> None:
        """Drop the shared answers if a file other than the one edited here changed since
        they were given. The edited file's own rows are never taken from them (see
        `definitions`, `members`), so typing in one file keeps them: the next keystroke, or
        the first completion after a pause, does not start cold."""
        generation = _generation(self.index)
        if generation is None:
            return  # an index without a change counter: the TTL alone applies
        self._ttl = TRACKED_TTL_S
        stored = self._shared.get(_GENERATION_KEY)
        dirty: frozenset[str] | None = None
        if stored is not None:
            old, old_dirty = stored[1]
            changed = frozenset() if old == generation else _changed_since(self.index, old)
            dirty = None if changed is None else old_dirty | changed
        if dirty is None or dirty - {self.current}:
            self._shared.clear()
            dirty = frozenset()
        self._shared[_GENERATION_KEY] = (0.0, [generation, dirty])

    def _ask(
        self, kind: str, key: str, call: Callable[[], Iterable[_T]], share: bool = True
    ) -> list[_T]:
        memo_key = (kind, key)
        memo = self._memo.get(memo_key)
        if memo is not None:
            return memo
        now = time.monotonic()
        if share:
            entry = self._shared.get(memo_key)
            if entry is not None and entry[0] > now:
                self._memo[memo_key] = entry[1]
                return entry[1]
        hit: list[_T]
        try:
            hit = list(call())
        except Exception:  # noqa: BLE001 - a broken index must not break completion
            hit = []
        self._memo[memo_key] = hit
        if share:
            with _shared_lock:
                if len(self._shared) >= _SHARED_MAX:
                    self._shared.clear()
                self._shared[memo_key] = (now + self._ttl, hit)
        return hit

    def _own(self) -> tuple[dict[str, list[Definition]], dict[str, list[Definition]]]:
        """The edited file's definitions by name and by container (always fresh)."""
        if self._current_defs is None:
            self._current_defs, self._current_members = {}, {}
            if self.current is not None:
                for d in self.file_definitions(self.current):
                    self._current_defs.setdefault(d.name, []).append(d)
                    if d.container is not None:
                        self._current_members.setdefault(d.container, []).append(d)
        assert self._current_members is not None
        return self._current_defs, self._current_members

    def definitions(self, name: str) -> list[Definition]:
        found = self._ask("d", name, lambda: canonical(self.index.definitions(name)))
        own = self._own()[0].get(name, [])
        others = [d for d in found if d.path != self.current and self.allowed(d.path)]
        if self.precedence is not None and len(others) > 1:
            others.sort(key=self.precedence)  # stable: place breaks the remaining ties
        return others + own

    def imports_of(self, path: str) -> list[Import]:
        share = path != self.current
        return self._ask("i", path, lambda: self.index.imports_of(path), share)

    def members(self, container: str, path: str) -> list[Definition]:
        if path == self.current:
            return list(self._own()[1].get(container, []))
        found = self._ask("m", container, lambda: canonical(self.index.members(container)))
        return [m for m in found if m.path == path]

    def file_definitions(self, path: str) -> list[Definition]:
        share = path != self.current
        return self._ask("f", path, lambda: self.index.file_definitions(path), share)

    def all_files(self) -> list[str]:
        """Every indexed file, excluded ones too (the same list object while it is shared,
        so that what is derived from it can be reused: see `pymodules.modules_for`)."""
        return self._ask("l", "", lambda: self.index.files())

    def aliased_imports(self) -> list[tuple[str, Import]]:
        """Every import that binds an alias (see `IndexReader.aliased_imports`)."""

        def ask() -> list[tuple[str, Import]]:
            now = time.monotonic()
            try:
                with _shared_lock:
                    entry = _aliases.get(self.index)
                if entry is not None and entry[0] > now:
                    return entry[1]
                found = list(self.index.aliased_imports())
                with _shared_lock:
                    _aliases[self.index] = (now + ALIASES_TTL_S, found)
            except TypeError:  # not weak-referenceable: asked every time
                found = list(self.index.aliased_imports())
            return found

        return self._ask("a", "", ask, share=False)  # the same list while it is reused

    def python_modules(self) -> PythonModules:
        return modules_for(self.all_files())

    def files_in(self, directory: str) -> list[str]:
        """Indexed files directly in a directory (one listing per assembly)."""
        if self._dirs is None:
            self._dirs = {}
            for path in self.all_files():
                self._dirs.setdefault(parent_dir(path), []).append(path)
        return [p for p in self._dirs.get(directory, []) if self.allowed(p)]
