"""What the imports of one file bind: per local name a module (its files), a member of a
module, or a star import, read per language from the index's imports (and, for CommonJS
`require`, from the source lines).

One reader per language, one answer for the context (`gather`) and the offline completion
items after `module.` (`members`).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lsp_server.index.jsmodules import (
    JsModules,
    declaration_above,
    declared_exports,
    require_bindings,
)
from lsp_server.index.model import Definition, Import
from lsp_server.index.resolve import rust_child_module, rust_crate_root, rust_parent_module
from lsp_server.index.walk import PRUNED_DIRS

from .relevance import words
from .skeleton import CLASS_KINDS
from .source import file_lines
from .view import IndexView, parent_dir

JS_LANGUAGES = frozenset(("javascript", "typescript", "tsx"))
RUST_TEST_MODULES = frozenset(("tests", "test"))  # `#[cfg(test)] mod tests;`

_WORD = re.compile(r"[A-Za-z_$][\w$]*")
ORDER_LOOKBACK = 3  # lines above the cursor whose imported names set the import order's place
_JS_ENDINGS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_RUST_PATH = re.compile(r"(?<![\w:])((?:crate|super|self)(?:::\w+)*)::\w*$")
_dir = parent_dir


@dataclass
class ModuleTarget:
    files: tuple[str, ...]  # files whose definitions the module exposes (a Go package: many)


def stem(path: str) -> str:
    """A module's name from its file: `pkg/__init__.py`, `lib/index.ts`, `a/mod.rs` name
    their directory."""
    base = posixpath.basename(path)
    name = base.split(".", 1)[0]
    if name in ("__init__", "index", "mod"):
        return posixpath.basename(_dir(path))
    return name


class FileImports:
    """The names one file's imports bind, read once per request."""

    def __init__(self, view: IndexView, current: str, language_id: str, tests: bool) -> None:
        self.view = view
        self.current = current
        self.language_id = language_id
        self.tests = tests  # the edited file is a test: `mod tests` is a module like any other
        self.bindings: dict[str, tuple[str, str]] = {}  # local -> (file, original name)
        self.binding_lines: dict[str, int] = {}  # local -> line of its import
        self.modules: dict[str, ModuleTarget] = {}  # local module alias -> its files
        self.star_files: list[str] = []
        self.imported_files: set[str] = set()
        self._requires: list[tuple[str, str]] = []  # CommonJS (module, file), see bind_requires
        self._requires_bound = False
        self._js: JsModules | None = None
        self._not_modules: set[str] = set()
        self._declaration_read = False
        self._declaration_words: frozenset[str] = frozenset()
        #: imported names likely next by the order of the imports (JS/TS, see bind_requires)
        self.next_in_order: dict[str, float] = {}
        self._read()

    def _read(self) -> None:
        if self.language_id == "python":
            self._read_python_imports()
            return
        if self.language_id in JS_LANGUAGES:
            self._read_js_imports()
        else:
            self._read_package_imports()
        for imp in self.view.imports_of(self.current):  # where each name was imported
            aliases = dict(imp.aliases)
            for name in imp.names:
                local = aliases.get(name, name)
                if local in self.bindings:
                    self.binding_lines.setdefault(local, imp.line)

    def _reachable_imports(self) -> Iterator[tuple[Import, str, dict[str, str]]]:
        """This file's imports that resolve to a file the context may read (recorded as
        imported), with their alias maps."""
        js = self.language_id in JS_LANGUAGES
        for imp in self.view.imports_of(self.current):
            target = imp.resolved
            if target is None and js:
                target = self._unindexed_js_file(imp.module)
            if target is None or not self.view.allowed(target):
                continue
            self.imported_files.add(target)
            yield imp, target, dict(imp.aliases)

    def _unindexed_js_file(self, module: str) -> str | None:
        """The file of a relative import that the index could not resolve because the file
        is not indexed (skipped as generated or too large: svelte's `import * as e from
        '../errors.js'`), found on disk; its exported names are read from its lines."""
        if not module.startswith("."):
            return None
        base = posixpath.normpath(posixpath.join(_dir(self.current), module))
        if base.startswith("..") or any(part in PRUNED_DIRS for part in base.split("/")):
            return None
        stem_path, ext = posixpath.splitext(base)
        stem_path = stem_path if ext in (".js", ".mjs", ".cjs", ".jsx") else base
        endings = ("", ".ts", ".tsx", ".js", ".mjs", "/index.ts", "/index.js")
        root = self.view.index.root
        for candidate in [base] + [stem_path + e for e in endings[1:]]:
            if candidate.endswith(_JS_ENDINGS) and os.path.isfile(root / candidate):
                return None if self._left_out_by_index(candidate) else candidate
        return None

    def _left_out_by_index(self, rel: str) -> bool:
        """Whether the index's own rules leave a file out (ignore files, index.exclude,
        privacy.exclude, dependency folders, minified names): such a file is not read,
        whatever the endpoint's exclusions say."""
        is_excluded = getattr(self.view.index, "is_excluded", None)
        if not callable(is_excluded):
            return False
        try:
            return bool(is_excluded(rel))
        except Exception:  # noqa: BLE001 - when in doubt, leave it out
            return True

    def _read_package_imports(self) -> None:
        for imp, target, aliases in self._reachable_imports():
            if self.language_id == "go":
                self._read_go_import(imp.module, imp.names, aliases, target)
            elif self.language_id == "rust":
                self._read_rust_import(imp.module, imp.names, aliases, target)
            elif self.language_id == "java":
                self._read_java_import(imp.names, target)
            else:
                self._read_other_import(imp.module, imp.names, aliases, target)

    def _read_go_import(
        self, module: str, names: tuple[str, ...], aliases: dict[str, str], target: str
    ) -> None:
        """`import "x/y/pkg"` (names = ("pkg",)): a package, i.e. all files of a directory."""
        package = ModuleTarget(("dir:" + _dir(target),))
        for name in names or (module.rsplit("/", 1)[-1],):
            local = aliases.get(name, name)
            if local == "_":
                continue
            if local == ".":
                self.star_files.append(package.files[0])
                continue
            if re.fullmatch(r"v\d+", local) and "/" in module:  # `.../pkg/v2` is `pkg`
                local = module.rstrip("/").split("/")[-2]
            self.modules[local] = package

    def _read_rust_import(
        self, module: str, names: tuple[str, ...], aliases: dict[str, str], target: str
    ) -> None:
        """`mod x;`, `use crate::a::b;`, `use super::x::{self, Y as Z, sub}`: each name
        is a module (a child file of the target) or an item of the target."""
        if not names:  # `mod x;` / `use x;`
            local = aliases.get(module, module.rsplit("::", 1)[-1])
            if local in RUST_TEST_MODULES and not self.tests:  # `#[cfg(test)] mod tests;`
                return
            self.modules[local] = ModuleTarget((target,))
            return
        for name in names:
            local = aliases.get(name, name)
            if name == "*":
                self.star_files.append(target)
            elif name == "self":
                self.modules[aliases.get("self", module.rsplit("::", 1)[-1])] = ModuleTarget(
                    (target,)
                )
            elif stem(target) == name and len(names) == 1:
                self.modules[local] = ModuleTarget((target,))
            else:
                child = rust_child_module(target, name, self.has_file)
                if child is not None:
                    self.modules[local] = ModuleTarget((child,))
                    self.imported_files.add(child)
                else:
                    self.bindings[local] = (target, name)

    def _read_java_import(self, names: tuple[str, ...], target: str) -> None:
        """`import a.b.C;` binds C; `import a.b.*;` the package a/b; `import static
        a.b.C.m;` the member m of C (found in C's file)."""
        for name in names:
            if name == "*":
                self.star_files.append("dir:" + _dir(target))
            else:
                self.bindings[name] = (target, name)

    def _read_other_import(
        self, module: str, names: tuple[str, ...], aliases: dict[str, str], target: str
    ) -> None:
        if not names:
            local = aliases.get(module) or module.rstrip("/").split("/")[-1].split(".")[-1]
            self.modules[local] = self.module(target)
            return
        for name in names:
            local = aliases.get(name, name)
            if name == "*":
                if local != "*":
                    self.modules[local] = self.module(target)
                else:
                    self.star_files.append(target)
                continue
            self.bindings[local] = (target, name)

    def _read_js_imports(self) -> None:
        """Named, default and namespace imports, `export ... from` through barrels, and
        CommonJS `require` (read from the source lines, see `read_source`)."""
        js = self.js_modules()
        for imp, target, aliases in self._reachable_imports():
            if not imp.names:  # `require('./x')`: bound by `read_source`
                self._requires.append((imp.module, target))
                continue
            for name in imp.names:
                local = aliases.get(name, name)
                if name == "*":
                    if local != "*":
                        self.modules[local] = ModuleTarget((target,))
                    else:
                        self.star_files.append(target)
                    continue
                found = js.resolve(target, name)
                if isinstance(found, str):  # a namespace re-exported by a barrel
                    self.modules[local] = ModuleTarget((found,))
                    continue
                self.bindings[local] = (target, name)
                if name == "default" and not (
                    isinstance(found, tuple) and any(d.kind in CLASS_KINDS for d in found)
                ):
                    # `import utils from './utils'`: often an object of functions (a
                    # default-exported class offers its members instead)
                    self.modules.setdefault(local, ModuleTarget((target,)))

    @property
    def explicit_exports(self) -> bool:
        """A module lists what it exports (JS/TS): a leading `_` on an exported name says
        nothing about privacy there (zod's `core._int64` is public API)."""
        return self.language_id in JS_LANGUAGES

    def declaration_fit(self, name: str) -> float:
        """0..1: the share of a module name's words that the name of the declaration
        the cursor is in uses (JS/TS, see `jsmodules.declaration_above`; read by
        `bind_requires`)."""
        parts = words(name)
        if not parts or not self._declaration_words:
            return 0.0
        return len(parts & self._declaration_words) / len(parts)

    def _next_in_import_order(self, lines: list[str]) -> dict[str, float]:
        """Imported names likely next, by the order of the imports: code that lists what
        it imports (a visitor table `{ ClassBody, ClassDeclaration, ... }`, a registry, a
        re-export list) follows the order of the import lines. The names imported right
        after the last one the lines just above the cursor use, and not used there:
        name -> bonus (the first 1.0, the second half)."""
        order: list[str] = []
        for imp in self.view.imports_of(self.current):
            aliases = dict(imp.aliases)
            for name in imp.names:
                local = aliases.get(name, name)
                if local in self.bindings and local not in order:
                    order.append(local)
        recent = set(_WORD.findall("\n".join(lines[-1 - ORDER_LOOKBACK :])))
        used = [i for i, local in enumerate(order) if local in recent]
        if not used:
            return {}
        following = [local for local in order[used[-1] + 1 :] if local not in recent]
        return {local: 1.0 / (rank + 1) for rank, local in enumerate(following[:2])}

    def bind_requires(self, lines: list[str]) -> None:
        """What only the source shows: CommonJS `const {a} = require('./x')`, and the
        declaration the cursor is in (JS/TS)."""
        if self.language_id in JS_LANGUAGES and not self._declaration_read:
            self._declaration_read = True
            declared = declaration_above(lines)
            self._declaration_words = words(declared) if declared else frozenset()
            self.next_in_order = self._next_in_import_order(lines)
        if self._requires_bound or not self._requires:
            return
        self._requires_bound = True
        text = "\n".join(lines[: max((i.line for i in self._import_lines()), default=0) + 12])
        for module, target in self._requires:
            bound = require_bindings(text, module)
            for local, member in bound:
                if member is None:
                    self.modules[local] = ModuleTarget((target,))
                    self.bindings.setdefault(local, (target, "default"))
                else:
                    found = self.js_modules().resolve(target, member)
                    if isinstance(found, str):
                        self.modules[local] = ModuleTarget((found,))
                    else:
                        self.bindings[local] = (target, member)
            if not bound:
                local = module.rstrip("/").split("/")[-1].split(".")[0]
                self.modules.setdefault(local, ModuleTarget((target,)))

    def _import_lines(self) -> list[Import]:
        return self.view.imports_of(self.current)

    def js_modules(self) -> JsModules:
        if self._js is None:
            root = self.view.index.root
            read: dict[str, list[str] | None] = {}

            def lines_of(path: str) -> list[str] | None:
                if path not in read:
                    read[path] = file_lines(root / path)
                return read[path]

            def definitions_of(path: str) -> list[Definition]:
                found = self.view.file_definitions(path)
                if found or self.has_file(path):
                    return found
                # imported but not indexed (generated, too large): its exported names
                lines = lines_of(path) if self.view.allowed(path) else None
                return declared_exports(path, lines) if lines is not None else []

            self._js = JsModules(definitions_of, self.view.imports_of, lines_of)
        return self._js

    def module_named(self, name: str) -> ModuleTarget | None:
        """The module a receiver names: imported, or in Rust a path segment needing no
        `use` (`crate::`, `super::`, a child module `x::`)."""
        module = self.modules.get(name)
        if module is not None or self.language_id != "rust" or name in self._not_modules:
            return module
        if name in RUST_TEST_MODULES and not self.tests:
            return None
        file: str | None = None
        if name == "crate":
            file = rust_crate_root(self.current, self.has_file)
        elif name == "super":
            file = rust_parent_module(self.current, self.has_file)
        elif name[:1].islower() and name != "self":  # `self.x` is a field, not `self::x`
            file = rust_child_module(self.current, name, self.has_file)
            root = rust_crate_root(self.current, self.has_file)
            if file is None and root is not None:
                file = rust_child_module(root, name, self.has_file)
            if file is None and root is not None:  # `crate::a::name::`: the one module so named
                found = self._rust_modules_named(name, _dir(root))
                file = found[0] if len(found) == 1 else None
        if file is None or not self.view.allowed(file):
            self._not_modules.add(name)
            return None
        module = self.modules[name] = ModuleTarget((file,))
        return module

    def rust_path_at_cursor(self, cursor_line: str) -> ModuleTarget | None:
        """`crate::table::Key|` / `super::a::`: the module the whole path names (the
        last segment alone may name another module: `mod table;` of this directory)."""
        if self.language_id != "rust":
            return None
        match = _RUST_PATH.search(cursor_line)
        if match is None:
            return None
        segments = match.group(1).split("::")
        head = segments[0]
        if head == "crate":
            file = rust_crate_root(self.current, self.has_file)
        elif head == "super":
            file = rust_parent_module(self.current, self.has_file)
        else:
            file = self.current
        for segment in segments[1:]:
            if file is None:
                return None
            if segment == "super":
                file = rust_parent_module(file, self.has_file)
            else:
                file = rust_child_module(file, segment, self.has_file)
        if file is None or not self.view.allowed(file):
            return None
        return ModuleTarget((file,))

    def _rust_modules_named(self, name: str, crate_dir: str) -> list[str]:
        prefix = crate_dir + "/" if crate_dir else ""
        endings = (f"/{name}.rs", f"/{name}/mod.rs")
        return [
            f for f in self.view.all_files() if f.startswith(prefix) and ("/" + f).endswith(endings)
        ]

    def namespace_member(self, name: str) -> ModuleTarget | None:
        """JS/TS `lib.dates.` where the barrel `lib` re-exports `* as dates`."""
        if self.language_id not in JS_LANGUAGES:
            return None
        for module in list(self.modules.values()):
            for file in module.files:
                found = self.js_modules().exports(file).namespaces.get(name)
                if found is not None:
                    return ModuleTarget((found,))
        return None

    def has_file(self, path: str) -> bool:
        return path in self.view.files_in(_dir(path))

    def _read_python_imports(self) -> None:
        """Per imported name: a module (`from pkg import mod`, `import a.b as m`), a member
        of a module, or a star import."""
        modules = self.view.python_modules()
        for binding in modules.bindings(self.current, self.view.imports_of(self.current)):
            if not self.view.allowed(binding.file):
                continue
            self.imported_files.add(binding.file)
            if binding.member is None:
                self.modules[binding.local] = ModuleTarget((binding.file,))
                if "." in binding.local:  # `import a.b.c`: `c.f()` stands for `a.b.c.f()`
                    last = binding.local.rsplit(".", 1)[-1]
                    self.modules.setdefault(last, ModuleTarget((binding.file,)))
            elif binding.member == "*":
                self.star_files.append(binding.file)
            else:
                self.bindings[binding.local] = (binding.file, binding.member)
                self.binding_lines[binding.local] = binding.line

    def module(self, target: str) -> ModuleTarget:
        if self.language_id in ("java", "csharp"):
            return ModuleTarget((target, "dir:" + _dir(target)))
        return ModuleTarget((target,))
