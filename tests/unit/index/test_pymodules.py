"""Per-name import resolution: modules bound by `from pkg import mod`, aliases, relative
imports, src-layout and namespace packages, `__init__` re-exports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.index.pymodules import Binding, PythonModules, exported
from lsp_server.index.repo_index import RepoIndex
from tests.paths import FIXTURES
from tests.unit.context.repo_prompt import indexed_root

ROOT = FIXTURES / "repos" / "context_layouts"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed_root(ROOT, tmp_path_factory)


def bindings(index: RepoIndex, rel: str) -> dict[str, tuple[str, str | None]]:
    modules = PythonModules(index.files())
    return {b.local: (b.file, b.member) for b in modules.bindings(rel, index.imports_of(rel))}


def test_submodules_imported_by_name_and_alias_in_src_layout(index: RepoIndex) -> None:
    bound = bindings(index, "app/main.py")
    assert bound["pricing"] == ("src/shop/pricing.py", None)  # import shop.pricing as pricing
    assert bound["models"] == ("src/shop/models.py", None)  # from shop import models, nodes
    assert bound["nodes"] == ("src/shop/nodes.py", None)
    assert bound["export"] == ("src/plugins/export.py", None)  # namespace package


def test_relative_imports_bind_modules_and_members(index: RepoIndex) -> None:
    assert bindings(index, "src/shop/checkout.py") == {
        "models": ("src/shop/models.py", None),
        "pricing": ("src/shop/pricing.py", None),
    }
    assert bindings(index, "src/shop/sub/report.py") == {
        "prices": ("src/shop/pricing.py", None),
        "Cart": ("src/shop/models.py", "Cart"),
    }


def test_one_file_per_statement_cannot_say_it(index: RepoIndex) -> None:
    """The control: the index's per-statement answer names the package, not the modules."""
    (imp,) = index.imports_of("src/shop/checkout.py")
    assert imp.names == ("models", "pricing")
    assert imp.resolved == "src/shop/__init__.py"


def test_plain_dotted_import_binds_the_chain_and_its_head(index: RepoIndex) -> None:
    bound = bindings(index, "app/plain.py")
    assert bound["shop.pricing"] == ("src/shop/pricing.py", None)
    assert bound["shop"] == ("src/shop/__init__.py", None)


def test_package_init_exports_its_reexports(index: RepoIndex) -> None:
    modules = PythonModules(index.files())
    names = {
        d.name: d.path
        for d in exported("src/shop/__init__.py", modules, index.file_definitions, index.imports_of)
    }
    assert names == {"compute_total": "src/shop/pricing.py"}


def test_ambiguous_module_prefers_source_roots_then_the_importers_tree() -> None:
    modules = PythonModules(
        ["vendor/x/util.py", "src/util.py", "tools/a/util.py", "tools/a/main.py"]
    )
    assert modules.module("util", "tools/a/main.py") == "src/util.py"
    assert modules.module("a.util", "tools/a/main.py") == "tools/a/util.py"
    assert modules.module("missing", "tools/a/main.py") is None


def test_star_and_external_imports() -> None:
    from lsp_server.index.model import Import

    modules = PythonModules(["pkg/__init__.py", "pkg/core.py", "pkg/api.py"])
    imports = [
        Import("os.path", ("join",), (), 0, None),
        Import(".core", ("*",), (), 1, None),
        Import("pkg.core", ("run",), (("run", "go"),), 2, None),
    ]
    assert modules.bindings("pkg/api.py", imports) == [
        Binding("*", "pkg/core.py", "*", 1),
        Binding("go", "pkg/core.py", "run", 2),
    ]
