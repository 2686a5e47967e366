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
dropped as soon as a file other than the edited one changes -- all of them but those about
one other file's own rows (its definitions, members, imports), which stay valid -- and
keeps them longer otherwise (`TRACKED_TTL_S`): while typing in one file they stay valid.
"""

from __future__ import annotations

import functools
import operator
import posixpath
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from lsp_server.index.model import (
    ONLY_MEMBERS,
    ONLY_TOP,
    PARTS,
    Definition,
    Import,
    part_of,
)
from lsp_server.index.protocol import BatchedIndexReader, IndexReader
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
#: Answers about one file's rows alone, by kind: the key is the file (`t`op level, whole
#: `f`ile, `i`mports), or ends with it after a NUL (`n`: a class's members, `c`: a name's
#: definitions in the file). Another file's change leaves them as they are.
_FILE_KEYED = frozenset("tfi")
_FILE_LAST = frozenset("nc")


def _file_of(key: tuple[str, str]) -> str | None:
    """The one file a shared answer is about (None: many, or not a file's rows)."""
    kind, name = key
    if kind in _FILE_KEYED:
        return name
    if kind in _FILE_LAST:
        return name.rpartition("\x00")[2]
    return None


#: The repository's aliased imports change only when another file's imports do: reused this
#: long whatever the index's generation (which every keystroke in the edited file bumps).
ALIASES_TTL_S = 30.0
_aliases: weakref.WeakKeyDictionary[IndexReader, tuple[float, list[tuple[str, Import]]]] = (
    weakref.WeakKeyDictionary()
)


def canonical(definitions: Iterable[Definition]) -> list[Definition]:
    """Definitions of many files in one order that depends on nothing but their place."""
    return sorted(definitions, key=_PLACE)


#: A definition's place (path, line, column, name, kind), read in C: a cold assembly sorts
#: hundreds of definitions.
_PLACE: Callable[[Definition], tuple[str, int, int, str, str]] = operator.attrgetter(
    "path", "line", "column", "name", "kind"
)


_PARTS_KINDS: dict[frozenset[str], str] = {}


def _parts_kind(parts: frozenset[str]) -> str:
    """The memo kind of a set of parts ("d" + its parts, sorted)."""
    kind = _PARTS_KINDS.get(parts)
    if kind is None:
        kind = _PARTS_KINDS[parts] = "d" + ",".join(sorted(parts))
    return kind


def _top(definitions: list[Definition]) -> list[Definition]:
    return [d for d in definitions if d.container is None]


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
        #: (memo kind, name) -> (the precedence it was ordered by, the allowed definitions
        #: of other files): asked again and again during one assembly
        self._others: dict[tuple[str, str], tuple[object, list[Definition]]] = {}
        #: how same-named definitions of other files are ordered before their place (the
        #: order every tie among them is broken by): e.g. most imported file first
        self.precedence: Callable[[Definition], float] | None = None
        self._ttl = SHARED_TTL_S
        #: the index, when it answers for parts of what it holds (`BatchedIndexReader`)
        self._parted = index if isinstance(index, BatchedIndexReader) else None
        try:
            with _shared_lock:
                self._shared = _shared.setdefault(index, {})
                self._drop_stale_answers()
        except TypeError:  # not weak-referenceable: no sharing
            self._shared = {}

    def _drop_stale_answers(self) -> None:
        """Drop the shared answers a change to a file other than the one edited here may
        have made stale: those about that file, and every answer about many files (a name's
        definitions anywhere). The edited file's own rows are never taken from them (see
        `definitions`, `members`), so typing in one file keeps them all: the next keystroke,
        or the first completion after a pause, does not start cold; nor, for the other
        files' own rows, does the first one after a save elsewhere."""
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
        if dirty is None:
            self._shared.clear()
            dirty = frozenset()
        elif stale := dirty - {self.current}:
            for key in list(self._shared):
                about = _file_of(key)
                if key != _GENERATION_KEY and (about is None or about in stale):
                    del self._shared[key]
            dirty -= stale
        self._shared[_GENERATION_KEY] = (0.0, [generation, dirty])

    def _ask(
        self, kind: str, key: str, call: Callable[[], Iterable[_T]], share: bool = True
    ) -> list[_T]:
        memo = self._known(kind, key, share)
        if memo is not None:
            return memo
        hit: list[_T]
        try:
            hit = list(call())
        except Exception:  # noqa: BLE001 - a broken index must not break completion
            hit = []
        self._keep(kind, key, hit, share)
        return hit

    def _known(self, kind: str, key: str, share: bool = True) -> list[Any] | None:
        """An answer given before in this assembly, or (`share`) shared and unexpired."""
        memo_key = (kind, key)
        memo = self._memo.get(memo_key)
        if memo is not None or not share:
            return memo
        entry = self._shared.get(memo_key)
        if entry is not None and entry[0] > time.monotonic():
            self._memo[memo_key] = entry[1]
            return entry[1]
        return None

    def _keep(self, kind: str, key: str, hit: list[Any], share: bool = True) -> None:
        memo_key = (kind, key)
        self._memo[memo_key] = hit
        if share:
            with _shared_lock:
                if len(self._shared) >= _SHARED_MAX:
                    self._shared.clear()
                self._shared[memo_key] = (time.monotonic() + self._ttl, hit)

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

    def definitions(self, name: str, parts: frozenset[str] = PARTS) -> list[Definition]:
        """Definitions named `name` in other files (canonical order, allowed ones only) then
        in the edited file; `parts` (see `model.part_of`): only those, which is all a caller
        filtering on kind or container needs, and spares fetching the rest."""
        kind = _parts_kind(parts)
        kept = self._others.get((kind, name))
        if kept is None or kept[0] is not self.precedence:
            found = self._parts(name, parts, kind)
            others = [d for d in found if d.path != self.current and self.allowed(d.path)]
            if self.precedence is not None and len(others) > 1:
                others.sort(key=self.precedence)  # stable: place breaks the remaining ties
            kept = self._others[(kind, name)] = (self.precedence, others)
        own = self._own()[0].get(name)
        if not own:
            return list(kept[1])
        if parts != PARTS:
            own = [d for d in own if part_of(d) in parts]
        return kept[1] + own

    def _parts(self, name: str, parts: frozenset[str], kind: str) -> list[Definition]:
        """The index's definitions named `name` in `parts` (memoized as `kind`), in canonical
        order; each part is asked once (the missing ones in one query) and kept like any
        other answer."""
        merged = self._known(kind, name, share=False)
        if merged is not None:
            return merged
        known = {part: self._known("d" + part, name) for part in parts}
        missing = [part for part, hit in known.items() if hit is None]
        if missing:
            for part, hit in self._fetch_parts(name, missing).items():
                known[part] = hit
                self._keep("d" + part, name, hit)
        lists = [hit for hit in known.values() if hit]
        merged = lists[0] if len(lists) == 1 else canonical(d for hit in lists for d in hit)
        self._keep(kind, name, merged, share=False)
        return merged

    def prefetch(self, wanted: Mapping[str, frozenset[str]]) -> None:
        """Ask the index at once for the parts (`model.PARTS`) of many names that lookups
        are about to need: a query per set of parts missing, not one per name. What it
        keeps is what asking for each name alone would give."""
        index = self._parted
        if index is None:
            return
        groups: dict[frozenset[str], list[str]] = {}
        for name, parts in wanted.items():
            missing = frozenset(p for p in parts if self._known("d" + p, name) is None)
            if missing:
                groups.setdefault(missing, []).append(name)
        for parts, names in groups.items():
            try:
                rows = index.definitions_named(names, parts)
            except Exception:  # noqa: BLE001 - the lookups will ask one by one
                continue
            split: dict[tuple[str, str], list[Definition]] = {
                (name, part): [] for name in names for part in parts
            }
            for definition in canonical(rows):
                hit = split.get((definition.name, part_of(definition)))
                if hit is not None:
                    hit.append(definition)
            for (name, part), hit in split.items():
                self._keep("d" + part, name, hit)

    def _fetch_parts(self, name: str, parts: list[str]) -> dict[str, list[Definition]]:
        """Ask the index for `parts` of a name's definitions, split by part (an index that
        cannot filter by part is asked for all of them, and its answer filtered here)."""
        split: dict[str, list[Definition]] = {part: [] for part in parts}
        try:
            if self._parted is not None:
                rows = self._parted.definitions_in(name, parts)
            else:
                rows = self.index.definitions(name)
            for definition in canonical(rows):
                hit = split.get(part_of(definition))
                if hit is not None:
                    hit.append(definition)
        except Exception:  # noqa: BLE001 - a broken index must not break completion
            return {part: [] for part in parts}
        return split

    def member_counts(self, names: Iterable[str]) -> dict[str, int]:
        """How many class members (methods, fields, properties) of each name the index
        holds (an index without counts: those `definitions` gives)."""
        listed = list(dict.fromkeys(names))
        missing = [name for name in listed if self._known("k", name) is None]
        if missing:
            counts = self._count_members(missing)
            for name in missing:
                self._keep("k", name, [counts.get(name, 0)])
        return {name: self._memo[("k", name)][0] for name in listed}

    def _count_members(self, names: list[str]) -> dict[str, int]:
        if self._parted is not None:
            try:
                return self._parted.member_counts(names)
            except Exception:  # noqa: BLE001 - counted from the definitions instead
                pass
        return {name: len(self.definitions(name, ONLY_MEMBERS)) for name in names}

    def members_named(self, name: str, containers: Iterable[str]) -> list[Definition]:
        """The members named `name` of the classes named `containers`, in other files (in
        canonical order, allowed ones only): those rows alone when the index can."""
        wanted = frozenset(containers)
        if self._parted is None:
            found = [d for d in self.definitions(name, ONLY_MEMBERS) if d.container in wanted]
        else:
            index = self._parted
            key = name + "\x00" + "\x00".join(sorted(wanted))
            found = self._ask("w", key, lambda: canonical(index.members_named(name, wanted)))
        return [d for d in found if d.path != self.current and self.allowed(d.path)]

    def imports_of(self, path: str) -> list[Import]:
        share = path != self.current
        return self._ask("i", path, lambda: self.index.imports_of(path), share)

    def members(self, container: str, path: str) -> list[Definition]:
        if path == self.current:
            return list(self._own()[1].get(container, []))
        index = self._parted
        if index is None:
            found = self._ask("m", container, lambda: canonical(self.index.members(container)))
            return [m for m in found if m.path == path]
        key = f"{container}\x00{path}"
        return list(self._ask("n", key, lambda: canonical(index.members_in(container, path))))

    def named_in(self, name: str, path: str) -> list[Definition]:
        """The definitions named `name` in one file (any order): those rows alone, not the
        file's others nor the name's in other files (`__init__`: a thousand)."""
        whole = self._known("f", path, path != self.current)
        index = self._parted
        if whole is not None or index is None or path == self.current:
            return [d for d in self.file_definitions(path) if d.name == name]
        key = f"{name}\x00{path}"
        return self._ask("c", key, lambda: index.definitions(name, (path,)))

    def file_definitions(self, path: str) -> list[Definition]:
        share = path != self.current
        return self._ask("f", path, lambda: self.index.file_definitions(path), share)

    def top_level(self, path: str) -> list[Definition]:
        """The definitions of a file that no other contains, in source order: from its
        whole list when that was asked already, else only those rows."""
        share = path != self.current
        whole = self._known("f", path, share)
        index = self._parted
        if whole is not None or index is None:
            return self._ask("t", path, lambda: _top(self.file_definitions(path)), share)
        return self._ask("t", path, lambda: index.top_level_definitions(path), share)

    def prefetch_top(self, names: list[str]) -> None:
        """Ask at once for the top-level definitions of these names (see `top_named`)."""
        self.prefetch(dict.fromkeys(names, ONLY_TOP))

    def top_named(self, path: str, name: str) -> list[Definition]:
        """The top-level definitions of `name` in file `path`: from the file's list when it
        was asked already, else from the name's (a few rows, not the file's hundreds)."""
        if path == self.current or self._known("t", path) or self._known("f", path):
            return [d for d in self.top_level(path) if d.name == name]
        return [d for d in self.definitions(name, ONLY_TOP) if d.path == path]

    def prefetch_modules(self, paths: Iterable[str]) -> None:
        """Ask at once for the `top_level` definitions and the imports of module files about
        to be read (what `pymodules.exported` reads of each)."""
        index = self._parted
        if index is None:
            return
        listed = {path for path in paths if path != self.current}
        tops = {p for p in listed if self._known("t", p) is None and self._known("f", p) is None}
        imports = {p for p in listed if self._known("i", p) is None}
        try:
            found_tops = index.top_level_definitions_of(tops) if tops else {}
            found_imports = index.imports_of_files(imports) if imports else {}
        except Exception:  # noqa: BLE001 - each file will be asked for alone
            return
        for path, definitions in found_tops.items():
            if path in tops:
                self._keep("t", path, definitions)
        for path, found in found_imports.items():
            if path in imports:
                self._keep("i", path, found)

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

    def aliased_as(self, alias: str) -> list[tuple[str, Import]]:
        """The imports that bind `alias` with `as` (see `aliased_imports`), asked for this
        alias alone when the index can (a first assembly need not read them all)."""
        if self._parted is None:
            return [
                (importer, imp)
                for importer, imp in self.aliased_imports()
                if any(bound == alias for _name, bound in imp.aliases)
            ]
        index = self._parted
        return self._ask("a", alias, lambda: index.imports_aliased_as(alias))

    def python_modules(self) -> PythonModules:
        return modules_for(self.all_files())

    def files_in(self, directory: str) -> list[str]:
        """Indexed files directly in a directory (one listing per assembly)."""
        if self._dirs is None:
            self._dirs = {}
            for path in self.all_files():
                self._dirs.setdefault(parent_dir(path), []).append(path)
        return [p for p in self._dirs.get(directory, []) if self.allowed(p)]
