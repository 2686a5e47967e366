"""Python modules of a repository, and what each import of a file binds to.

The index stores one resolved file per import statement; that cannot say that
`from shop import pricing, models` binds two *modules*, or that `import shop.pricing as p`
binds `p` to `shop/pricing.py`. `PythonModules` answers it per name, from the set of
indexed files alone (no reads), so the context assembly and the offline `module.` completion
resolve imports the same way.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, Protocol

from .model import Definition, Import

PY_EXTS = (".py", ".pyi")
#: Answers of `bindings` kept per import list (the same few files ask on every keystroke).
_BINDINGS_MAX = 4096
#: Source roots preferred, in order, when a dotted module matches several files.
_ROOTS = {"": 0, "src": 1, "lib": 2}


class Binding(NamedTuple):
    """A name an import binds in the importing file.

    `member` is None when the name is the module `file` itself (`from pkg import mod`,
    `import pkg.mod as m`); otherwise the name `member` defined in (or re-exported by)
    `file` (`from pkg.mod import func`), "*" for a star import.
    """

    local: str
    file: str
    member: str | None
    line: int


def _stem_parts(path: str) -> list[str]:
    parts = path.rsplit(".", 1)[0].split("/")
    return parts[:-1] if parts[-1] == "__init__" else parts


def is_package_init(path: str) -> bool:
    return path.endswith(("/__init__.py", "/__init__.pyi")) or path in (
        "__init__.py",
        "__init__.pyi",
    )


class PythonModules:
    """Dotted module names -> repository files (src-layout, namespace packages included)."""

    def __init__(self, files: Iterable[str]) -> None:
        # a set passed in is shared, not copied: the resolver adds new files to it
        self.files: set[str] = files if isinstance(files, set) else set(files)
        self._suffix: dict[str, list[str]] = defaultdict(list)
        self._indexed: set[str] = set()
        self._bindings: dict[tuple[str, tuple[Import, ...]], list[Binding]] = {}
        for path in sorted(self.files):
            self.add(path)

    def add(self, path: str) -> None:
        """Learn one more file (a new file seen by the index)."""
        self._bindings = {}
        self.files.add(path)
        if path in self._indexed or not path.endswith(PY_EXTS):
            return
        self._indexed.add(path)
        parts = _stem_parts(path)
        for i in range(len(parts)):
            self._suffix[".".join(parts[i:])].append(path)

    def path(self, stem: str) -> str | None:
        """The module file for a path stem (`shop/pricing` -> `shop/pricing.py`)."""
        for candidate in (
            f"{stem}.py",
            f"{stem}.pyi",
            f"{stem}/__init__.py",
            f"{stem}/__init__.pyi",
        ):
            if candidate in self.files:
                return candidate
        return None

    def module(self, dotted: str, importer: str) -> str | None:
        """The file of an absolute dotted module, as imported from `importer`."""
        candidates = self._suffix.get(dotted)
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        depth = dotted.count(".") + 1

        def score(path: str) -> tuple[int, int, str]:
            # the part before the module path is its source root: prefer "", src/, lib/,
            # then a root shared with the importer, then the shortest
            stem = _stem_parts(path)
            prefix = "/".join(stem[: len(stem) - depth])
            rank = _ROOTS.get(prefix, 4)
            if rank == 4 and prefix and importer.startswith(prefix + "/"):
                rank = 3
            return (rank, len(path), path)

        return min(candidates, key=score)

    @staticmethod
    def relative_stem(importer: str, module: str) -> str:
        """`from ..a import b` in `pkg/sub/m.py` -> the stem `pkg/a` ("" for the root)."""
        level = len(module) - len(module.lstrip("."))
        base = importer.rsplit("/", 1)[0] if "/" in importer else ""
        for _ in range(level - 1):
            base = base.rsplit("/", 1)[0] if "/" in base else ""
        rest = module[level:].replace(".", "/")
        return "/".join(p for p in (base, rest) if p)

    def _stem_file(self, stem: str) -> str | None:
        return self.path(stem) if stem else self.path("__init__")

    def target(self, importer: str, module: str) -> tuple[str | None, str | None]:
        """(file, stem) of the module an import names; the stem locates submodules
        (None for an absolute import, whose submodules are found by dotted name)."""
        if module.startswith("."):
            stem = self.relative_stem(importer, module)
            return self._stem_file(stem), stem
        return self.module(module, importer), None

    def submodule(self, importer: str, module: str, name: str) -> str | None:
        """`from module import name` where `name` is a module of the package `module`."""
        if module.startswith("."):
            stem = self.relative_stem(importer, module)
            return self.path(f"{stem}/{name}" if stem else name)
        return self.module(f"{module}.{name}", importer)

    def bindings(self, importer: str, imports: Iterable[Import]) -> list[Binding]:
        """What each import of `importer` binds, in source order (repository targets only)."""
        key = (importer, tuple(imports))
        hit = self._bindings.get(key)
        if hit is None:
            if len(self._bindings) >= _BINDINGS_MAX:
                self._bindings.clear()
            hit = self._bindings[key] = self._bind(importer, key[1])
        return list(hit)

    def _bind(self, importer: str, imports: Iterable[Import]) -> list[Binding]:
        out: list[Binding] = []
        for imp in imports:
            aliases = dict(imp.aliases)
            if not imp.names:  # `import a.b.c` / `import a.b.c as x`
                file = self.module(imp.module, importer)
                if file is None:
                    continue
                alias = aliases.get(imp.module)
                if alias:
                    out.append(Binding(alias, file, None, imp.line))
                    continue
                # `a.b.c.f()`: the full chain is bound; `c` stands for it as a receiver
                out.append(Binding(imp.module, file, None, imp.line))
                head = imp.module.split(".")[0]
                head_file = self.module(head, importer)
                if head_file is not None and head != imp.module:
                    out.append(Binding(head, head_file, None, imp.line))
                continue
            package, _stem = self.target(importer, imp.module)
            for name in imp.names:
                local = aliases.get(name, name)
                if name == "*":
                    if package is not None:
                        out.append(Binding("*", package, "*", imp.line))
                    continue
                sub = self.submodule(importer, imp.module, name)
                if sub is not None and sub != importer:
                    out.append(Binding(local, sub, None, imp.line))
                elif package is not None and package != importer:
                    out.append(Binding(local, package, name, imp.line))
        return out


_cache_lock = threading.Lock()
_cache: list[tuple[Sequence[str], PythonModules]] = []


def modules_for(files: Sequence[str]) -> PythonModules:
    """A `PythonModules` for this list of files, reused while the list stays the same
    (the context asks on every keystroke; rebuilding costs ~1 ms per 1,000 files)."""
    with _cache_lock:
        for known, modules in _cache:
            if known is files or known == files:
                return modules
    modules = PythonModules(files)
    with _cache_lock:
        _cache.insert(0, (files, modules))
        del _cache[4:]
    return modules


#: Re-export hops followed from a module to where a name is defined
#: (`trio/__init__` -> `trio/_core/__init__` -> `_run.py` -> `from ._generated_run import *`).
REEXPORT_DEPTH = 3


#: A package's `from .sub import *` are followed this many packages down (`networkx`
#: star-imports `networkx.algorithms`, which star-imports `networkx.algorithms.core`), and
#: at most this many modules in all for one `module.` (a bound on the rows read).
STAR_DEPTH = 2
STAR_MODULES_MAX = 160


class NamedLookup(Protocol):
    """Top-level definitions found by name, not by reading their files' whole lists: a
    package's `__init__` re-exports a name or two from each of dozens of modules."""

    def prefetch_top(self, names: list[str]) -> None: ...

    def top_named(self, path: str, name: str) -> list[Definition]: ...


def exported(
    file: str,
    modules: PythonModules,
    definitions_of: Callable[[str], list[Definition]],
    imports_of: Callable[[str], list[Import]],
    prefetch: Callable[[list[str]], None] | None = None,
    _followed: set[str] | None = None,
    _depth: int = 0,
    named: NamedLookup | None = None,
) -> list[Definition]:
    """The top-level names `module.` offers: the file's own, then the names it re-exports,
    followed to where they are defined: all a package's `__init__` imports (the public
    names of the modules it star-imports too, `prefetch`ed together), and in any module
    the explicit re-exports (`from ._socket import socket as socket`). `named`: those names
    are looked up by name, not in the whole lists of the modules they come from."""
    own = [
        d
        for d in definitions_of(file)
        if d.container is None and not (d.name.startswith("__") and d.name.endswith("__"))
    ]
    imports = imports_of(file)
    if is_package_init(file):
        shown = None  # every imported name
    else:
        shown = {a for imp in imports for n, a in imp.aliases if a == n}
        if not shown:
            return own
    seen = {d.name for d in own}

    def top_level(path: str, name: str) -> list[Definition]:
        return [d for d in definitions_of(path) if d.container is None and d.name == name]

    stars: list[str] = []
    reexports: list[tuple[str, str]] = []  # (file, name)
    for binding in modules.bindings(file, imports):
        if binding.member == "*":
            if shown is None:
                stars.append(binding.file)
            continue
        if binding.member is None or binding.local in seen:
            continue
        if shown is not None and binding.local not in shown:
            continue
        seen.add(binding.local)
        reexports.append((binding.file, binding.member))
    lookup = top_level
    if named is not None:
        lookup = named.top_named
        named.prefetch_top([name for _file, name in reexports])
    for source, member in reexports:
        own.extend(defined_in(source, member, modules, lookup, imports_of))
    followed = _followed if _followed is not None else {file}
    stars = [f for f in dict.fromkeys(stars) if f not in followed]
    stars = stars[: max(0, STAR_MODULES_MAX - len(followed))]
    if not stars or _depth >= STAR_DEPTH:
        return own
    followed.update(stars)
    if prefetch is not None:
        prefetch(stars)
    for star in stars:
        found = exported(
            star, modules, definitions_of, imports_of, prefetch, followed, _depth + 1, named
        )
        for d in found:
            if d.name not in seen and not d.name.startswith("_"):
                seen.add(d.name)
                own.append(d)
    return own


def defined_in(
    file: str,
    name: str,
    modules: PythonModules,
    top_level: Callable[[str, str], list[Definition]],
    imports_of: Callable[[str], list[Import]],
    depth: int = 0,
) -> list[Definition]:
    """The top-level definitions of `name` in `file` (`top_level(file, name)`), or where
    `file` imports it from (by name or through a star import), up to `REEXPORT_DEPTH` hops."""
    defs = top_level(file, name)
    if defs or depth >= REEXPORT_DEPTH:
        return defs
    stars: list[str] = []
    for binding in modules.bindings(file, imports_of(file)):
        if binding.file == file:
            continue
        if binding.member == "*":
            stars.append(binding.file)
        elif binding.local == name and binding.member is not None:
            member = binding.member
            return defined_in(binding.file, member, modules, top_level, imports_of, depth + 1)
    for star in stars:
        defs = defined_in(star, name, modules, top_level, imports_of, depth + 1)
        if defs:
            return defs
    return []
