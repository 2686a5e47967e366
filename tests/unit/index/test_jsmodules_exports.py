"""What an ES module exports is what `import * as ns` and `export * from` offer: its
`export` declarations and the names of its `export { a, b as c }` lists, not its private
helpers; a file without any `export` (CommonJS, a script) offers all its top-level names."""

from __future__ import annotations

import re

import pytest

from lsp_server.index import jsmodules
from lsp_server.index.jsmodules import JsModules
from lsp_server.index.model import Definition, Import

_DECLARED = re.compile(r"^(?:export\s+)?(?:function|const|class)\s+(\w+)")


def definitions(path: str, lines: list[str]) -> list[Definition]:
    """Top-level definitions as the index records them (a stand-in for tree-sitter)."""
    found = []
    for number, line in enumerate(lines):
        match = _DECLARED.match(line)
        if match:
            name = match.group(1)
            kind = "class" if " class " in f" {line}" else "function"
            found.append(
                Definition(name, kind, path, number, 0, number, len(line), None, line, None)
            )
    return found


FILES = {
    "esm.ts": [
        "function helper(x) {",
        "export function api(x) {",
        "const inner = 1;",
        "function renamed() {",
        "function listed() {",
        "export {",
        "  listed,",
        "  renamed as publicName,",
        "};",
        "export { other } from './other';",
    ],
    "cjs.js": ["function a() {", "function b() {", "module.exports = { a, b };"],
    "barrel.ts": ["export * from './esm';"],
    "utils.js": [
        "function one() {",
        "function two() {",
        "function hidden() {",
        "export default {",
        "  one,",
        "  second: two,",
        "};",
    ],
}
IMPORTS = {"barrel.ts": [Import("./esm", ("*",), (), 0, "esm.ts")]}


def modules() -> JsModules:
    return JsModules(
        lambda path: definitions(path, FILES.get(path, [])),
        lambda path: IMPORTS.get(path, []),
        lambda path: FILES.get(path),
    )


def test_an_es_module_offers_only_what_it_exports() -> None:
    offered = modules().exports("esm.ts").definitions
    assert sorted(offered) == ["api", "listed", "publicName"]
    assert [d.name for d in offered["publicName"]] == ["renamed"]


def test_export_star_passes_on_only_the_exports() -> None:
    assert sorted(modules().exports("barrel.ts").definitions) == ["api", "listed", "publicName"]


def test_a_file_without_exports_offers_all_its_names() -> None:
    assert sorted(modules().exports("cjs.js").definitions) == ["a", "b"]


def test_an_exported_default_object_offers_its_members() -> None:
    # `import utils from './utils'; utils.second(...)`
    offered = modules().exports("utils.js").definitions
    assert sorted(offered) == ["one", "second"]
    assert [d.name for d in offered["second"]] == ["two"]


def test_a_files_export_lists_are_read_once_per_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # each request builds its own JsModules: the scan of a large module's lines is kept
    # across them while its lines are the same list (one list per file version)
    reads: list[int] = []
    real = jsmodules.export_lists

    def counted(lines: list[str]) -> dict[str, list[str]] | None:
        reads.append(len(lines))
        return real(lines)

    monkeypatch.setattr(jsmodules, "export_lists", counted)
    jsmodules._cache.clear()
    for _request in range(3):
        modules().exports("esm.ts")
    assert len(reads) == 1
    FILES["esm.ts"] = list(FILES["esm.ts"])  # a new version of the file (same text)
    modules().exports("esm.ts")
    assert len(reads) == 2
