"""Candidate snippets for a cursor: definitions of the names around it, resolved through the
index's imports, the skeletons of the enclosing class's bases and of imported names.

Index calls go through `view.IndexView` (memoized, shared briefly). Scores are relative:
a name bound by an import of the current file outweighs a same-named definition elsewhere,
and uses close to the cursor outweigh uses far above it.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lsp_server.index.model import (
    CONTAINED,
    MEMBERS,
    NOT_MEMBERS,
    ONLY_NESTED,
    ONLY_TOP,
    TOP,
    Definition,
)
from lsp_server.index.packages import package_files
from lsp_server.index.pymodules import PY_EXTS, defined_in, exported, is_package_init

from .conventions import conventional_module
from .imports import JS_LANGUAGES, FileImports, ModuleTarget
from .names import NameUse, annotation_class, entered_class, qualified_uses
from .receivers import alternate_constructor, api_shares, chain_at_cursor, classes_by_members
from .relevance import LineWords, words
from .skeleton import CLASS_KINDS
from .testfiles import is_test_definition, is_test_path
from .typeswitch import SWITCH_LINES, case_types, same_kind_types
from .view import IndexView, parent_dir

#: Weights (tuned with bench/context_recall.py).
W_IMPORTED = 3.0  # a name bound by an import of the current file
W_MODULE_ATTR = 3.0  # `module.name` where `module` is an imported module
W_NEAR_FILE = 1.5  # a definition in a file the current file imports, or in its package
W_ELSEWHERE = 0.5  # a same-named definition anywhere else
W_BASE = 4.0  # a base class of the class around the cursor
W_SELF_MEMBER = 2.5  # `self.x` / `this.x` defined in the enclosing class or its bases
W_LOCAL_OUT_OF_VIEW = 1.2  # defined in this file but above the part of it that is sent
PRIOR_IMPORTED = 0.3  # any imported name, used or not
PRIOR_UNUSED = 0.5  # an imported name not used yet between its import and the cursor
PER_USE = 0.04  # per use of a name anywhere in the prefix (capped)
MAX_DEFS_PER_NAME = 3
PACKAGE_NAMES = 40  # Go/Java: most frequent names of the file looked up in its package
PACKAGE_FILES_MAX = 200  # Go/Java: a package's files looked at (a bound on the cost)
PACKAGE_OUTLINE = 60  # Go/Java: at most this many names of the own package are outlined
PRIOR_PACKAGE = 0.12
#: Go/Java: per name of another file of the package that this file uses, that file's other
#: top-level declarations weigh this much more (`readAsCSV` used: `writeAsCSV` beside it)
PER_SIBLING_USE = 0.06
SIBLING_USES = 3
W_SAME_KIND = 0.3  # Go: a type with the method set of the type switch's cases above
MODULE_NAMES = 40  # at most this many names of one module are candidates
MODULE_PER_USE = 0.1  # a module's weight per use of it in the file (capped)
W_SHARE = 1.0  # a module name's uses in this file relative to its most used name
W_FIT = 1.0  # a module name whose words the cursor line uses (see relevance.LineWords)
MAX_ATTR_DEFS = 4
#: A member name more classes define than this (`__init__`, `encode`, `get`) says little by
#: itself: only its definitions in the classes the cursor's receivers are known to be of are
#: read (the others, a share of 1/sqrt(count) each, were read by the hundred for nothing).
COMMON_MEMBERS = 100
TYPED_NAMES = 12  # at most this many names starting with a typed bare prefix
MAX_NAMES = 40  # names near the cursor looked up, closest and most used first
W_CURSOR = 5.0  # the type (or module) of `receiver.` right before the cursor
W_GUESSED = 0.5  # ... when the type is guessed from the receiver's name
W_BASE_OF_RECEIVER = 0.7  # a base class of the receiver's class (per level up)
W_LATER_BASE = 0.15  # less per position in the list of bases (the resolution order)
BASE_DEPTH = 4  # levels of bases followed up from a class
MAX_CLASSES = 8  # classes (a class and its bases) outlined for one receiver

TYPE_KINDS = frozenset(("interface", "type"))  # may share a name with a value (TypeScript)
TOP_KINDS = CLASS_KINDS | {"function", "constant", "module"}
CALLABLE_MEMBER_KINDS = frozenset(("method", "function", "property", "class"))
MAX_FITTING_MEMBERS = 8  # members of the receiver's classes added for `recv.` / `recv.pa|`
MEMBER_FIT_MIN = 0.5  # a member whose words the cursor line uses this much fits `recv.|`
SIBLING_FIT_MIN = 0.6  # a member sharing this share of its words with those called on `recv.`
W_SIBLING = 0.4  # ... fits `recv.|` this much (less than a member called on it)
MEMBER_KINDS = frozenset(("method", "field", "property", "function", "constant", "variable"))

_SELVES = ("self", "this", "cls")

_TYPED_NAME = re.compile(r"(?<![\w$])([A-Za-z_$][\w$]*)$")
_PY_BASES = re.compile(r"^\s*class\s+\w+\s*(?:\[[^\]]*\])?\s*\((.*)\)\s*:?\s*$", re.S)
_RETURN_TYPE = re.compile(
    r"->\s*[\"']?(?:[\w.]+\.)?([A-Z]\w*)|\)\s*:\s*(?:Promise<)?([A-Z][\w$]*)\s*(?:[<{]|$)"
)
_EXTENDS = re.compile(r"\b(?:extends|implements)\s+([\w$.,\s<>]+?)(?:\{|$)", re.S)


@dataclass
class Candidate:
    definition: Definition
    score: float
    role: str  # "name" | "member" | "base" | "local"


@dataclass
class Gathered:
    candidates: dict[tuple[str, int], Candidate] = field(default_factory=dict)
    #: the enclosing class, its bases and the receivers' classes, as (name, path): many
    #: classes of a repository may share a name (`Channel` in every transport)
    container_classes: set[tuple[str, str]] = field(default_factory=set)

    def contain(self, cls: Definition) -> None:
        """Record a class whose members the cursor's receivers may use."""
        self.container_classes.add((cls.name, cls.path))

    tests: bool = True  # test files may be candidates (the edited file is a test)

    def add(self, definition: Definition, score: float, role: str) -> None:
        if not self.tests and is_test_definition(definition):
            return
        key = (definition.path, definition.line)
        current = self.candidates.get(key)
        if current is None:
            self.candidates[key] = Candidate(definition, score, role)
        else:
            current.score += score
            if role == "base":
                current.role = role


_dir = parent_dir


class Gatherer:
    """Finds and scores candidate definitions for one cursor position."""

    def __init__(self, view: IndexView, current: str, language_id: str) -> None:
        self.view = view
        self.current = current
        self.language_id = language_id
        self.package_scoped = language_id in ("go", "java", "csharp", "rust")
        self.tests = is_test_path(current)
        self.imports = FileImports(view, current, language_id, self.tests)
        # the import reader's tables, shared (Rust adds modules to them lazily)
        self.bindings = self.imports.bindings
        self.binding_lines = self.imports.binding_lines
        self.modules = self.imports.modules
        self.star_files = self.imports.star_files
        self.imported_files = self.imports.imported_files
        self.receiver_types: dict[str, str] = {}
        self.local_names: set[str] = set()  # parameters and assigned variables: not looked up
        self.line_words: LineWords | None = None
        self._guesses: dict[str, list[tuple[Definition, float]]] = {}
        self.enclosing_bases: list[Definition] = []  # bases of the class around the cursor
        self.cursor_members: set[str] = set()  # members of `recv.` that fit the cursor
        self.out = Gathered(tests=self.tests)
        self._source_read = False
        self.typed = ""  # the bare name partly typed at the cursor (see `read_source`)
        self._cursor_module: tuple[tuple[str, ...], str] | None = None  # `module.pa|`
        self._cursor_line = ""
        self._above: list[str] = []  # the lines above the cursor's
        self._above_text: str | None = None
        self._qualified: dict[str, dict[str, int]] = {}

    def read_source(self, lines: list[str]) -> None:
        """What only the source shows: the bare name being typed at the cursor (`isBl|`,
        not `x.isBl|`), CommonJS `const {a} = require('./x')`."""
        if self._source_read:
            return
        self._source_read = True
        self._cursor_line = lines[-1] if lines else ""
        self._above = lines[:-1]
        typed = _TYPED_NAME.search(lines[-1]) if lines else None
        if typed is not None and not lines[-1][: typed.start()].rstrip().endswith((".", "::")):
            self.typed = typed.group(1)
        self.imports.bind_requires(lines)

    def module_name_uses(
        self, alias: str, file_counts: dict[str, int], offer: list[Definition]
    ) -> dict[str, int]:
        """How often the file uses each name of the module bound to `alias`: as a word near
        the cursor (a docstring's `Raises: NetworkXError` says what comes), or as
        `alias.name` anywhere above (`nx._clear_cache(self)` in every method of a class;
        in Python only called: see `qualified_uses`)."""
        qualified = self.uses_through(alias)
        return {d.name: max(file_counts.get(d.name, 0), qualified.get(d.name, 0)) for d in offer}

    def uses_through(self, qualifier: str) -> dict[str, int]:
        """How often the lines above the cursor use each name through `qualifier`, a
        module's alias (all the lines: a module is used all over a file)."""
        found = self._qualified.get(qualifier)
        if found is None:
            separator = "::" if self.language_id == "rust" else "."
            calls_only = self.language_id == "python"
            found = qualified_uses(self._text_above(), qualifier, separator, calls_only)
            self._qualified[qualifier] = found
        return found

    def _text_above(self) -> str:
        """The lines above the cursor as one text, joined once per assembly."""
        if self._above_text is None:
            self._above_text = "\n".join(self._above)
        return self._above_text

    def module_named(self, name: str) -> ModuleTarget | None:
        """The module a receiver names: one this file imports, or (Python) the module the
        rest of the repository imports under that alias, when nothing here binds the name."""
        module = self.imports.module_named(name)
        if (
            module is not None
            or self.language_id != "python"
            or name in self.local_names
            or name in self.bindings
            or name in ("self", "cls")
        ):
            return module
        file = conventional_module(self.view, name)
        if file is None or not self.view.allowed(file) or self._defined_here(name):
            return None
        module = self.modules[name] = ModuleTarget((file,))
        return module

    def _defined_here(self, name: str) -> bool:
        return any(
            d.path == self.current and d.container is None
            for d in self.view.definitions(name, ONLY_TOP)
        )

    def _keep(self, path: str) -> bool:
        """Whether a file may give candidates: tests only when a test is edited."""
        return self.tests or not is_test_path(path)

    def package_files(self, directory: str) -> list[str]:
        """The files of a Go/Java package (a directory), tests only for a test."""
        like = self.current if _dir(self.current) == directory else ""
        files = self.view.files_in(directory)
        if not like:
            like = next((f for f in files if not is_test_path(f)), files[0] if files else "")
        return package_files(files, like, self._keep)[:PACKAGE_FILES_MAX]

    def expand(self, entries: Iterable[str]) -> list[str]:
        """Module entries as files: `dir:` entries become their package's files."""
        out: list[str] = []
        for entry in entries:
            files = self.package_files(entry[4:]) if entry.startswith("dir:") else [entry]
            out.extend(f for f in files if f not in out)
        return out

    def resolve_in(self, name: str, files: Iterable[str], depth: int = 0) -> list[Definition]:
        """`name` as defined in (or re-exported by) one of `files` (top-level first; a Java
        static import names a member of the class in its file)."""
        found: list[Definition] = []
        for file in files:
            if file.startswith("dir:"):
                directory = file[4:]
                found.extend(
                    d
                    for d in self.view.definitions(name, ONLY_TOP)
                    if _dir(d.path) == directory
                    and d.container is None
                    and d.path != self.current
                    and (self.tests or not is_test_path(d.path))
                )
                continue
            if self.language_id in JS_LANGUAGES and not file.endswith(PY_EXTS):
                hit = self.imports.js_modules().resolve(file, name)
                if isinstance(hit, tuple):
                    found.extend(hit)
                continue
            defs = [d for d in self.view.definitions(name, ONLY_TOP) if d.path == file]
            if not defs and file.endswith(".java"):
                defs = [d for d in self.view.definitions(name) if d.path == file]
            if not defs and depth < 2:
                defs = self._reexported(name, file, depth)
            found.extend(defs)
        return found

    def _reexported(self, name: str, file: str, depth: int) -> list[Definition]:
        if file.endswith(PY_EXTS):
            modules = self.view.python_modules()
            return defined_in(file, name, modules, self._top_level, self.view.imports_of)
        for imp in self.view.imports_of(file):
            if imp.resolved is None or imp.resolved == file:
                continue
            aliases = dict(imp.aliases)
            for original in imp.names:
                if aliases.get(original, original) == name and original != "*":
                    return self.resolve_in(original, (imp.resolved,), depth + 1)
            if "*" in imp.names and "*" not in aliases:
                defs = self.resolve_in(name, (imp.resolved,), depth + 1)
                if defs:
                    return defs
        return []

    def _top_level(self, file: str, name: str) -> list[Definition]:
        return [d for d in self.view.definitions(name, ONLY_TOP) if d.path == file]

    # -- names ------------------------------------------------------------------------------

    def _location_factor(self, definition: Definition) -> float:
        if definition.path in self.imported_files:
            return W_NEAR_FILE
        if _dir(definition.path) == _dir(self.current):
            return W_NEAR_FILE if self.package_scoped else 1.0
        return W_ELSEWHERE

    def add_names(
        self,
        uses: dict[str, NameUse],
        file_counts: dict[str, int],
        view_start: int,
        scan_start: int = -1,
    ) -> None:
        """Score the definitions of the names used near the cursor (`file_counts`: names
        counted from line `scan_start` to the cursor; -1: unknown)."""
        scan_start = scan_start if scan_start >= 0 else 1 << 30
        ranked = sorted(uses.items(), key=lambda item: -(item[1].bare + item[1].attr))
        self._prefetch(ranked[:MAX_NAMES])
        for name, use in ranked[:MAX_NAMES]:
            count_bonus = PER_USE * min(file_counts.get(name, 0), 10)
            if use.bare > 0 and (name not in self.local_names or name in self.bindings):
                self._add_bare(name, use.bare + count_bonus, view_start)
            if use.attr > 0:
                self._add_attr(name, use, count_bonus)
        # names used as `module.name` anywhere above, for every imported module
        if self.language_id not in JS_LANGUAGES:
            self.view.prefetch_modules(
                f for m in self.modules.values() for f in self.expand(m.files)
            )
        seen: set[tuple[str, ...]] = set()
        for alias, module in self.modules.items():
            files = tuple(self.expand(module.files))
            if files in seen:
                continue
            seen.add(files)
            usage = self._module_usage(alias, uses, file_counts)
            offer = self.module_offer(files)
            if self._cursor_module is not None and self._cursor_module[0] == files:
                # `module.pa|`: what does not start with what is typed is not what comes
                lowered = self._cursor_module[1].lower()
                offer = [d for d in offer if d.name.lower().startswith(lowered)]
            if usage:
                used = self.module_name_uses(alias, file_counts, offer)
            else:  # a module not used here: only the names the file uses weigh
                used = {d.name: file_counts.get(d.name, 0) for d in offer}
                offer = [d for d in offer if used[d.name]]
            total = max(used.values(), default=0)
            scored = [(self._module_name_weight(d, usage, used[d.name], total), d) for d in offer]
            for weight, definition in heapq.nlargest(MODULE_NAMES, scored, key=_first):
                if weight > 0:
                    self.out.add(definition, W_MODULE_ATTR * weight, "name")
        if self.package_scoped:
            self._add_package_names(uses, file_counts)
            self._add_package_outline(file_counts)
        if self.typed:
            self._add_typed(self.typed, file_counts)
        # every imported name, used near the cursor or not, gets a small prior; one not
        # used yet between its import and the cursor is likely what comes next
        for local, (file, original) in self.bindings.items():
            count = file_counts.get(local, 0)
            weight = PRIOR_IMPORTED + PER_USE * min(count, 10)
            weight += self.imports.next_in_order.get(local, 0.0)
            line = self.binding_lines.get(local, -1)
            if line >= scan_start and count <= 1 and local not in uses:
                weight += PRIOR_UNUSED
            for definition in self.resolve_in(original, (file,))[:MAX_DEFS_PER_NAME]:
                self.out.add(definition, W_IMPORTED * weight, "name")

    def _prefetch(self, ranked: list[tuple[str, NameUse]]) -> None:
        """Ask for the definitions `add_names` looks up in a few queries, not one per name:
        the imported names (`resolve_in`: top-level), the bare names used (`_add_bare`) and
        the members named after a dot (`_add_attr`), unless only imported modules are their
        receivers. A guess: a name not asked for later costs its rows, never the answer."""
        wanted: dict[str, set[str]] = {}
        js = self.language_id in JS_LANGUAGES
        for _local, (file, original) in self.bindings.items():
            if not file.startswith("dir:") and (not js or file.endswith(PY_EXTS)):
                wanted.setdefault(original, set()).add(TOP)
        known = self.local_names | self.bindings.keys() | self.modules.keys()
        for name, use in ranked:
            if use.bare > 0 and name not in known:
                wanted.setdefault(name, set()).update(NOT_MEMBERS)
            if use.attr <= 0 or len(name) < 2:
                continue
            if any(r in self.modules for r in use.receivers):
                wanted.setdefault(name, set()).add(TOP)  # `module.name`
            if not use.receivers or any(r not in self.modules for r in use.receivers):
                wanted.setdefault(name, set()).update(CONTAINED)  # (`super().x`: no receiver)
            for guessed in self._classes_named_by_receivers((use,)):
                wanted.setdefault(guessed, set()).update(NOT_MEMBERS)
        wanted.pop("", None)
        counts = self.view.member_counts(n for n, parts in wanted.items() if MEMBERS in parts)
        for name, count in counts.items():
            if count > COMMON_MEMBERS:
                wanted[name].discard(MEMBERS)  # `_add_attr` reads those of known classes
        self.view.prefetch({name: frozenset(parts) for name, parts in wanted.items()})

    def _prefetch_receiver_classes(self, uses: dict[str, NameUse]) -> None:
        """The classes `add_typed_receivers` looks up, in one query: the known types of the
        variables used and the classes the other receivers' names suggest."""
        wanted: dict[str, frozenset[str]] = {}
        for variable, type_name in self.receiver_types.items():
            if variable in uses and type_name not in self.bindings:
                wanted[type_name] = NOT_MEMBERS
        for guessed in self._classes_named_by_receivers(uses.values()):
            wanted[guessed] = NOT_MEMBERS
        wanted.pop("", None)
        self.view.prefetch(wanted)

    def _classes_named_by_receivers(self, uses: Iterable[NameUse]) -> Iterator[str]:
        """The class each receiver of no known type suggests by its name (`text_document.`:
        `TextDocument`), as `_guessed` looks it up."""
        for use in uses:
            for receiver in use.receivers:
                if receiver not in self.receiver_types and receiver not in _SELVES:
                    yield _camel(receiver)

    def _add_typed(self, typed: str, file_counts: dict[str, int]) -> None:
        """`isBl|`: the imported names, star-imported and own-package names (Go, Java)
        that start with what is typed, those this file uses most first."""
        found: dict[str, list[Definition]] = {}
        for local, (file, original) in self.bindings.items():
            if local.startswith(typed) and local != typed:
                found[local] = self.resolve_in(original, (file,))[:MAX_DEFS_PER_NAME]
        files = list(self.expand(self.star_files))
        if self.package_scoped and self.language_id != "rust":
            files += self.package_files(_dir(self.current))
        for definition in self.module_offer(files):
            name = definition.name
            if name.startswith(typed) and name != typed and name not in found:
                found[name] = [definition]
        ranked = sorted(found, key=lambda n: (-min(file_counts.get(n, 0), 10), len(n), n))
        for rank, name in enumerate(ranked[:TYPED_NAMES]):
            weight = W_CURSOR * (1.0 - rank / (2 * TYPED_NAMES))
            for definition in found[name]:
                self.out.add(definition, weight, "name")

    def _module_names(self, file: str) -> list[Definition]:
        """The top-level names a module offers (re-exports of a package's `__init__` or of
        a JS barrel too)."""
        if file.endswith(PY_EXTS):
            view = self.view
            return exported(
                file,
                view.python_modules(),
                view.top_level,
                view.imports_of,
                view.prefetch_modules,
                named=view,
            )
        if self.language_id in JS_LANGUAGES:
            exports = self.imports.js_modules().exports(file).definitions.values()
            return [d for defs in exports for d in defs]
        return self.view.top_level(file)

    def module_offer(self, files: Iterable[str]) -> list[Definition]:
        """What `module.` offers from a module's files, one definition per name (a type and
        a value of one name in TypeScript: both): a Go package of another directory only
        its exported names, never `_`."""
        foreign_go = self.language_id == "go"
        here = _dir(self.current)
        offer: dict[tuple[str, bool], Definition] = {}
        for file in files:
            if file == self.current:
                continue
            exported_only = foreign_go and _dir(file) != here
            for definition in self._module_names(file):
                name = definition.name
                key = (name, definition.kind in TYPE_KINDS)
                if name == "_" or key in offer or (exported_only and not name[:1].isupper()):
                    continue
                offer[key] = definition
        return list(offer.values())

    @staticmethod
    def _module_usage(alias: str, uses: dict[str, NameUse], file_counts: dict[str, int]) -> float:
        """How much the code around the cursor works with a module (0: not at all yet)."""
        near = uses.get(alias)
        near_weight = near.bare + near.attr if near is not None else 0.0
        return min(1.0, near_weight) + MODULE_PER_USE * min(file_counts.get(alias, 0), 10)

    def _module_name_weight(
        self, definition: Definition, usage: float, used: int, total: int = 0
    ) -> float:
        """A module's top-level name, by the module's use here, the name's use in this
        file (relative to the `total` uses of the module's most used name: what this file
        calls most from a module is what it likely calls next) and how well it fits the
        words of the line being written."""
        # (a name also used near the cursor gets its receiver's weight from `_add_attr` on
        # top: never less than a name only used further up)
        weight = PRIOR_IMPORTED + PER_USE * min(used, 10) if used else 0.0
        if used and total:
            weight += usage * W_SHARE * used / total
        fit = self.line_words.fit(definition.name) if self.line_words is not None else 0.0
        fit = max(fit, self.imports.declaration_fit(definition.name))
        weight += usage * (PRIOR_PACKAGE + W_FIT * fit)
        if definition.name.startswith("_") and not self.imports.explicit_exports:
            weight *= 0.5
        if definition.kind not in TOP_KINDS:
            weight *= 0.5
        return weight

    def _add_package_names(self, uses: dict[str, NameUse], file_counts: dict[str, int]) -> None:
        """Go/Java: names of this package used above the near window (no import needed)."""
        here = _dir(self.current)
        frequent = sorted(
            (n for n in file_counts if n not in uses and n not in self.modules and len(n) > 2),
            key=lambda n: -file_counts[n],
        )[:PACKAGE_NAMES]
        for name in frequent:
            for definition in self.view.definitions(name, NOT_MEMBERS):
                if (
                    _dir(definition.path) == here
                    and definition.path != self.current
                    and definition.kind in TOP_KINDS
                ):
                    weight = PRIOR_IMPORTED + PER_USE * min(file_counts[name], 10)
                    self.out.add(definition, W_IMPORTED * weight, "name")

    def _add_package_outline(self, file_counts: dict[str, int]) -> None:
        """Go/Java: the top-level declarations of the other files of this package, those
        this file uses, those beside them, or whose words fit the line first."""
        files = self.package_files(_dir(self.current))
        offer = [d for d in self.module_offer(files) if d.kind in TOP_KINDS]
        used_in: dict[str, int] = {}  # file -> how many of its names this file uses
        if self.language_id != "rust":  # (a Rust directory is not a module: names come by `use`)
            for definition in offer:
                if file_counts.get(definition.name):
                    used_in[definition.path] = used_in.get(definition.path, 0) + 1
        near = [*self._above[-SWITCH_LINES:], self._cursor_line]
        cases = case_types(near) if self.language_id == "go" else None
        same_kind = same_kind_types(self.view, cases, offer) if cases else set()
        scored: list[tuple[float, Definition]] = []
        for definition in offer:
            used = PER_USE * min(file_counts.get(definition.name, 0), 10)
            fit = self.line_words.fit(definition.name) if self.line_words is not None else 0.0
            siblings = PER_SIBLING_USE * min(used_in.get(definition.path, 0), SIBLING_USES)
            case = W_SAME_KIND if definition.name in same_kind else 0.0
            scored.append(
                (PRIOR_PACKAGE + used + PRIOR_PACKAGE * fit + siblings + case, definition)
            )
        for weight, definition in heapq.nlargest(PACKAGE_OUTLINE, scored, key=_first):
            self.out.add(definition, W_IMPORTED * weight, "name")

    def _add_bare(self, name: str, weight: float, view_start: int) -> None:
        if name in self.bindings:
            file, original = self.bindings[name]
            defs = self.resolve_in(original, (file,))
            for definition in defs[:MAX_DEFS_PER_NAME]:
                self.out.add(definition, W_IMPORTED * weight, "name")
            if defs or name in self.modules:
                return
        if name in self.modules:
            return
        if self.star_files:
            defs = self.resolve_in(name, self.star_files)
            if defs:
                for definition in defs[:MAX_DEFS_PER_NAME]:
                    self.out.add(definition, W_IMPORTED * weight, "name")
                return
        defs = [
            d
            for d in self.view.definitions(name, NOT_MEMBERS)
            if d.kind in TOP_KINDS or (d.kind == "variable" and d.container is None)
        ]
        local = [d for d in defs if d.path == self.current]
        if local:
            for definition in local:
                if definition.line < view_start and definition.kind != "variable":
                    self.out.add(definition, W_LOCAL_OUT_OF_VIEW * weight, "local")
            return
        defs = [
            d
            for d in defs
            if (d.kind != "variable" or d.container is None)
            and (d.kind != "function" or not self._nested(d))
        ]
        if not defs:
            return
        ranked = sorted(defs, key=self._location_factor, reverse=True)[:MAX_DEFS_PER_NAME]
        share = 1.0 / max(1.0, len(defs) ** 0.5)
        for definition in ranked:
            self.out.add(definition, weight * self._location_factor(definition) * share, "name")

    def _nested(self, definition: Definition) -> bool:
        """A definition local to a function of another file (a closure named `app`, a
        test's `child1`): not something this file can call, and often the same header
        several times."""
        if (
            definition.container is None
            or definition.kind != "function"  # methods, fields: members of a class
            or definition.path == self.current
        ):
            return False
        return any(
            d.kind in ("function", "method") and d.line < definition.line <= d.end_line
            for d in self.view.named_in(definition.container, definition.path)
        )

    def _add_attr(self, name: str, use: NameUse, count_bonus: float) -> None:
        weight = use.attr + count_bonus
        handled = 0.0
        for receiver, receiver_weight in use.receivers.items():
            module = self.module_named(receiver)
            if module is None:
                continue
            defs = self.resolve_in(name, module.files)
            for definition in defs[:MAX_DEFS_PER_NAME]:
                self.out.add(definition, W_MODULE_ATTR * (receiver_weight + count_bonus), "name")
            if defs:
                handled += receiver_weight
        rest = weight - handled
        if rest <= 0.05 or len(name) < 2:
            return
        self_weight = sum(w for r, w in use.receivers.items() if r in ("self", "this", "cls"))
        typed = {self.receiver_types[r] for r in use.receivers if r in self.receiver_types}
        for receiver in use.receivers:
            if receiver not in self.receiver_types and receiver not in ("self", "this", "cls"):
                typed.update(d.name for d, _ in self._guessed(receiver))
        classes = self.out.container_classes
        many = self.view.member_counts((name,))[name]
        if many > COMMON_MEMBERS:
            known = typed | {container for container, _path in classes}
            found = self.view.members_named(name, known) + self.view.definitions(name, ONLY_NESTED)
        else:
            found = self.view.definitions(name, CONTAINED)
        defs = [
            d
            for d in found
            if d.kind in MEMBER_KINDS
            and d.path != self.current
            and (d.kind != "function" or not self._nested(d))
        ]
        if not defs:
            return
        # a common name's members all count in the share, read or not
        counted = many if many > COMMON_MEMBERS else len(defs)

        def contained(definition: Definition) -> bool:
            return (definition.container or "", definition.path) in classes

        def factor(definition: Definition) -> float:
            if definition.container in typed:
                return W_SELF_MEMBER
            if contained(definition):
                return W_SELF_MEMBER if self_weight else W_NEAR_FILE
            return self._location_factor(definition)

        ranked = sorted(defs, key=factor, reverse=True)[:MAX_ATTR_DEFS]
        share = 1.0 / max(1.0, counted**0.5)
        for definition in ranked:
            f = factor(definition)
            s = 1.0 if contained(definition) or definition.container in typed else share
            self.out.add(definition, rest * f * s, "member")

    # -- the receiver at the cursor and inferred types -------------------------------------

    def add_call_types(self, calls: dict[str, str], entered: bool = False) -> None:
        """`x = make()` where `make` declares its return type: x has that type
        (`loop = IOLoop.current()`: the `current` of class IOLoop first; `d = self.build()`:
        the enclosing class's and its bases' `build` first). `entered`: the calls' context
        managers are entered (`with open_nursery() as n`: what `__enter__` gives)."""
        for variable, call in calls.items():
            receiver, _dot, function = call.rpartition(".")
            if variable in self.receiver_types or len(function) < 2:
                continue
            if function in self.bindings and not receiver:
                file, original = self.bindings[function]
                defs = self.resolve_in(original, (file,))
            else:
                defs = sorted(
                    self.view.definitions(function),
                    key=lambda d: self._call_owner_rank(d, receiver),
                )[:3]
            for definition in defs:
                if definition.kind in CLASS_KINDS:  # `with Lock() as lock`
                    found: str | None = definition.name
                else:
                    found = self._return_class(definition, entered)
                    if found is None and not entered:
                        found = alternate_constructor(definition, receiver)
                if found:
                    self.receiver_types[variable] = found
                    break

    def _call_owner_rank(self, definition: Definition, receiver: str) -> int:
        """0: the definition belongs to the call's receiver (`IOLoop.current`, `self.f`)."""
        container = definition.container
        if receiver in ("self", "cls", "this"):
            return 0 if (container or "", definition.path) in self.out.container_classes else 1
        if receiver[:1].isupper():
            return 0 if container == receiver else 1
        return 0 if container is None else 1

    def _return_class(self, definition: Definition, entered: bool = False) -> str | None:
        """The class a function's declared return type names (`-> Optional["IOLoop"]`:
        IOLoop; `-> Self`: its own class)."""
        signature = definition.signature
        if self.language_id == "python":
            arrow = signature.rfind("->")
            if arrow < 0:
                return None
            annotation = signature[arrow + 2 :].rstrip().removesuffix(":")
            if annotation.strip().strip("\"'") in ("Self", "typing.Self", "t.Self"):
                return definition.container
            return entered_class(annotation) if entered else annotation_class(annotation)
        match = _RETURN_TYPE.search(signature)
        return (match.group(1) or match.group(2)) if match else None

    def type_classes(self, type_name: str) -> list[Definition]:
        """The class definitions a type name refers to (imported one first)."""
        if type_name in self.bindings:
            file, original = self.bindings[type_name]
            classes = self.resolve_in(original, (file,))
        else:
            classes = sorted(
                self.view.definitions(type_name, NOT_MEMBERS),
                key=self._location_factor,
                reverse=True,
            )
        return [c for c in classes if c.kind in CLASS_KINDS][:2]

    def add_typed_receivers(self, uses: dict[str, NameUse]) -> None:
        """Variables of a known class used near the cursor: that class's outline."""
        self._prefetch_receiver_classes(uses)
        for variable, type_name in self.receiver_types.items():
            use = uses.get(variable)
            if use is None or variable in ("self", "this"):
                continue
            weight = (use.bare + use.attr) * W_NEAR_FILE
            chain = self.with_bases(self.type_classes(type_name))
            for definition, share in api_shares(self.view, chain):
                self.out.contain(definition)
                self.out.add(definition, weight * share, "base")
        # receivers of unknown type (`config.getoption(...)` above): guessed by their name
        receivers = {r for use in uses.values() for r in use.receivers}
        for variable in sorted(receivers):
            use = uses.get(variable)
            if (
                use is None
                or variable in self.receiver_types
                or variable in self.modules
                or variable in self.bindings
                or variable in ("self", "this", "cls")
            ):
                continue
            weight = (use.bare + use.attr) * W_NEAR_FILE * W_GUESSED
            for definition, share in self._guessed(variable):
                self.out.contain(definition)
                self.out.add(definition, weight * share, "base")

    def add_receiver(
        self,
        receiver: str,
        partial: str,
        cls: Definition | None,
        file_counts: dict[str, int] | None = None,
        member_uses: dict[str, int] | None = None,
    ) -> None:
        """The cursor follows `receiver.`: outline what the receiver offers, and the members
        that fit (`member_uses`: how often the file calls each name on `receiver.`)."""
        used = member_uses or {}
        if receiver in ("self", "this", "cls"):
            if cls is not None:
                self.out.add(cls, W_CURSOR, "base")
                mro = [(cls, 1.0)] + [(b, W_BASE_OF_RECEIVER) for b in self.enclosing_bases]
                self._add_fitting_members(mro, partial, used, W_CURSOR, siblings=False)
            return
        module = (
            self.imports.rust_path_at_cursor(self._cursor_line)
            or self._submodule_at_cursor()
            or self.module_named(receiver)
            or self.imports.namespace_member(receiver)
        )
        if module is not None:
            self._cursor_module = (tuple(self.expand(module.files)), partial)
            self._add_module_members(module, receiver, partial, file_counts or {})
            return
        type_name = self.receiver_types.get(receiver)
        weight = W_CURSOR
        if type_name is not None:
            classes = self.type_classes(type_name)
        else:
            classes = self.classes_named_like(receiver) or classes_by_members(
                self.view, used | self._members_read(receiver)
            )
            weight = W_CURSOR * W_GUESSED
        with_bases = self.with_bases(classes)
        for definition, share in api_shares(self.view, with_bases):
            self.out.contain(definition)
            self.out.add(definition, weight * share, "base")
        self._add_fitting_members(with_bases, partial, used, weight)

    def _members_read(self, receiver: str) -> dict[str, int]:
        """The members the lines above read on `receiver` (`G.nodes`, `G.adj[u]`), calls
        or not: what it has is evidence of what it is, as much as what it does."""
        return qualified_uses(self._text_above(), receiver)

    def _submodule_at_cursor(self) -> ModuleTarget | None:
        """Python `nx.utils.|`: the submodule of a package a chain of names reaches from
        an imported module (its last name alone may name another module, or none)."""
        chain = chain_at_cursor(self._cursor_line) if self.language_id == "python" else []
        module = self.module_named(chain[0]) if chain else None
        for name in chain[1:]:
            if module is None or len(module.files) != 1 or not is_package_init(module.files[0]):
                return None
            file = self.view.python_modules().path(f"{_dir(module.files[0])}/{name}")
            module = ModuleTarget((file,)) if file and self.view.allowed(file) else None
        return module

    def _add_fitting_members(
        self,
        classes: list[tuple[Definition, float]],
        partial: str,
        used: dict[str, int],
        weight: float,
        siblings: bool = True,
    ) -> None:
        """Members of the receiver's classes (own and inherited, the most derived first)
        that start with what is typed or, with nothing typed, that the file already calls on
        this receiver or whose words the line uses (a big class's skeleton may not list
        them)."""
        top = max(used.values(), default=0)
        # `compare_indexes`, `compare_unique_constraint` called on it: `compare_check_...`
        # is a sibling of what the file does with this receiver
        # (not for `self.`: a class calls many of its own members, their words fit too many)
        similar = LineWords([])
        for name in used if siblings else ():
            similar.add(name, 1.0)
        seen: set[str] = set()
        fitting: list[tuple[float, Definition]] = []
        for definition, share in classes:
            for member in self.view.members(definition.name, definition.path):
                name = member.name
                if name in seen or member.kind not in CALLABLE_MEMBER_KINDS:
                    continue
                seen.add(name)
                if partial:
                    factor = 1.0 if name.startswith(partial) else 0.0
                else:
                    factor = 0.5 + 0.5 * used[name] / top if used.get(name) else 0.0
                    # `timeout_handle = io_loop.|`: `add_timeout` fits the line's words
                    fit = self.line_words.fit(name) if self.line_words is not None else 0.0
                    if fit >= MEMBER_FIT_MIN:
                        factor = max(factor, fit)
                    sibling = similar.fit(name) if not factor else 0.0
                    if sibling >= SIBLING_FIT_MIN:
                        factor = W_SIBLING * sibling
                if factor > 0:
                    fitting.append((weight * share * factor, member))
        # the best fitting of the whole chain (a base's most used member before a derived
        # class's least used one)
        for score, member in heapq.nlargest(MAX_FITTING_MEMBERS, fitting, key=_first):
            self.out.add(member, score, "member")
            self.cursor_members.add(member.name)

    def _add_module_members(
        self, module: ModuleTarget, alias: str, partial: str, counts: dict[str, int]
    ) -> None:
        for weight, definition in self.ranked_members(module, alias, partial, counts):
            self.out.add(definition, W_CURSOR * weight, "name")

    def ranked_members(
        self, module: ModuleTarget, alias: str, partial: str, counts: dict[str, int]
    ) -> list[tuple[float, Definition]]:
        """`module.` / `module.pa|`: the names of the module (all files of a Go package)
        that start with what is typed, those this file already uses or that fit the line
        first (a big module does not fit whole); a name typed in another case last.
        Best first, one definition per name."""
        lowered = partial.lower()
        scored: list[tuple[float, Definition]] = []
        offer = self.module_offer(self.expand(module.files))
        used = self.module_name_uses(alias, counts, offer)
        total = max(used.values(), default=0)
        for definition in offer:
            if definition.name.startswith(partial):
                bonus = 0.5
            elif definition.name.lower().startswith(lowered):
                bonus = 0.1
            else:
                continue
            weight = self._module_name_weight(definition, 1.0, used[definition.name], total)
            scored.append((bonus + weight, definition))
        scored.sort(key=_rank_key)
        return scored[: 2 * MODULE_NAMES]

    def members_of_module(
        self, receiver: str, partial: str, counts: dict[str, int]
    ) -> list[Definition] | None:
        """What `receiver.` offers when `receiver` names a module (None: it does not), best
        first: the same answer the context uses, for the offline completion items."""
        module = self.module_named(receiver) or self.imports.namespace_member(receiver)
        if module is None:
            return None
        return [d for _w, d in self.ranked_members(module, receiver, partial, counts)]

    def with_bases(self, classes: list[Definition]) -> list[tuple[Definition, float]]:
        """The classes and their bases up the inheritance chain (where inherited members
        live: a widget's `post_message` may be four bases up), weighted less per level."""
        out = [(c, 1.0) for c in classes]
        level = list(classes)
        share = 1.0
        for _depth in range(BASE_DEPTH):
            share *= W_BASE_OF_RECEIVER
            following: list[Definition] = []
            for cls in level:
                for position, definition in enumerate(self._bases_of(cls)[:2]):
                    if len(out) < MAX_CLASSES and all(definition != d for d, _ in out):
                        # the first base comes first in the method resolution order
                        out.append((definition, share * (1.0 - W_LATER_BASE * position)))
                        following.append(definition)
            if not following:
                break
            level = following
        return out

    def _bases_of(self, cls: Definition) -> list[Definition]:
        """The first class each base of `cls` refers to, in order (never `cls` itself)."""
        out: list[Definition] = []
        if self.language_id == "python":
            refs = python_bases(cls.signature)
        else:
            refs = [("", name) for name in base_names(cls.signature, self.language_id)]
        for qualifier, base in refs:
            found = [d for d in self._base_classes(base, cls.path, qualifier) if d != cls]
            out.extend(found[:1])
        return out

    def _base_classes(self, base: str, path: str, qualifier: str = "") -> list[Definition]:
        """The class a base name in `path` refers to: imported there (`virtual.Channel`:
        through the module `virtual` imported there), or by name."""
        named = [d for d in self.view.definitions(base, NOT_MEMBERS) if d.kind in CLASS_KINDS]
        if len(named) == 1 and not qualifier:
            return named  # one class of that name: no need to read the file's imports
        modules = self.view.python_modules() if path.endswith(PY_EXTS) else None
        if modules is not None:
            for binding in modules.bindings(path, self.view.imports_of(path)):
                if qualifier:
                    if binding.local != qualifier or binding.member is not None:
                        continue
                    defs = self.resolve_in(base, (binding.file,))
                elif binding.local == base and binding.member not in (None, "*"):
                    defs = self.resolve_in(binding.member or base, (binding.file,))
                else:
                    continue
                return [d for d in defs if d.kind in CLASS_KINDS]
        return sorted(named, key=lambda d: (d.path != path, self._location_factor(d) * -1))

    def _guessed(self, receiver: str) -> list[tuple[Definition, float]]:
        """`classes_named_like` and their bases, once per receiver."""
        hit = self._guesses.get(receiver)
        if hit is None:
            hit = self._guesses[receiver] = self.with_bases(self.classes_named_like(receiver))
        return hit

    def classes_named_like(self, variable: str) -> list[Definition]:
        """A receiver of unknown type, by its name: `protocol` -> `JsonRPCProtocol`,
        `text_document` -> `TextDocument`. Imported classes first, then exact names."""
        wanted = words(variable)
        if not wanted:
            return []
        found: list[Definition] = []
        for local, (file, original) in self.bindings.items():
            if local[:1].isupper() and wanted <= words(local):
                found.extend(self.resolve_in(original, (file,)))
        camel = _camel(variable)
        if camel:
            found.extend(
                sorted(
                    self.view.definitions(camel, NOT_MEMBERS),
                    key=self._location_factor,
                    reverse=True,
                )
            )
        classes = [d for d in found if d.kind in CLASS_KINDS]
        classes.sort(key=lambda d: len(d.name))  # the closest fit: fewest other words
        unique: list[Definition] = []
        for definition in classes:  # the first two different ones (a name's hundred defs)
            if definition not in unique:
                unique.append(definition)
                if len(unique) == 2:
                    break
        return unique

    # -- enclosing scope --------------------------------------------------------------------

    def enclosing(
        self, line: int, lines: list[str] | None = None
    ) -> tuple[Definition | None, Definition | None]:
        """The innermost class and function around `line` in the current file.

        At the end of an edited file the cursor often sits on an indented line after the
        last statement of a block, one line past the block's syntactic end: indentation
        decides then.
        """
        if lines is not None:
            self.read_source(lines)
        cls = func = None
        indent = _indent(lines[line]) if lines is not None and line < len(lines) else -1
        for definition in self.view.file_definitions(self.current):
            inside = definition.line <= line <= definition.end_line
            if not inside and lines is not None and definition.line < line:
                inside = (
                    definition.end_line < line
                    and indent > definition.column
                    and all(
                        not lines[i].strip() or _indent(lines[i]) > definition.column
                        for i in range(definition.end_line + 1, line)
                    )
                )
            if not inside:
                continue
            if definition.kind in CLASS_KINDS:
                if cls is None or definition.line >= cls.line:
                    cls = definition
            elif definition.kind in ("function", "method") and (
                func is None or definition.line >= func.line
            ):
                func = definition
        return cls, func

    def add_bases(self, cls: Definition) -> list[Definition]:
        """Skeletons of the direct base classes of the class around the cursor; returns
        them and their own bases up the chain."""
        self.out.contain(cls)
        direct: list[Definition] = []
        if self.language_id == "python":
            refs = python_bases(cls.signature)
        else:
            refs = [("", name) for name in base_names(cls.signature, self.language_id)]
        for position, (qualifier, base) in enumerate(refs):
            module = self.module_named(qualifier) if qualifier else None
            if module is not None:  # `class Channel(virtual.Channel)`
                defs = self.resolve_in(base, self.expand(module.files))
            elif base in self.bindings:
                file, original = self.bindings[base]
                defs = self.resolve_in(original, (file,))
            else:
                defs = [
                    d for d in self.view.definitions(base, NOT_MEMBERS) if d.kind in CLASS_KINDS
                ]
                defs = sorted(defs, key=self._location_factor, reverse=True)[:2]
            for definition in defs:
                if definition.kind in CLASS_KINDS and definition != cls:
                    self.out.contain(definition)
                    weight = W_BASE * max(0.5, 1.0 - W_LATER_BASE * position)
                    self.out.add(definition, weight, "base")
                    direct.append(definition)
        # their bases: where inherited members live (`self.post_message` four levels up),
        # not outlined (big skeletons the packer would weigh for every cursor in the class)
        found = list(direct)
        for definition, _share in self.with_bases(direct)[len(direct) :]:
            if definition not in found and definition != cls:
                self.out.contain(definition)
                found.append(definition)
        self.enclosing_bases = found
        return found


def _camel(variable: str) -> str:
    """`text_document` -> `TextDocument`: the class a variable's name suggests."""
    return "".join(part[:1].upper() + part[1:] for part in variable.split("_") if part)


def _first(item: tuple[float, Definition]) -> float:
    return item[0]


def _rank_key(item: tuple[float, Definition]) -> tuple[float, int, str]:
    """Best weight first, then shorter names (closest to what is typed), then by name: a
    total order, so that equal weights never depend on the order definitions came in."""
    return (-item[0], len(item[1].name), item[1].name)


def python_bases(signature: str) -> list[tuple[str, str]]:
    """`class A(virtual.Channel, C[T], metaclass=M):` -> [("virtual", "Channel"), ("", "C")]:
    the qualifier says where a base of the same name as the class comes from."""
    match = _PY_BASES.match(signature.strip())
    if not match:
        return []
    out: list[tuple[str, str]] = []
    for part in match.group(1).split(","):
        part = part.strip()
        if not part or "=" in part or part.startswith("*"):
            continue
        qualifier, _dot, name = part.split("[", 1)[0].strip().rpartition(".")
        if name.isidentifier() and name not in ("object", "Generic"):
            out.append((qualifier, name))
    return out


def _indent(line: str) -> int:
    stripped = line.lstrip()
    return len(line) - len(stripped) if stripped else len(line)


def base_names(signature: str, language_id: str) -> list[str]:
    """`class A(b.B, C, metaclass=M):` -> ["B", "C"]; `class A extends B implements C` too."""
    if language_id == "python":
        return [name for _qualifier, name in python_bases(signature)]
    names: list[str] = []
    match = _EXTENDS.search(signature)
    if match:
        for part in re.split(r"[,\s]+|\b(?:extends|implements)\b", match.group(1)):
            part = part.split("<", 1)[0].split(".")[-1].strip()
            if part and re.fullmatch(r"[\w$]+", part) and part not in ("extends", "implements"):
                names.append(part)
    return names
