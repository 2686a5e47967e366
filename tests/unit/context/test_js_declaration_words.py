"""What the source says comes next from the imports. The declaration the cursor is in names
what a large namespace offers next: layers of one library name their pieces after each
other (`export function int64(` returns `core._int64(...)`, `interface ZodCodec` extends
`core.$ZodCodec`). A table of imported names follows the order of the imports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context.imports import FileImports
from lsp_server.context.view import IndexView
from lsp_server.index.jsmodules import declaration_above
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

#: a namespace of many names, none used yet by the edited file
API = "".join(
    f"export function _make{kind}Schema(params: unknown): unknown {{\n  return params;\n}}\n\n"
    for kind in ("String", "Number", "Boolean", "Date", "Symbol", "Bigint", "Undefined")
) + "".join(
    f"export function check{i}Params(value: number): boolean {{\n  return value > {i};\n}}\n\n"
    for i in range(120)
)
FILES = {
    "src/core/api.ts": API,
    "src/core/index.ts": "export * from './api';\n",
    "src/mini/coerce.ts": (
        "import * as core from '../core/index';\n\n"
        "export function string(params?: unknown): unknown {\n"
        "  return core._makeStringSchema(params);\n}\n\n"
        "export function number(params?: unknown): unknown {\n"
    ),
    "src/plain.js": "const x = require('./other');\n",
    "src/visitors/Alpha.js": "export function Alpha(node) {\n  return node;\n}\n",
    "src/visitors/Beta.js": "export function Beta(node) {\n  return node;\n}\n",
    "src/visitors/Gamma.js": "export function Gamma(node) {\n  return node;\n}\n",
    "src/visitors/Delta.js": "export function Delta(node) {\n  return node;\n}\n",
    "src/table.js": (
        "import { Alpha } from './visitors/Alpha.js';\n"
        "import { Beta } from './visitors/Beta.js';\n"
        "import { Gamma } from './visitors/Gamma.js';\n"
        "import { Delta } from './visitors/Delta.js';\n\n"
        "const visitors = {\n\tAlpha,\n\tBeta,\n"
    ),
}


VISITORS = [f"Visit{kind}" for kind in ("Array", "Block", "Call", "Class", "Export", "For",
    "Identifier", "If", "Import", "Label", "Member", "New", "Object", "Return", "Switch",
    "Throw", "Try", "Unary", "Update", "While", "Yield", "Await", "Binary", "Chain")]  # fmt: skip
for _name in VISITORS:
    FILES[f"src/visit/{_name}.js"] = (
        f"export function {_name}(node, context) {{\n"
        + "".join(f"  context.visit(node.part{i});\n" for i in range(12))
        + "}\n"
    )
FILES["src/visit/index.js"] = (
    "".join(f"import {{ {n} }} from './{n}.js';\n" for n in VISITORS)
    + "\nexport const visitors = {\n"
    + "".join(f"\t{n},\n" for n in VISITORS[:14])
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "js-declaration")


def test_declaration_above_the_cursor() -> None:
    lines = [
        "export const ZodMiniCIDRv6: core.$constructor<ZodMiniCIDRv6> = core.$constructor(",
        '  "ZodMiniCIDRv6",',
        "  (inst, def) => {",
        "    core.",
    ]
    assert declaration_above(lines) == "ZodMiniCIDRv6"
    assert declaration_above(["export interface ZodCodec<A>", "  extends core."]) == "ZodCodec"
    assert declaration_above(["export default async function load(", "  x"]) == "load"
    assert declaration_above(["abstract class Store {", "  get()"]) == "Store"
    assert declaration_above(["  const inner = 1;", "  call("]) is None  # not at column 0


def test_declaration_fit_is_the_share_of_a_names_words(index: RepoIndex) -> None:
    rel = "src/mini/coerce.ts"
    imports = FileImports(IndexView(index, lambda _p: True, rel), rel, "typescript", False)
    imports.bind_requires((FILES[rel] + "  return core.").split("\n"))
    assert imports.declaration_fit("_makeNumberSchema") == pytest.approx(1 / 3)
    assert imports.declaration_fit("number") == 1.0
    assert imports.declaration_fit("_makeStringSchema") == 0.0
    assert imports.declaration_fit("check7Params") == 0.0


def test_declaration_words_only_for_scripts(index: RepoIndex) -> None:
    rel = "src/plain.js"
    python = FileImports(IndexView(index, lambda _p: True, rel), rel, "python", False)
    python.bind_requires(["def number():", "    core."])
    assert python.declaration_fit("number") == 0.0
    assert not python.explicit_exports


def test_namespace_member_named_after_the_enclosing_function(index: RepoIndex) -> None:
    rel = "src/mini/coerce.ts"
    shown = prompt(index, rel, FILES[rel] + "  return core.", budget=400)
    assert "export function _makeNumberSchema(" in shown


def test_next_in_import_order(index: RepoIndex) -> None:
    rel = "src/table.js"
    imports = FileImports(IndexView(index, lambda _p: True, rel), rel, "javascript", False)
    imports.bind_requires((FILES[rel] + "\t").split("\n"))
    assert imports.next_in_order == {"Gamma": 1.0, "Delta": 0.5}


def test_nothing_next_when_no_import_is_used_above(index: RepoIndex) -> None:
    rel = "src/table.js"
    imports = FileImports(IndexView(index, lambda _p: True, rel), rel, "javascript", False)
    imports.bind_requires(FILES[rel].split("\n")[:5] + ["function f() {", "  "])
    assert imports.next_in_order == {}


def test_a_table_of_imports_shows_the_next_one(index: RepoIndex) -> None:
    rel = "src/visit/index.js"
    shown = prompt(index, rel, FILES[rel] + "\t", budget=500)
    assert "export function VisitThrow(node, context) {" in shown
