"""TypeScript/JavaScript imports to modules and members: named imports through barrel
files (`export * from`, `export {a as b} from`, `export * as ns from`), namespace and
default imports, CommonJS `require`; a module's listing holds each name once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

MANY = "".join(
    f"export function step{i}(value: number): number {{\n  return value + {i};\n}}\n\n"
    for i in range(60)
)
FILES = {
    "tsconfig.json": '{"compilerOptions": {"baseUrl": "src", "paths": {"@lib/*": ["lib/*"]}}}',
    "src/lib/strings.ts": (
        "export function isBlank(text: string): boolean {\n  return text.trim() === '';\n}\n\n"
        + MANY
        + "export function noop(): void {}\n"
    ),
    "src/lib/parse.ts": "export function parseThing(raw: string): number {\n  return 1;\n}\n",
    "src/lib/dates.ts": "export default function formatDate(d: Date): string {\n  return '';\n}\n",
    "src/lib/index.ts": (
        "export * from './strings';\n"
        "export { parseThing as parse } from './parse';\n"
        "export * as dates from './dates';\n"
    ),
    "src/lib/store.ts": (
        "export default class Store {\n"
        + "".join(f"  static helper{i}(): number {{\n    return {i};\n  }}\n" for i in range(30))
        + "  static create(name: string): Store {\n    return new Store();\n  }\n}\n"
        + MANY
    ),
    "src/usestore.ts": "import Store from './lib/store';\n\nexport function make(): void {\n",
    "src/app.ts": "import { isBlank, parse } from './lib';\n\nexport function run(): void {\n",
    "src/ns.ts": "import * as lib from '@lib/index';\n\nexport function run(): void {\n",
    "src/dflt.ts": "import fmt from './lib/dates';\n\nexport function show(): void {\n",
    "src/cjs.js": (
        "const { isBlank: blank } = require('./lib/strings.js');\n"
        "const strings = require('./lib/strings.js');\n\nfunction go() {\n"
    ),
    "src/plain.ts": "export function other(): void {\n",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "js")


def at(index: RepoIndex, rel: str, tail: str, budget: int = 700) -> str:
    return prompt(index, rel, FILES[rel] + tail, budget)


def test_named_imports_through_a_barrel(index: RepoIndex) -> None:
    shown = at(index, "src/app.ts", "  const n = parse(x);\n  if (isBlank(s)) n;\n  ")
    assert "function isBlank(text: string): boolean" in shown  # export * from
    assert "function parseThing(raw: string): number" in shown  # export {a as b} from


def test_namespace_import_of_a_barrel_lists_reexported_names(index: RepoIndex) -> None:
    assert "function isBlank(text: string)" in at(index, "src/ns.ts", "  lib.isB")
    assert "function parseThing(raw: string)" in at(index, "src/ns.ts", "  lib.pa")
    # control: a file that does not import the barrel
    assert "function isBlank(" not in at(index, "src/plain.ts", "  lib.isB")


def test_namespace_reexported_by_a_barrel_is_a_module(index: RepoIndex) -> None:
    assert "function formatDate(d: Date)" in at(index, "src/ns.ts", "  lib.dates.fo")


def test_default_import(index: RepoIndex) -> None:
    # `import fmt from`: the default export, whatever the local name
    assert "function formatDate(d: Date)" in at(index, "src/dflt.ts", "  return fmt(")
    assert "function formatDate(" not in at(index, "src/plain.ts", "  return fmt(")


def test_commonjs_require_destructured_and_whole(index: RepoIndex) -> None:
    assert "function isBlank(text: string)" in at(index, "src/cjs.js", "  if (blank(")
    assert "function noop(): void" in at(index, "src/cjs.js", "  strings.no")


def test_a_large_module_lists_the_typed_name_once(index: RepoIndex) -> None:
    shown = at(index, "src/ns.ts", "  lib.step5")
    assert "function step5(value: number)" in shown
    assert shown.count("function step5(") == 1


def test_default_imported_class_offers_its_members(index: RepoIndex) -> None:
    """`import Store from` a file whose default export is a class: `Store.cr` is a
    static member of the class, not one of the file's other top-level functions."""
    shown = at(index, "src/usestore.ts", "  const s = Store.cr")
    assert "static create(name: string): Store" in shown


def test_a_name_typed_after_a_colon_is_a_bare_name_not_a_member(index: RepoIndex) -> None:
    """`{ empty: isBl|`, `x: Fo|`: what follows `:` is looked up like any typed name (only
    `.` and Rust's `::` make it a member)."""
    from lsp_server.context.gather import Gatherer
    from lsp_server.context.view import IndexView

    rel = "src/app.ts"
    view = IndexView(index, lambda _p: True, rel)
    after_colon = Gatherer(view, rel, "typescript")
    after_colon.read_source(["  const o = { empty: isBl"])
    assert after_colon.typed == "isBl"
    path = Gatherer(view, rel, "rust")
    path.read_source(["    let k = table::Ke"])
    assert path.typed == ""
