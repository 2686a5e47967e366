"""What a JavaScript/TypeScript module exports: its own top-level definitions plus what it
re-exports (`export {a as b} from`, `export * from`, `export * as ns from`), followed
through barrel (`index.ts`) files.

The index stores an `export ... from` like an import (module, names, aliases); only the
source line says which of the two it is, so the caller passes `line_text`. Answers are
memoized in a dict the caller owns (one per context assembly or completion request).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeAlias

from .model import Definition, DefKind, Import

#: How many `export ... from` hops are followed (barrels of barrels are common).
MAX_DEPTH = 5

DefinitionsOf = Callable[[str], list[Definition]]
ImportsOf = Callable[[str], list[Import]]
LinesOf = Callable[[str], "list[str] | None"]
#: What a name imported from a module is: its definitions (a TypeScript type and value may
#: share the name), a module file (a namespace), or nothing known.
Found: TypeAlias = tuple[Definition, ...] | str | None


@dataclass
class JsExports:
    """Exported name -> its definition, or -> the module file it names (a namespace)."""

    definitions: dict[str, tuple[Definition, ...]] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)

    def offers(self, name: str) -> bool:
        return name in self.definitions or name in self.namespaces


@dataclass
class JsModules:
    """Exports of JS/TS files, resolved through re-exports and memoized."""

    definitions_of: DefinitionsOf
    imports_of: ImportsOf
    lines_of: LinesOf
    _memo: dict[str, JsExports] = field(default_factory=dict)
    _defaults: dict[str, Definition | None] = field(default_factory=dict)

    def _line(self, file: str, line: int) -> str:
        lines = self.lines_of(file)
        return lines[line] if lines is not None and 0 <= line < len(lines) else ""

    def default(self, file: str) -> Definition | None:
        """The definition a file exports as default (`export default function f`), or
        the one `export default f` names."""
        if file in self._defaults:
            return self._defaults[file]
        found: Definition | None = None
        lines = self.lines_of(file) or []
        own = [d for d in self.definitions_of(file) if d.container is None]
        for definition in own:
            if definition.line < len(lines) and _is_default(lines[definition.line]):
                found = definition
                break
        if found is None:
            named = {d.name: d for d in own}
            for line in reversed(lines):
                match = _DEFAULT_NAME.match(line)
                if match and match.group(1) in named:
                    found = named[match.group(1)]
                    break
        self._defaults[file] = found
        return found

    def exports(self, file: str) -> JsExports:
        return self._exports(file, 0, frozenset())

    def _exports(self, file: str, depth: int, visiting: frozenset[str]) -> JsExports:
        hit = self._memo.get(file)
        if hit is not None:
            return hit
        out = JsExports()
        listed = self._export_lists(file)
        lines = self.lines_of(file) if listed is not None else None
        for definition in self.definitions_of(file):
            if definition.container is not None or definition.name in ("_", "default"):
                continue
            names = [definition.name]
            if listed is not None and lines is not None:  # an ES module: what it exports
                line = lines[definition.line] if definition.line < len(lines) else ""
                names = [] if not line.lstrip().startswith("export") else names
                names += listed.get(definition.name, [])
            for name in names:
                # TypeScript merges a type and a value of one name (`interface
                # $constructor` and `function $constructor`): both are what it offers
                out.definitions[name] = out.definitions.get(name, ()) + (definition,)
        if depth < MAX_DEPTH:
            self._reexports(file, out, depth, visiting | {file})
            self._memo[file] = out  # (cut short only at the depth limit: not kept then)
        return out

    def _export_lists(self, file: str) -> dict[str, list[str]] | None:
        """For an ES module, the local names its `export { a, b as c }` lists and an
        `export default { a, b: c }` object export (local -> exported names); None for a
        file with no `export` (CommonJS, a script): all its top-level names count then.
        Without this a namespace or `export *` offered every helper of a module (zod's
        `core` barrel: 1417 top-level names, 1185 exported)."""
        lines = self.lines_of(file)
        if lines is None:
            return None
        scan = _scan(file, lines)
        if not scan.listed_read:
            scan.listed, scan.listed_read = export_lists(lines), True
        return scan.listed

    def _reexports(self, file: str, out: JsExports, depth: int, visiting: frozenset[str]) -> None:
        for imp in self.imports_of(file):
            target = imp.resolved
            if target is None or target == file or target in visiting:
                continue
            aliases = dict(imp.aliases)
            is_export: bool | None = None
            for name in imp.names:
                local = aliases.get(name, name)
                if name == "*" and local == "*":  # `export * from` (no `import *` without as)
                    inner = self._exports(target, depth + 1, visiting)
                    for key, value in inner.definitions.items():
                        out.definitions.setdefault(key, value)
                    for key, module in inner.namespaces.items():
                        out.namespaces.setdefault(key, module)
                    continue
                if is_export is None:
                    is_export = self._line(file, imp.line).lstrip().startswith("export")
                if not is_export or out.offers(local):
                    continue
                if name == "*":
                    out.namespaces[local] = target
                    continue
                inner = self._exports(target, depth + 1, visiting)
                default = self.default(target) if name == "default" else None
                found = (default,) if default is not None else inner.definitions.get(name)
                if found:
                    out.definitions[local] = found
                elif name in inner.namespaces:
                    out.namespaces[local] = inner.namespaces[name]

    def resolve(self, file: str, name: str) -> Found:
        """`name` imported from `file`: its definition, a module file (a namespace
        re-export), or None. "default" is the default export. Follows only the
        re-exports that can bind `name` (a barrel is not listed whole for one name)."""
        return self._resolve(file, name, 0, frozenset())

    def _resolve(self, file: str, name: str, depth: int, visiting: frozenset[str]) -> Found:
        if name == "default":
            default = self.default(file)
            return (default,) if default is not None else None
        known = self._memo.get(file)
        if known is not None:
            return known.definitions.get(name) or known.namespaces.get(name)
        own = tuple(d for d in self.definitions_of(file) if d.container is None and d.name == name)
        if own:
            return own
        if depth >= MAX_DEPTH:
            return None
        visiting = visiting | {file}
        stars: list[str] = []
        for imp in self.imports_of(file):
            target = imp.resolved
            if target is None or target in visiting:
                continue
            aliases = dict(imp.aliases)
            for original in imp.names:
                local = aliases.get(original, original)
                if original == "*" and local == "*":
                    stars.append(target)
                elif local == name and self._line(file, imp.line).lstrip().startswith("export"):
                    if original == "*":
                        return target
                    return self._resolve(target, original, depth + 1, visiting)
        for target in stars:
            found = self._resolve(target, name, depth + 1, visiting)
            if found is not None:
                return found
        return None


_EXPORT_LIST = re.compile(r"^export\s+(?:type\s+|default\s+)?\{")
_NAME = re.compile(r"[A-Za-z_$][\w$]*")
_DEFAULT_NAME = re.compile(r"^\s*(?:export\s+default|module\.exports\s*=)\s+([\w$]+)\s*;?\s*$")


def export_lists(lines: list[str]) -> dict[str, list[str]] | None:
    """An ES module's `export { a, b as c }` lists and `export default { a, b: c }`
    object: local -> exported names; None for a file with no `export` at all."""
    listed: dict[str, list[str]] = {}
    esm = False
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if not line.startswith("export"):
            continue
        esm = True
        if _EXPORT_LIST.match(line) is None:
            continue
        text = line
        while "}" not in text and number < len(lines) and len(text) < 8000:
            text += " " + lines[number]
            number += 1
        body, _, rest = text.partition("{")[2].partition("}")
        if "from" in rest.split(";", 1)[0]:
            continue  # `export { a } from './x'`: a re-export (see `_reexports`)
        for local, exported in _export_items(body, text.startswith("export default")):
            listed.setdefault(local, []).append(exported)
    return listed if esm else None


def _export_items(body: str, default_object: bool) -> list[tuple[str, str]]:
    """(local, exported) names of an export list `a, b as c, type d` or of an exported
    default object `a, c: b` (shorthand or `key: local`); anything else is left out."""
    out: list[tuple[str, str]] = []
    for item in body.split(","):
        if default_object:
            key, _, value = item.partition(":")
            local, exported = (value or key).strip(), key.strip()
        else:
            parts = item.split()
            parts = parts[1:] if parts[:1] == ["type"] else parts
            if len(parts) == 3 and parts[1] == "as":
                local, exported = parts[0], parts[2]
            elif len(parts) == 1:
                local = exported = parts[0]
            else:
                continue
        if _NAME.fullmatch(local) and _NAME.fullmatch(exported):
            out.append((local, exported))
    return out


def _is_default(line: str) -> bool:
    return line.lstrip().startswith("export default")


#: A top-level exported declaration, as a file the index skipped shows it (column 0).
_EXPORTED_DECLARATION = re.compile(
    r"^export\s+(?:default\s+)?(?:declare\s+)?(?:async\s+)?"
    r"(function\s*\*?|class|const|let|var|interface|type|enum)\s+([A-Za-z_$][\w$]*)"
)
_DECLARED_KIND: dict[str, DefKind] = {
    "class": "class",
    "interface": "interface",
    "type": "type",
    "enum": "enum",
    "const": "constant",
    "let": "variable",
    "var": "variable",
}


@dataclass
class _Scan:
    """What was read from one version of a file's lines (see `_scan`)."""

    lines: list[str]
    declared: list[Definition] | None = None
    listed: dict[str, list[str]] | None = None
    listed_read: bool = False


_cache: dict[str, _Scan] = {}
SCANNED_FILES = 256  # files whose scans are remembered across requests


def _scan(path: str, lines: list[str]) -> _Scan:
    """The scans of a file, kept while `lines` is the same list (`source.file_lines` hands
    out one list per file version): a request must not re-read a large module's lines
    (effect's 877 KB Effect.ts) that the previous one already read."""
    hit = _cache.get(path)
    if hit is None or hit.lines is not lines:
        if hit is None and len(_cache) >= SCANNED_FILES:
            _cache.pop(next(iter(_cache)))
        hit = _cache[path] = _Scan(lines)
    return hit


def declared_exports(path: str, lines: list[str]) -> list[Definition]:
    """The top-level exported declarations of a file the index holds nothing for (skipped
    as generated, e.g. svelte's 300 `export function` of `errors.js`, or as too large),
    read from its lines: names and headers (a parameter list over several lines whole),
    enough to resolve `import * as e` members and to show what they take. No doc lines:
    such modules are long lists of small declarations, and at `e.` with nothing typed a
    doc line per name halves how many names fit (svelte's `e.` recall 1.00 -> .71).
    Remembered while `lines` is the same list (`source.file_lines` hands out one list per
    file version)."""
    scan = _scan(path, lines)
    if scan.declared is not None:
        return scan.declared
    found: list[Definition] = []
    for number, line in enumerate(lines):
        if not line.startswith("export"):
            continue
        match = _EXPORTED_DECLARATION.match(line)
        if match is None:
            continue
        keyword, name = match.group(1), match.group(2)
        kind = _DECLARED_KIND.get(keyword, "function")
        last = _header_end(lines, number)
        signature = "\n".join(lines[number : last + 1]).strip()
        found.append(
            Definition(
                name, kind, path, number, 0, last, len(lines[last]), None, signature,
                None, number, match.start(2),
            )
        )  # fmt: skip
    scan.declared = found
    return found


HEADER_LINES = 6  # at most this many lines of a declaration's header (its parameters)


def _header_end(lines: list[str], first: int) -> int:
    """The last line of a declaration's header: where its body or value begins (a line
    ending in `{`, `;` or `=>`, or the first line when it assigns), so that a parameter
    list over several lines is shown whole."""
    if " = " in lines[first] or lines[first].rstrip().endswith("="):
        return first
    for number in range(first, min(len(lines), first + HEADER_LINES)):
        if lines[number].rstrip().endswith(("{", ";", "=>")):
            return number
    return first


#: A declaration at the start of a line: `export const ZodMiniCIDRv6: ... =`,
#: `export function number(`, `interface ZodCodec<A>`, `class Store {`.
_DECLARATION_LINE = re.compile(
    r"^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?"
    r"(?:function\s*\*?|class|interface|type|enum|const|let|var)\s+([A-Za-z_$][\w$]*)"
)
DECLARATION_LOOKBACK = 80  # lines searched upwards for the declaration the cursor is in


def declaration_above(lines: list[str]) -> str | None:
    """The name of the top-level declaration the cursor (at the end of `lines`) is in: the
    nearest line above that declares at column 0. Layers of one library name their
    pieces after each other (`export function int64(` calls `core._int64`, `interface
    ZodCodec` extends `core.$ZodCodec`), so its words tell which of a large module's
    names comes next."""
    for line in reversed(lines[-DECLARATION_LOOKBACK:]):
        if line[:1].isspace() or not line:
            continue
        match = _DECLARATION_LINE.match(line)
        if match is not None:
            return match.group(1)
    return None


def require_bindings(text: str, module: str) -> list[tuple[str, str | None]]:
    """CommonJS bindings of `require(module)` in `text`: (local, member), member None for
    the module itself (`const x = require('./x')`), else `const {a, b: c} = require(...)`
    -> [("a", "a"), ("c", "b")] and `const f = require('./x').f` -> [("f", "f")]."""
    quoted = re.escape(module)
    pattern = re.compile(
        r"(?:const|let|var)\s+(\{[^}]*\}|[\w$]+)\s*=\s*require\(\s*['\"`]"
        + quoted
        + r"['\"`]\s*\)(?:\s*\.\s*([\w$]+))?"
    )
    out: list[tuple[str, str | None]] = []
    for match in pattern.finditer(text):
        target, member = match.group(1), match.group(2)
        if not target.startswith("{"):
            out.append((target, member))
            continue
        for item in target.strip("{} \n").split(","):
            original, _, local = item.partition(":")
            original, local = original.strip(), (local.strip() or original.strip())
            local = local.split("=", 1)[0].strip()
            if re.fullmatch(r"[\w$]+", original) and re.fullmatch(r"[\w$]+", local):
                out.append((local, original))
    return out
