"""Import resolution: which repository file an import points at (None when external).

Purely path-based on the set of indexed files, plus the few project files that change
the rules: `go.mod` (module path), `tsconfig.json`/`jsconfig.json` (`baseUrl`, `paths`),
`Cargo.toml` (crate roots). C#, PHP and Ruby imports fall back to "by name": a file
that defines the imported namespace or type, via the `by_name` callback.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from .pymodules import PythonModules, is_package_init

ByName = Callable[[str, str], list[str]]  # (name, language) -> paths defining it

_JS_EXTS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


def _norm(path: str) -> str | None:
    norm = posixpath.normpath(path)
    if norm.startswith("../") or norm == "..":
        return None
    return "" if norm == "." else norm


def _strip_json_comments(text: str) -> str:
    """JSON with // and /* */ comments and trailing commas (tsconfig) -> JSON."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def rust_child_module(file: str, name: str, exists: Callable[[str], bool]) -> str | None:
    """The file of module `name` declared in the Rust module `file` (`a/b.rs` -> `a/b/x.rs`
    or `a/b/x/mod.rs`; a `mod.rs`, `lib.rs` or `main.rs` holds its directory's modules)."""
    own_dir = _rust_own_dir(file)
    for candidate in (f"{own_dir}/{name}.rs", f"{own_dir}/{name}/mod.rs"):
        candidate = candidate.lstrip("/")
        if exists(candidate):
            return candidate
    return None


def _rust_own_dir(file: str) -> str:
    directory, _, base = file.rpartition("/")
    stem = base[:-3] if base.endswith(".rs") else base
    return (
        directory if stem in ("mod", "lib", "main") else "/".join(p for p in (directory, stem) if p)
    )


def rust_crate_root(file: str, exists: Callable[[str], bool]) -> str | None:
    """`crate::` seen from `file`: the nearest `lib.rs`/`main.rs` above it."""
    directory = file.rpartition("/")[0]
    while True:
        for name in ("lib.rs", "main.rs"):
            candidate = f"{directory}/{name}" if directory else name
            if exists(candidate):
                return candidate
        if not directory:
            return None
        directory = directory.rpartition("/")[0]


def rust_parent_module(file: str, exists: Callable[[str], bool]) -> str | None:
    """`super::` seen from `file`: the module file whose child `file` is."""
    parent = _rust_own_dir(file).rpartition("/")[0]
    candidates = [f"{parent}/mod.rs", f"{parent}.rs", f"{parent}/lib.rs", f"{parent}/main.rs"]
    if not parent:
        candidates = ["lib.rs", "main.rs"]
    return next((c for c in candidates if exists(c)), None)


class Resolver:
    def __init__(self, root: Path, files: Iterable[str], by_name: ByName | None = None) -> None:
        self.root = root
        self.files = set(files)
        self.by_name = by_name
        self._dirs: dict[str, list[str]] = defaultdict(list)
        self._basename: dict[str, list[str]] = defaultdict(list)
        self.python = PythonModules(self.files)
        for path in sorted(self.files):
            directory, _, base = path.rpartition("/")
            self._dirs[directory].append(path)
            self._basename[base].append(path)
        self._go_modules = self._find_go_modules()
        self._tsconfigs: dict[str, tuple[str, dict[str, list[str]]] | None] = {}
        self._cargo_roots = self._find_cargo_roots()

    # -- python -----------------------------------------------------------------------------

    def _resolve_python(self, importer: str, module: str, names: tuple[str, ...]) -> str | None:
        """One file per statement (the store keeps one): a single imported submodule, else
        the module itself. Per-name answers: `PythonModules.bindings`."""
        python = self.python
        package, _stem = python.target(importer, module)
        first = names[0] if len(names) == 1 and names[0] != "*" else None
        if first is not None and (package is None or is_package_init(package)):
            # `from pkg import mod` (also for namespace packages without __init__.py)
            sub = python.submodule(importer, module, first)
            if sub is not None:
                return sub
        return package

    # -- javascript / typescript -------------------------------------------------------------

    def _js_file(self, target: str) -> str | None:
        if target in self.files:
            return target
        stem = target
        for js, ts in ((".js", ".ts"), (".jsx", ".tsx"), (".mjs", ".mts"), (".cjs", ".cts")):
            if target.endswith(js):
                stem = target[: -len(js)]
                if stem + ts in self.files:
                    return stem + ts
        for ext in _JS_EXTS:
            if target + ext in self.files:
                return target + ext
        for ext in _JS_EXTS:
            candidate = f"{target}/index{ext}" if target else f"index{ext}"
            if candidate in self.files:
                return candidate
        return None

    def _tsconfig_for(self, importer: str) -> tuple[str, dict[str, list[str]]] | None:
        directory = importer.rsplit("/", 1)[0] if "/" in importer else ""
        while True:
            if directory not in self._tsconfigs:
                self._tsconfigs[directory] = self._load_tsconfig(directory)
            config = self._tsconfigs[directory]
            if config is not None:
                return config
            if not directory:
                return None
            directory = directory.rsplit("/", 1)[0] if "/" in directory else ""

    def _load_tsconfig(self, directory: str) -> tuple[str, dict[str, list[str]]] | None:
        for name in ("tsconfig.json", "jsconfig.json"):
            found = self._read_tsconfig(directory, name, 0)
            if found is not None:
                return found
        return None

    def _read_tsconfig(
        self, directory: str, name: str, depth: int
    ) -> tuple[str, dict[str, list[str]]] | None:
        """(base directory, paths) of one config file, following `extends` to a relative
        file for the `baseUrl`/`paths` it does not set itself (relative to the file that
        sets them, as TypeScript does)."""
        try:
            text = (self.root / directory / name).read_text(encoding="utf-8")
            data = json.loads(_strip_json_comments(text))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        options = data.get("compilerOptions") or {}
        base_url = options.get("baseUrl")
        paths = options.get("paths") or {}
        parent = data.get("extends")
        if (
            not (base_url or paths)
            and isinstance(parent, str)
            and parent.startswith(".")
            and depth < 3
        ):
            target = _norm(posixpath.join(directory, parent))
            if target is not None:
                if not target.endswith(".json"):
                    target += ".json"
                inherited = self._read_tsconfig(
                    posixpath.dirname(target), posixpath.basename(target), depth + 1
                )
                if inherited is not None:
                    return inherited
        base = _norm(posixpath.join(directory, base_url or ".")) if base_url or paths else None
        if base is None:
            return ("\0", {})  # a config without baseUrl/paths: stop looking upward
        return (base, {k: list(v) for k, v in paths.items() if isinstance(v, list)})

    def _resolve_js(self, importer: str, module: str) -> str | None:
        directory = importer.rsplit("/", 1)[0] if "/" in importer else ""
        if module.startswith("."):
            target = _norm(posixpath.join(directory, module))
            return self._js_file(target) if target is not None else None
        if module.startswith("/"):
            return None
        config = self._tsconfig_for(importer)
        if config is None or config[0] == "\0":
            return None
        base, paths = config
        for pattern, replacements in paths.items():
            if pattern.endswith("*"):
                prefix = pattern[:-1]
                if not module.startswith(prefix):
                    continue
                star = module[len(prefix) :]
            elif pattern == module:
                star = ""
            else:
                continue
            for replacement in replacements:
                target = _norm(posixpath.join(base, replacement.replace("*", star)))
                hit = self._js_file(target) if target is not None else None
                if hit:
                    return hit
        target = _norm(posixpath.join(base, module))
        return self._js_file(target) if target is not None else None

    # -- go -----------------------------------------------------------------------------------

    def _find_go_modules(self) -> list[tuple[str, str]]:
        modules: list[tuple[str, str]] = []
        dirs = {""} | {p.rsplit("/", 1)[0] for p in self.files if p.endswith(".go") and "/" in p}
        checked: set[str] = set()
        for directory in dirs:
            parts = directory.split("/") if directory else []
            for i in range(len(parts), -1, -1):
                candidate = "/".join(parts[:i])
                if candidate in checked:
                    continue
                checked.add(candidate)
                try:
                    text = (self.root / candidate / "go.mod").read_text(encoding="utf-8")
                except OSError:
                    continue
                match = re.search(r"^\s*module\s+(\S+)", text, re.M)
                if match:
                    modules.append((candidate, match.group(1).strip('"')))
        modules.sort(key=lambda m: -len(m[1]))
        return modules

    def _go_dir_file(self, directory: str) -> str | None:
        files = [
            p
            for p in self._dirs.get(directory, ())
            if p.endswith(".go") and not p.endswith("_test.go")
        ]
        return files[0] if files else None

    def _resolve_go(self, module: str) -> str | None:
        for directory, path in self._go_modules:
            if module == path or module.startswith(path + "/"):
                rest = module[len(path) :].lstrip("/")
                return self._go_dir_file("/".join(p for p in (directory, rest) if p))
        return None

    # -- rust ---------------------------------------------------------------------------------

    def _find_cargo_roots(self) -> list[str]:
        roots = []
        for path in self.files:
            if path.endswith(("src/lib.rs", "src/main.rs")) or path in ("lib.rs", "main.rs"):
                roots.append(path.rsplit("/", 1)[0] if "/" in path else "")
        return sorted(set(roots), key=len, reverse=True)

    def _rust_mod_file(self, directory: str, segments: list[str]) -> str | None:
        # longest prefix of the path that is a module file
        for i in range(len(segments), 0, -1):
            stem = "/".join(p for p in [directory, *segments[:i]] if p)
            for candidate in (f"{stem}.rs", f"{stem}/mod.rs"):
                if candidate in self.files:
                    return candidate
        return None

    def _resolve_rust(self, importer: str, module: str, names: tuple[str, ...]) -> str | None:
        directory, _, base = importer.rpartition("/")
        stem = base[:-3] if base.endswith(".rs") else base
        own_dir = directory if stem in ("mod", "lib", "main") else f"{directory}/{stem}".strip("/")
        segments = [s for s in module.split("::") if s]
        if names and len(names) == 1 and names[0] not in ("*", "self"):
            segments.append(names[0])
        if not segments:
            return None
        head = segments[0]
        if "::" not in module and not names and head not in ("crate", "self", "super"):
            # `mod foo;` declares a child module file
            return self._rust_mod_file(own_dir, segments)
        if head == "crate":
            crate = next((r for r in self._cargo_roots if importer.startswith(r)), None)
            if crate is None:
                return None
            found = self._rust_mod_file(crate, segments[1:])
            return found or self._rust_root_file(crate)
        if head in ("self", "super"):
            current = own_dir
            rest = segments
            while rest and rest[0] in ("self", "super"):
                if rest[0] == "super":
                    current = current.rsplit("/", 1)[0] if "/" in current else ""
                rest = rest[1:]
            if not rest:  # `use super::{a, B}`: the parent module's own file
                return self._rust_dir_module(current)
            return self._rust_mod_file(current, rest) or self._rust_dir_module(current)
        crate = next((r for r in self._cargo_roots if importer.startswith(r)), None)
        if crate is not None:
            return self._rust_mod_file(crate, segments)
        return None

    def _rust_dir_module(self, directory: str) -> str | None:
        """The file of the module whose children live in `directory`."""
        candidates = [f"{directory}/mod.rs", f"{directory}.rs"] if directory else []
        candidates += [f"{directory}/lib.rs", f"{directory}/main.rs"] if directory else []
        candidates += [] if directory else ["lib.rs", "main.rs", "mod.rs"]
        return next((c for c in candidates if c in self.files), None)

    def _rust_root_file(self, crate: str) -> str | None:
        for name in ("lib.rs", "main.rs"):
            candidate = f"{crate}/{name}" if crate else name
            if candidate in self.files:
                return candidate
        return None

    # -- c / c++ / java / others -----------------------------------------------------------

    def _suffix_match(self, suffix: str, extensions: tuple[str, ...] | None = None) -> str | None:
        base = suffix.rsplit("/", 1)[-1]
        matches = [
            p for p in self._basename.get(base, ()) if p == suffix or p.endswith("/" + suffix)
        ]
        if extensions:
            matches = [p for p in matches if p.endswith(extensions)]
        return min(matches, key=len) if matches else None

    def _resolve_c(self, importer: str, module: str) -> str | None:
        directory = importer.rsplit("/", 1)[0] if "/" in importer else ""
        target = _norm(posixpath.join(directory, module))
        if target and target in self.files:
            return target
        return self._suffix_match(module.lstrip("./"))

    def _resolve_java(self, module: str, names: tuple[str, ...]) -> str | None:
        path = module.replace(".", "/")
        if names and names[0] != "*":
            hit = self._suffix_match(f"{path}/{names[0]}.java")
            if hit:
                return hit
            # static import of a member: module is the class
            hit = self._suffix_match(f"{path}.java")
            if hit:
                return hit
        for directory, files in self._dirs.items():
            if directory == path or directory.endswith("/" + path):
                java = [f for f in files if f.endswith(".java")]
                if java:
                    return java[0]
        return None

    def _resolve_by_name(self, module: str, names: tuple[str, ...], language: str) -> str | None:
        if self.by_name is None:
            return None
        for name in [module, *(n for n in names if n != "*")]:
            if not name:
                continue
            paths = self.by_name(name, language)
            if paths:
                return sorted(paths, key=len)[0]
        return None

    def _resolve_php(self, importer: str, module: str, names: tuple[str, ...]) -> str | None:
        if module.endswith(".php") or "/" in module:
            directory = importer.rsplit("/", 1)[0] if "/" in importer else ""
            target = _norm(posixpath.join(directory, module.lstrip("/")))
            if target and target in self.files:
                return target
            return self._suffix_match(module.lstrip("./"))
        parts = [p for p in module.split("\\") if p]
        if names and names[0] != "*":
            for i in range(len(parts) + 1):
                hit = self._suffix_match("/".join([*parts[i:], names[0]]) + ".php")
                if hit:
                    return hit
        last = names[0] if names else (parts[-1] if parts else "")
        return self._resolve_by_name(last, (), "php")

    def _resolve_ruby(self, importer: str, module: str) -> str | None:
        name = module if module.endswith(".rb") else module + ".rb"
        directory = importer.rsplit("/", 1)[0] if "/" in importer else ""
        target = _norm(posixpath.join(directory, name))
        if target and target in self.files:
            return target
        return self._suffix_match(name.lstrip("./"))

    def _resolve_csharp(self, module: str, names: tuple[str, ...]) -> str | None:
        hit = self._resolve_by_name(module, (), "csharp")
        if hit:
            return hit
        last = module.rsplit(".", 1)[-1]
        return self._resolve_by_name(last, tuple(n for n in names if n != "*"), "csharp")

    # -- entry point --------------------------------------------------------------------------

    def resolve(
        self, importer: str, language: str, module: str, names: tuple[str, ...] = ()
    ) -> str | None:
        """The repository file an import refers to, or None (external or not found)."""
        try:
            if language == "python":
                hit = self._resolve_python(importer, module, names)
            elif language in ("javascript", "typescript", "tsx"):
                hit = self._resolve_js(importer, module)
            elif language == "go":
                hit = self._resolve_go(module)
            elif language == "rust":
                hit = self._resolve_rust(importer, module, names)
            elif language in ("c", "cpp"):
                hit = self._resolve_c(importer, module)
            elif language == "java":
                hit = self._resolve_java(module, names)
            elif language == "php":
                hit = self._resolve_php(importer, module, names)
            elif language == "ruby":
                hit = self._resolve_ruby(importer, module)
            elif language == "csharp":
                hit = self._resolve_csharp(module, names)
            else:
                hit = None
        except (OSError, ValueError):
            hit = None
        return hit if hit != importer else None
