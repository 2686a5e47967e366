"""Ground truth of the recall benchmark: which definition a completion point needs.

Never from our index: jedi for Python; for JavaScript/TypeScript, Go, Rust and Java,
import/definition regexes written for this benchmark (not tree-sitter). See
bench/context_recall.py for what is measured with it.
"""

from __future__ import annotations

import functools
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsp_server.index.languages import language_for_path  # noqa: E402

#: Where the cursor is put on the ground-truth line (everything from it on is removed):
#: "start" before the call (`total = |pricing.compute_total(cart)`), "typed" after two
#: characters of the name (`pricing.co|`), "dot" right after the receiver's `.` (only for
#: points that have one), "line" after the indentation (the older placement).
PLACEMENTS = ("start", "typed", "dot", "line")
TYPED = 2
#: a receiver chain before the name: `pkg.mod.` (Python, JS, Go, Java) or `crate::a::` (Rust)
_CHAIN = re.compile(r"(?:[A-Za-z_$][\w$]*\s*(?:\.|::)\s*)+$")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_SKIP_LINE = re.compile(
    r"^\s*(?:$|#|//|/\*|\*|import\b|from\s+\S+\s+import\b|package\b|export\s+\*|"
    r"def\s|class\s|async\s+def\s|func\s|function\s|type\s|interface\s|@)"
)
_SKIP_DIRS = {"node_modules", "dist", "build", "test", "tests", "testdata", "__pycache__"}


@dataclass
class Point:
    path: Path  # absolute
    rel: str
    line: int  # 0-based line whose text is the ground truth
    column: int  # cursor column (after the indentation)
    name: str
    target: str  # repo-relative file of the definition
    header_line: str  # the definition's first source line, stripped
    name_column: int = -1  # where the name starts in the line (-1: unknown)
    #: other headers that answer as well: the overloads of a Java method
    alternatives: tuple[str, ...] = ()

    def found_in(self, text: str) -> bool:
        """Whether a prompt shows the definition (any of its overloads)."""
        return any(h in text for h in (self.header_line, *self.alternatives))

    def cursor(self, line: str, placement: str) -> int:
        """The cursor column for a placement (see PLACEMENTS)."""
        if placement == "line" or self.name_column < 0:
            return self.column
        if placement == "typed":
            return self.name_column + min(TYPED, len(self.name))
        chain = _CHAIN.search(line[: self.name_column])
        start = chain.start() if chain else self.name_column
        if placement == "dot":
            return self.name_column if chain and chain.group() else -1
        return start  # "start": before the receiver chain (`pricing.compute_total`)


# ---------------------------------------------------------------------------------------
# repository files


def _point(
    root: Path,
    path: Path,
    index: int,
    line: str,
    name: str,
    target: Path,
    header: str,
    name_column: int = -1,
) -> Point:
    """A completion point on `line`, whose truth is `header` in `target`."""
    column = len(line) - len(line.lstrip())
    rel = path.relative_to(root).as_posix()
    target_rel = target.relative_to(root).as_posix()
    return Point(path, rel, index, column, name, target_rel, header, name_column)


def source_files(root: Path, languages: set[str]) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(part in _SKIP_DIRS for part in path.relative_to(root).parts):
            continue
        if path.name.endswith((".d.ts", ".min.js")) or path.name.endswith("_test.go"):
            continue
        spec = language_for_path(path)
        if spec is not None and spec.id in languages and path.stat().st_size < 400_000:
            out.append(path)
    return out


def detect_languages(root: Path) -> set[str]:
    counts: Counter[str] = Counter()
    for path in root.rglob("*"):
        spec = language_for_path(path) if path.is_file() else None
        if spec is not None and "node_modules" not in path.parts:
            counts[spec.id] += 1
    if not counts:
        sys.exit(f"no source files under {root}")
    top = counts.most_common(1)[0][0]
    if top in ("javascript", "typescript", "tsx"):
        return {"javascript", "typescript", "tsx"}
    return {top}


_JS_IMPORT_SPAN = re.compile(
    r"^\s*(?:import|export)\b[^;]*?\bfrom\s*['\"][^'\"]+['\"]", re.M | re.S
)
_GO_IMPORT_SPAN = re.compile(r"^import\s*\((?:.|\n)*?^\)", re.M)
_RS_USE_SPAN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s[^;]*;", re.M)


def import_lines(text: str, python: bool) -> set[int]:
    """Lines inside import statements: completing those is not what we measure."""
    lines: set[int] = set()
    if python:
        import ast

        try:
            tree = ast.parse(text)
        except SyntaxError:
            return lines
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                lines.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
        return lines
    for pattern in (_JS_IMPORT_SPAN, _GO_IMPORT_SPAN, _RS_USE_SPAN):
        for match in pattern.finditer(text):
            first = text.count("\n", 0, match.start())
            lines.update(range(first, first + match.group().count("\n") + 1))
    return lines


_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)


@functools.cache
def block_comment_lines(path: Path) -> frozenset[int]:
    """The lines of a C-family file inside `/* ... */` comments (a package's doc comment
    written as plain text, `String()` in it): never a completion point. Skipped when a point
    is drawn, not removed from the candidates, so the drawing order stays the same."""
    text = path.read_text(errors="replace")
    lines: set[int] = set()
    for match in _BLOCK_COMMENT.finditer(text):
        first = text.count("\n", 0, match.start())
        lines.update(range(first, first + match.group().count("\n") + 1))
    return frozenset(lines)


def candidate_lines(text: str, python: bool = False) -> list[int]:
    lines = text.split("\n")
    skip = import_lines(text, python)
    return [
        i for i, line in enumerate(lines) if i > 3 and i not in skip and not _SKIP_LINE.match(line)
    ]


# ---------------------------------------------------------------------------------------
# ground truth: jedi for Python


def python_points(root: Path, files: list[Path], wanted: int, rng: random.Random) -> list[Point]:
    import jedi

    # the copy under ROOT first: a stdlib or installed package must resolve to itself there
    # a src/ layout's packages import as top-level names, as when installed
    first = [str(root / "src")] if (root / "src").is_dir() else []
    sys_path = [*first, str(root), *(p for p in sys.path if p and Path(p).resolve() != root)]
    project = jedi.Project(
        str(root), sys_path=sys_path, smart_sys_path=False, load_unsafe_extensions=False
    )
    order = [(f, i) for f in files for i in candidate_lines(f.read_text(errors="replace"), True)]
    rng.shuffle(order)
    scripts: dict[Path, jedi.Script] = {}
    texts: dict[Path, list[str]] = {}
    points: list[Point] = []
    calls = 0
    for path, index in order:
        if len(points) >= wanted or calls > wanted * 150:
            break
        if path not in scripts:
            code = path.read_text(errors="replace")
            texts[path] = code.split("\n")
            scripts[path] = jedi.Script(code=code, path=str(path), project=project)
        line = texts[path][index]
        for match in _IDENT.finditer(line):
            name = match.group()
            if name in ("self", "cls", "None", "True", "False", "return", "if", "not"):
                continue
            calls += 1
            try:
                found = scripts[path].goto(index + 1, match.start(), follow_imports=True)
            except Exception:  # noqa: BLE001 - jedi may fail on odd code; skip the name
                continue
            hit = next((d for d in found if d.type in ("function", "class")), None)
            if hit is None or hit.module_path is None or hit.line is None:
                continue
            target = Path(hit.module_path)
            if target == path or not target.is_relative_to(root) or target.suffix != ".py":
                continue
            target_lines = target.read_text(errors="replace").split("\n")
            header_line = target_lines[hit.line - 1].strip()
            if not header_line.startswith(("def ", "class ", "async def ")):
                continue
            point = _point(root, path, index, line, name, target, header_line, match.start())
            point.alternatives = python_overloads(target_lines, hit.line - 1)
            points.append(point)
            break
    _forget_jedi()
    return points


def _forget_jedi() -> None:
    """Drop the parse trees jedi keeps of every module it read: the assemblies timed after
    the truth is found run beside the index alone, as in the server, not beside jedi's heap
    (it made a cold stdlib assembly ~0.5 ms slower)."""
    import jedi.cache
    import parso.cache

    parso.cache.parser_cache.clear()
    jedi.cache.clear_time_caches(delete_all=True)


def python_overloads(lines: list[str], number: int) -> tuple[str, ...]:
    """The `@overload` signatures of the function defined on line `number` (jedi lands on
    the implementation; a prompt showing an overload shows the function as well)."""
    header = lines[number]
    indent = header[: len(header) - len(header.lstrip())]
    opening = re.match(r"\s*((?:async\s+)?def\s+\w+\s*\()", header)
    if opening is None:
        return ()
    found = []
    for i, line in enumerate(lines):
        if i == number or not line.startswith(indent + opening.group(1).strip()[:3]):
            continue
        if line.strip().startswith(opening.group(1)) and i > 0 and "overload" in lines[i - 1]:
            found.append(line.strip())
    return tuple(found)


# ---------------------------------------------------------------------------------------
# ground truth: a regex definition finder for JS/TS and Go (independent of tree-sitter)

_JS_DEFS = [
    re.compile(
        r"^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)"
    ),
    re.compile(r"^\s*(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)"),
    re.compile(r"^\s*(?:export\s+)?(?:declare\s+)?(?:interface|enum)\s+([A-Za-z_$][\w$]*)"),
    re.compile(
        r"^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*"
        r"(?:async\s+)?(?:function\b|\([^)]*\)\s*(?::[^=]+)?=>|[A-Za-z_$][\w$]*\s*=>)"
    ),
    re.compile(
        r"^\s+(?:(?:public|private|protected|static|async|readonly|override|get|set)\s+)*"
        r"([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\([^;]*\)\s*(?::\s*[^;{]+)?\{\s*$"
    ),
]
_GO_DEFS = [
    re.compile(r"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)"),
    re.compile(r"^type\s+([A-Za-z_]\w*)"),
]
#: Go's predeclared names: a package may shadow one for old compilers (`type any =
#: interface{}` behind a build tag), but a line using it does not need that definition
_GO_PREDECLARED = {
    "any", "bool", "byte", "comparable", "complex64", "complex128", "error", "float32",
    "float64", "int", "int8", "int16", "int32", "int64", "rune", "string", "uint", "uint8",
    "uint16", "uint32", "uint64", "uintptr", "true", "false", "iota", "nil", "append", "cap",
    "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max", "min", "new",
    "panic", "print", "println", "real", "recover",
}  # fmt: skip
_NOT_NAMES = {"if", "for", "while", "switch", "catch", "function", "return", "constructor",
              "super", "new", "typeof", "with", "else", "do", "try"}  # fmt: skip


def regex_definitions(files: list[Path], language: str) -> dict[str, list[tuple[Path, int, str]]]:
    patterns = _GO_DEFS if language == "go" else _JS_DEFS
    found: dict[str, list[tuple[Path, int, str]]] = defaultdict(list)
    for path in files:
        for number, line in enumerate(path.read_text(errors="replace").split("\n")):
            for pattern in patterns:
                match = pattern.match(line)
                if match and match.group(1) not in _NOT_NAMES:
                    found[match.group(1)].append((path, number, line.strip()))
                    break
    return found


_JS_IMPORT = re.compile(
    r"import\s+(?:type\s+)?(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\}|\*\s+as\s+([\w$]+))?\s*"
    r"from\s*['\"](\.[^'\"]+)['\"]"
)
_JS_REEXPORT = re.compile(r"export\s+(?:\*|\{([^}]*)\})\s+from\s*['\"](\.[^'\"]+)['\"]")
_GO_IMPORT = re.compile(r'^\s*(?:import\s+)?([\w.]+\s+)?"([^"]+)"\s*$', re.M)
_GO_FUNC_OR_TYPE = re.compile(r"^(?:func\s+([A-Za-z_]\w*)|type\s+([A-Za-z_]\w*))")


def _js_file(base: Path, module: str) -> Path | None:
    target = (base / module).resolve()
    stem = target.with_suffix("") if target.suffix in (".js", ".mjs", ".cjs") else target
    for candidate in (
        target, stem.with_suffix(".ts"), stem.with_suffix(".tsx"), stem.with_suffix(".js"),
        stem / "index.ts", stem / "index.js",
    ):  # fmt: skip
        if candidate.is_file():
            return candidate
    return None


def _js_defs_in(path: Path, name: str, depth: int = 0) -> tuple[Path, str] | None:
    """The header line defining `name` in `path` (following `export ... from` once)."""
    text = path.read_text(errors="replace")
    for line in text.split("\n"):
        for pattern in _JS_DEFS[:4]:  # top-level forms only, not class methods
            match = pattern.match(line)
            if match and match.group(1) == name and not line.startswith((" ", "\t")):
                return path, line.strip()
    if depth < 2:
        for match in _JS_REEXPORT.finditer(text):
            names = match.group(1)
            if names is None or re.search(rf"\b{re.escape(name)}\b", names):
                other = _js_file(path.parent, match.group(2))
                found = _js_defs_in(other, name, depth + 1) if other else None
                if found:
                    return found
    return None


def js_bindings(path: Path, text: str) -> dict[str, tuple[Path, str | None]]:
    """Local name -> (file, exported name or None for a namespace import)."""
    out: dict[str, tuple[Path, str | None]] = {}
    for match in _JS_IMPORT.finditer(text):
        target = _js_file(path.parent, match.group(4))
        if target is None:
            continue
        if match.group(1):
            out[match.group(1)] = (target, match.group(1))
        if match.group(3):
            out[match.group(3)] = (target, None)
        for item in (match.group(2) or "").split(","):
            item = re.sub(r"^\s*type\s+", "", item).strip()
            if not item:
                continue
            original, _, alias = item.partition(" as ")
            out[(alias or original).strip()] = (target, original.strip())
    return out


def _blank(match: re.Match[str]) -> str:
    """A string literal as its quotes around spaces (the same length)."""
    return match.group(1) * 2 + " " * (len(match.group()) - 2)


def _is_member_or_field(line: str, start: int, end: int, language: str) -> bool:
    """A bare name that is not a use of a definition: a member selected on an expression
    (`l[i].Value`), or the name a Go struct field or parameter line declares (`Value Type`)."""
    if line[:start].rstrip().endswith((".", "?.")):
        return True
    declares = re.match(r"\s+[\w*\[\]]", line[end:]) is not None
    return language == "go" and not line[:start].strip() and declares


def go_package_defs(files: list[Path]) -> dict[Path, dict[str, list[tuple[Path, str]]]]:
    """Directory -> top-level func/type name -> [(file, header line)] (methods left out)."""
    out: dict[Path, dict[str, list[tuple[Path, str]]]] = defaultdict(lambda: defaultdict(list))
    for path in files:
        for line in path.read_text(errors="replace").split("\n"):
            match = _GO_FUNC_OR_TYPE.match(line)
            if match:
                out[path.parent][match.group(1) or match.group(2)].append((path, line.strip()))
    return out


def regex_points(
    root: Path, files: list[Path], language: str, wanted: int, rng: random.Random
) -> list[Point]:
    go_defs = go_package_defs(files) if language == "go" else {}
    module_path = ""
    if language == "go" and (root / "go.mod").is_file():
        found = re.search(r"^module\s+(\S+)", (root / "go.mod").read_text(), re.M)
        module_path = found.group(1) if found else ""
    order = [(f, i) for f in files for i in candidate_lines(f.read_text(errors="replace"))]
    rng.shuffle(order)
    texts: dict[Path, list[str]] = {}
    bindings: dict[Path, dict] = {}
    points: list[Point] = []
    for path, index in order:
        if len(points) >= wanted:
            break
        if path not in texts:
            text = path.read_text(errors="replace")
            texts[path] = text.split("\n")
            if language == "go":
                packages: dict = {}
                for match in _GO_IMPORT.finditer(text):
                    imported = match.group(2)
                    if module_path and imported.startswith(module_path + "/"):
                        directory = root / imported[len(module_path) + 1 :]
                        alias = (match.group(1) or "").strip() or directory.name
                        packages[alias] = directory
                bindings[path] = packages
            else:
                bindings[path] = js_bindings(path, text)
        line = texts[path][index]
        if index in block_comment_lines(path):
            continue
        if any(p.match(line) for p in (_GO_DEFS if language == "go" else _JS_DEFS)):
            continue
        # strings blanked, same length: the columns of `clean` are the line's
        clean = re.sub(r"(['\"`]).*?\1", _blank, line)
        hit: tuple[str, Path, str] | None = None
        name_column = -1
        for match in re.finditer(r"(?:([\w$]+)\.)?([A-Za-z_$][\w$]*)", clean):
            qualifier, name = match.group(1), match.group(2)
            if not qualifier and _is_member_or_field(clean, match.start(), match.end(), language):
                continue
            if language == "go":
                if qualifier and qualifier in bindings[path]:
                    found = go_defs.get(bindings[path][qualifier], {}).get(name, [])
                elif qualifier is None:
                    found = [d for d in go_defs.get(path.parent, {}).get(name, []) if d[0] != path]
                else:
                    continue
                if len(found) == 1 and name not in _GO_PREDECLARED:
                    hit = (name, found[0][0], found[0][1])
            else:
                binding = bindings[path].get(qualifier) if qualifier else None
                if qualifier and binding and binding[1] is None:
                    result = _js_defs_in(binding[0], name)
                elif qualifier is None and name in bindings[path]:
                    target, original = bindings[path][name]
                    result = _js_defs_in(target, original) if original else None
                else:
                    continue
                if result and result[0] != path:
                    hit = (name, result[0], result[1])
            if hit:
                name_column = match.start(2)
                break
        if hit is None:
            continue
        name, target, header_line = hit
        points.append(_point(root, path, index, line, name, target, header_line, name_column))
    return points


# ---------------------------------------------------------------------------------------
# ground truth: Rust (use paths, `mod x;`, `module::func(`, `Type::method(`) by regex

_RS_DEF = re.compile(
    r"^(?:pub(?:\([^)]*\))?\s+)?(?:(?:const|async|unsafe|extern\s+\"[^\"]*\")\s+)*"
    r"(fn|struct|enum|trait|type|union)\s+([A-Za-z_]\w*)"
)
_RS_METHOD = re.compile(
    r"^\s+(?:pub(?:\([^)]*\))?\s+)?(?:(?:const|async|unsafe|extern\s+\"[^\"]*\")\s+)*"
    r"fn\s+([A-Za-z_]\w*)"
)
_RS_USE = re.compile(r"^\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.M)
_RS_MOD = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([A-Za-z_]\w*)\s*;", re.M)
_RS_PATH = re.compile(r"((?:[A-Za-z_]\w*\s*::\s*)*)([A-Za-z_]\w*)")
_RS_SKIP = re.compile(
    r"^\s*(?:(?:pub(?:\([^)]*\))?\s+)?(?:use|mod|fn|struct|enum|trait|type|impl|const|static|"
    r"macro_rules!|async\s+fn|unsafe\s+fn)\b|#|///|//!)"
)

RsPath = tuple[str, ...]


def rust_module_of(src: Path, path: Path) -> RsPath | None:
    """The module path of a file under the crate's src/ (`src/a/b.rs` -> ("a", "b"))."""
    try:
        parts = path.relative_to(src).with_suffix("").parts
    except ValueError:
        return None
    if parts in (("lib",), ("main",)):
        return ()
    if parts and parts[0] == "bin":
        return None
    return parts[:-1] if parts[-1] == "mod" else parts


def _split_top(text: str) -> list[str]:
    """Comma-separated items of a use tree, braces nested."""
    items, depth, current = [], 0, ""
    for char in text:
        depth += char == "{"
        depth -= char == "}"
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    return [*items, current]


def rust_use_tree(text: str, prefix: list[str]) -> list[tuple[list[str], str]]:
    """(full path, local name) for each leaf of `a::{b, c::{D as E, self}, *}`."""
    out: list[tuple[list[str], str]] = []
    for item in _split_top(text):
        item = " ".join(item.split())
        if not item:
            continue
        if "{" in item:
            head, _, inner = item.partition("{")
            segments = [s.strip() for s in head.split("::") if s.strip()]
            out.extend(rust_use_tree(inner[: inner.rfind("}")], prefix + segments))
            continue
        path, _, alias = item.partition(" as ")
        segments = prefix + [s.strip() for s in path.split("::") if s.strip()]
        if segments and segments[-1] == "self":
            segments = segments[:-1]
        if segments:
            out.append((segments, alias.strip() or segments[-1]))
    return out


class RustCrate:
    """Module files, top-level definitions and use bindings of one crate (src/ only)."""

    def __init__(self, root: Path, files: list[Path]) -> None:
        self.src = root / "src"
        self.modules: dict[RsPath, Path] = {}
        for path in files:
            module = rust_module_of(self.src, path)
            if module is not None and (module not in self.modules or path.name == "lib.rs"):
                self.modules[module] = path
        self.module_of = {path: module for module, path in self.modules.items()}
        self._texts: dict[Path, list[str]] = {}

    def lines(self, path: Path) -> list[str]:
        if path not in self._texts:
            self._texts[path] = path.read_text(errors="replace").split("\n")
        return self._texts[path]

    def absolute(self, segments: list[str], current: RsPath) -> RsPath | None:
        """A use path made absolute from the crate root; None for another crate's."""
        head, rest = segments[0], segments[1:]
        if head == "crate":
            return tuple(rest)
        if head == "self":
            return current + tuple(rest)
        if head == "super":
            base = current
            while segments and segments[0] == "super":
                base, segments = base[:-1], segments[1:]
            return base + tuple(segments)
        if current + (head,) in self.modules:
            return current + tuple(segments)
        if (head,) in self.modules:
            return tuple(segments)
        return None

    def bindings(self, path: Path, public_only: bool = False) -> dict[str, RsPath]:
        """Local name -> absolute path ("*" keys: glob imports, numbered)."""
        current = self.module_of.get(path)
        if current is None:
            return {}
        text = "\n".join(self.lines(path))
        out: dict[str, RsPath] = {}
        if not public_only:
            for match in _RS_MOD.finditer(text):
                out[match.group(1)] = current + (match.group(1),)
        for match in _RS_USE.finditer(text):
            if public_only and not match.group(1):
                continue
            for segments, local in rust_use_tree(match.group(2), []):
                absolute = self.absolute(segments, current)
                if absolute is not None:
                    out[f"*{len(out)}" if local == "*" else local] = absolute
        return out

    def definition(self, path: RsPath, depth: int = 0) -> tuple[Path, int, str] | None:
        """The file, line and header of the item at an absolute path (re-exports followed)."""
        if not path or path[:-1] not in self.modules:
            return None
        file = self.modules[path[:-1]]
        for number, line in enumerate(self.lines(file)):
            match = _RS_DEF.match(line)
            if match and match.group(2) == path[-1]:
                return file, number, line.strip()
        if depth < 3:
            for local, target in self.bindings(file, public_only=True).items():
                if local == path[-1]:
                    return self.definition(target, depth + 1)
                if local.startswith("*"):
                    found = self.definition(target + path[-1:], depth + 1)
                    if found:
                        return found
        return None

    def method(self, type_def: tuple[Path, int, str], name: str) -> str | None:
        """The header of `fn name` in a trait's body or in an inherent `impl Type` block of
        the type's file (trait impls left out: `from`, `fmt`... have one per trait)."""
        file, line_number, header = type_def
        found = _RS_DEF.match(header)
        if found is None:
            return None
        kind, type_name = found.groups()
        lines = self.lines(file)
        if kind == "trait":
            starts = [line_number]
        else:
            inherent = re.compile(rf"^impl\b(?:<[^>]*>)?\s*{re.escape(type_name)}\b(?!.*\bfor\b)")
            starts = [i for i, line in enumerate(lines) if inherent.match(line)]
        for start in starts:
            for line in lines[start + 1 :]:
                if line.startswith("}"):
                    break
                match = _RS_METHOD.match(line)
                if match and match.group(1) == name:
                    return line.strip()
        return None

    def resolve_use(
        self, path: Path, segments: list[str], bindings: dict[str, RsPath]
    ) -> tuple[int, str, Path, str] | None:
        """(index of the segment named, name, file, header) for `a::b::c` used in `path`."""
        current = self.module_of[path]
        if segments[0] in bindings:
            absolute: RsPath | None = bindings[segments[0]] + tuple(segments[1:])
        elif segments[0] in ("crate", "self", "super") and len(segments) > 1:
            absolute = self.absolute(segments, current)
        elif len(segments) == 1:
            globs = [t for k, t in bindings.items() if k.startswith("*")]
            found = next((d for g in globs if (d := self.definition(g + (segments[0],)))), None)
            return (0, segments[0], found[0], found[2]) if found else None
        else:
            return None
        if absolute is None:
            return None
        found = self.definition(absolute)
        if found:
            return len(segments) - 1, segments[-1], found[0], found[2]
        if len(segments) >= 2:  # `Type::method` or `Enum::Variant`
            owner = self.definition(absolute[:-1])
            if owner:
                method = self.method(owner, segments[-1])
                if method:
                    return len(segments) - 1, segments[-1], owner[0], method
                return len(segments) - 2, segments[-2], owner[0], owner[2]
        return None


def rust_points(root: Path, files: list[Path], wanted: int, rng: random.Random) -> list[Point]:
    crate = RustCrate(root, files)
    order = [
        (f, i)
        for f in crate.module_of
        if f.name != "tests.rs"
        for i in candidate_lines(f.read_text(errors="replace"))
    ]
    rng.shuffle(order)
    bindings: dict[Path, dict[str, RsPath]] = {}
    points: list[Point] = []
    for path, index in order:
        if len(points) >= wanted:
            break
        line = crate.lines(path)[index]
        if index in block_comment_lines(path):
            continue
        if _RS_SKIP.match(line):
            continue
        if path not in bindings:
            bindings[path] = crate.bindings(path)
        clean = _code_only(line)
        for match in _RS_PATH.finditer(clean):
            segments = [s.strip() for s in match.group(1).split("::") if s.strip()]
            segments.append(match.group(2))
            if clean[match.end() :].lstrip().startswith("!"):  # a macro call
                continue
            found = crate.resolve_use(path, segments, bindings[path])
            if found is None or found[2] == path:
                continue
            named, name, target, header_line = found
            column = _segment_column(line, match.start(), segments, named)
            points.append(_point(root, path, index, line, name, target, header_line, column))
            break
    return points


def _code_only(line: str) -> str:
    """The line with string literals emptied and a trailing `//` comment blanked (same
    length, so that columns still match)."""
    clean = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: '"' + " " * (len(m.group()) - 2) + '"', line)
    comment = clean.find("//")
    return clean if comment < 0 else clean[:comment] + " " * (len(clean) - comment)


def _segment_column(line: str, start: int, segments: list[str], named: int) -> int:
    """Where the `named`-th segment of a path starting at `start` begins in the line."""
    column = start
    for segment in segments[:named]:
        column = line.find(segment, column) + len(segment)
        column = line.find("::", column) + 2
        while column < len(line) and line[column] == " ":
            column += 1
    found = line.find(segments[named], column)
    return found if found >= 0 else -1


# ---------------------------------------------------------------------------------------
# ground truth: Java (imports, static imports, same-package types, `Type.method(`) by regex

_JAVA_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)
_JAVA_IMPORT = re.compile(r"^\s*import\s+(static\s+)?([\w.]+?)(\.\*)?\s*;", re.M)
_JAVA_TYPE = re.compile(
    r"^(?:(?:public|protected|private|abstract|final|static|sealed|non-sealed|strictfp)\s+)*"
    r"(?:class|interface|enum|record|@interface)\s+([A-Za-z_]\w*)"
)
_JAVA_METHOD = re.compile(
    r"^\s+(?:@\w+(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|protected|private|static|final|abstract|synchronized|native|default|"
    r"strictfp)\s+)*(?:<[^>]*>\s+)?([\w.$]+(?:<[^;=()]*>)?(?:\[\])*)\s+([A-Za-z_]\w*)\s*\("
)
#: words that can stand where a method's return type does: a statement, or a modifier
#: before a constructor (`public Name(`), which is not a method of that name
_JAVA_NOT_TYPES = {
    "return", "new", "throw", "else", "case", "yield", "await", "assert",
    "public", "protected", "private", "static", "final", "abstract", "synchronized",
}  # fmt: skip
_JAVA_SKIP = re.compile(
    r"^\s*(?:(?:public|protected|private|abstract|final|static|sealed|strictfp)\s+)*"
    r"(?:class|interface|enum|record)\b"
)
_JAVA_NAME = re.compile(r"(?:([A-Za-z_]\w*)\s*\.\s*)?([A-Za-z_]\w*)")


def java_method_header(lines: list[str], name: str) -> str | None:
    """The declarations of method `name` in a file's lines, "\n"-joined (overloads)."""
    found = []
    for line in lines:
        match = _JAVA_METHOD.match(line)
        if match and match.group(2) == name and match.group(1) not in _JAVA_NOT_TYPES:
            found.append(line.strip())
    return "\n".join(found) or None


class JavaSources:
    """Top-level types by fully qualified name, and each file's package."""

    def __init__(self, files: list[Path]) -> None:
        self.types: dict[str, tuple[Path, str]] = {}  # fqn -> (file, header)
        self.package_of: dict[Path, str] = {}
        self.by_package: dict[str, dict[str, str]] = defaultdict(dict)  # pkg -> name -> fqn
        self._lines: dict[Path, list[str]] = {}
        for path in files:
            lines = self.lines(path)
            found = _JAVA_PACKAGE.search("\n".join(lines[:80]))
            package = found.group(1) if found else ""
            self.package_of[path] = package
            for line in lines:
                match = _JAVA_TYPE.match(line)
                if match:
                    fqn = f"{package}.{match.group(1)}" if package else match.group(1)
                    self.types.setdefault(fqn, (path, line.strip()))
                    self.by_package[package].setdefault(match.group(1), fqn)

    def lines(self, path: Path) -> list[str]:
        if path not in self._lines:
            self._lines[path] = path.read_text(errors="replace").split("\n")
        return self._lines[path]

    def bindings(self, path: Path) -> tuple[dict[str, str], dict[str, str]]:
        """(simple type name -> fqn, static member name -> fqn of its type) for a file."""
        types = dict(self.by_package.get(self.package_of[path], {}))  # same package first
        statics: dict[str, str] = {}
        for match in _JAVA_IMPORT.finditer("\n".join(self.lines(path))):
            static, name, star = match.groups()
            if static and star and name in self.types:
                owner = self.lines(self.types[name][0])
                for line in owner:
                    method = _JAVA_METHOD.match(line)
                    if method and " static " in f" {line.strip()}":
                        statics.setdefault(method.group(2), name)
            elif static:
                owner_name, _, member = name.rpartition(".")
                if owner_name in self.types:
                    statics[member] = owner_name
            elif star:
                types.update(self.by_package.get(name, {}))
            elif name in self.types:
                types[name.rpartition(".")[2]] = name
        return types, statics


def java_points(root: Path, files: list[Path], wanted: int, rng: random.Random) -> list[Point]:
    sources = JavaSources(files)
    order = [(f, i) for f in files for i in candidate_lines(f.read_text(errors="replace"))]
    rng.shuffle(order)
    bindings: dict[Path, tuple[dict[str, str], dict[str, str]]] = {}
    points: list[Point] = []
    for path, index in order:
        if len(points) >= wanted:
            break
        line = sources.lines(path)[index]
        if index in block_comment_lines(path):
            continue
        method = _JAVA_METHOD.match(line)
        if _JAVA_SKIP.match(line) or (method and method.group(1) not in _JAVA_NOT_TYPES):
            continue
        if path not in bindings:
            bindings[path] = sources.bindings(path)
        types, statics = bindings[path]
        clean = _code_only(line)
        for match in _JAVA_NAME.finditer(clean):
            hit = _java_hit(sources, types, statics, match.group(1), match.group(2))
            if hit is None or hit[1] == path:
                continue
            name, target, headers = hit
            column = match.start(2) if name == match.group(2) else match.start(1)
            first, *overloads = headers.split("\n")
            point = _point(root, path, index, line, name, target, first, column)
            point.alternatives = tuple(overloads)
            points.append(point)
            break
    return points


def _java_hit(
    sources: JavaSources,
    types: dict[str, str],
    statics: dict[str, str],
    qualifier: str | None,
    name: str,
) -> tuple[str, Path, str] | None:
    """(the name to complete, file, header) for `Type.member`, `Type` or a static import."""
    if qualifier is not None:
        if qualifier not in types:
            return None
        file, type_header = sources.types[types[qualifier]]
        member = java_method_header(sources.lines(file), name)
        return (name, file, member) if member else (qualifier, file, type_header)
    if name in types:
        file, type_header = sources.types[types[name]]
        return name, file, type_header
    if name in statics:
        file = sources.types[statics[name]][0]
        member = java_method_header(sources.lines(file), name)
        return (name, file, member) if member else None
    return None


def is_test_path(rel: str) -> bool:
    """Test code by the usual conventions of the five languages (for prompt hygiene)."""
    parts = rel.split("/")
    name = parts[-1]
    folders = ("test", "tests", "__tests__", "testing", "testdata", "spec")
    return (
        any(p.lower() in folders for p in parts[:-1])
        or (name.startswith("test_") and name.endswith(".py"))
        or name in ("conftest.py", "tests.rs")
        or re.search(r"(_test\.(py|go|rs)|\.(test|spec)\.[jt]sx?|Tests?\.java)$", name) is not None
        or re.match(r"Test[A-Z]\w*\.java$", name) is not None
    )


def points_for(
    root: Path, files: list[Path], languages: set[str], wanted: int, rng: random.Random
) -> tuple[list[Point], str]:
    """The sampled points of a repository and the name of their ground truth."""
    if languages == {"python"}:
        return python_points(root, files, wanted, rng), "jedi"
    if languages == {"rust"}:
        return rust_points(root, files, wanted, rng), "regex use paths + definitions"
    if languages == {"java"}:
        return java_points(root, files, wanted, rng), "regex imports + definitions"
    language = "go" if "go" in languages else "js"
    return regex_points(root, files, language, wanted, rng), "regex imports + definitions"
