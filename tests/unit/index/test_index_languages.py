"""Definitions, containers, signatures, docs and import resolution for every language."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.index.languages import (
    SPECS,
    error_summary,
    language_by_id,
    language_for_path,
    parse,
)
from lsp_server.index.repo_index import RepoIndex
from tests.index_helpers import REPOS, make_index


def _importers(index: RepoIndex, path: str) -> list[str]:
    """Files whose imports resolve to `path` (open documents' imports shadowing the disk)."""
    return sorted(f for f in index.files() if any(i.resolved == path for i in index.imports_of(f)))


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RepoIndex]:
    cache = tmp_path_factory.mktemp("cache")
    built = {}
    for language in sorted(p.name for p in REPOS.iterdir()):
        index = make_index(REPOS / language, cache)
        stats = index.build()
        assert stats.files > 0, language
        built[language] = index
    yield built
    for index in built.values():
        index.close()


def imports(index: RepoIndex, path: str) -> dict[str, str | None]:
    return {i.module: i.resolved for i in index.imports_of(path)}


def test_every_language_has_a_fixture_and_loads() -> None:
    assert {p.name for p in REPOS.iterdir()} >= {
        "python", "javascript", "typescript", "go", "rust", "java", "c", "cpp", "csharp",
        "ruby", "php",
    }  # fmt: skip
    for spec in SPECS:
        assert spec.tags_query.pattern_count > 0, spec.id
    assert language_for_path("a/b.TSX").id == "tsx"
    assert language_by_id("typescriptreact").id == "tsx"
    assert language_for_path("notes.txt") is None


def test_python(indexes: dict[str, RepoIndex]) -> None:
    index = indexes["python"]
    assert imports(index, "app.py") == {
        "shop.cart": "src/shop/cart.py",  # src/ layout
        "shop": "src/shop/cart.py",  # `from shop import cart` -> the submodule
        "shop.pricing": "src/shop/pricing.py",
        "os": None,
    }
    cart = imports(index, "src/shop/cart.py")
    assert cart[".util"] == "src/shop/util.py"
    assert cart["."] == "src/shop/util.py"
    assert imports(index, "src/shop/__init__.py") == {".cart": "src/shop/cart.py"}
    aliased = [i for i in index.imports_of("src/shop/cart.py") if i.module == ".util"][0]
    assert aliased.names == ("slugify", "clamp") and aliased.aliases == (("clamp", "limit"),)

    (cls,) = index.definitions("Cart")
    assert (cls.kind, cls.path, cls.line, cls.signature) == (
        "class", "src/shop/cart.py", 11, "class Cart(util.Base):",
    )  # fmt: skip
    assert cls.doc == "A cart of items."
    (add,) = index.definitions("add")
    assert add.kind == "method" and add.container == "Cart"
    assert add.signature == "def add(self, sku: str, quantity: int = 1) -> int:"
    assert add.doc == "Add an item and return the new quantity."
    assert (add.name_line, add.name_column) == (23, 8)
    members = {d.name: d.kind for d in index.members("Cart")}
    assert members == {
        "currency": "field", "__init__": "method", "items": "field", "owner": "field",
        "add": "method", "total": "method",
    }  # fmt: skip
    (total,) = index.definitions("total")
    assert total.signature.startswith("def total(\n") and total.signature.endswith("-> float:")
    assert index.definitions("MAX_ITEMS")[0].kind == "constant"
    assert _importers(index, "src/shop/pricing.py") == ["app.py", "src/shop/cart.py"]
    # definitions restricted to the files a file imports
    imported = [i.resolved for i in index.imports_of("app.py") if i.resolved]
    assert [d.path for d in index.definitions("price_of", in_files=imported)] == [
        "src/shop/pricing.py"
    ]
    assert index.definitions("price_of", in_files=["app.py"]) == []


def test_javascript(indexes: dict[str, RepoIndex]) -> None:
    index = indexes["javascript"]
    assert imports(index, "src/index.js") == {
        "./util": "src/util.js",
        "./lib": "src/lib/index.js",
        "./legacy.cjs": "src/legacy.cjs",
        "./lib/helper.js": "src/lib/helper.js",
    }
    first = index.imports_of("src/index.js")[1]
    assert first.names == ("default", "*")
    assert first.aliases == (("default", "Store"), ("*", "lib"))
    (store,) = index.definitions("Store")
    assert store.kind == "class" and store.doc == "A store of items."
    (add,) = index.definitions("add")
    assert add.container == "Store" and add.kind == "method" and add.doc == "Adds an item."
    assert index.definitions("formatPrice")[0].doc == "Formats a price for display."
    assert index.definitions("round")[0].kind == "function"


def test_typescript_and_tsx(indexes: dict[str, RepoIndex]) -> None:
    index = indexes["typescript"]
    assert imports(index, "src/main.ts") == {
        "@app/service": "src/app/service.ts",  # tsconfig paths with a wildcard
        "./models/user": "src/models/user.ts",
        "@models": "src/models/index.ts",  # exact paths entry
        "./view": "src/view.tsx",
    }
    kinds = {d.name: d.kind for d in index.file_definitions("src/models/user.ts")}
    assert kinds["User"] == "interface" and kinds["UserId"] == "type" and kinds["Role"] == "enum"
    (greet,) = index.definitions("greet")
    assert greet.container == "Service" and greet.kind == "method"
    assert greet.signature == "greet(user: User, role: Role): string"
    assert {d.name for d in index.file_definitions("src/view.tsx")} >= {"render", "Badge"}
    assert index.record("src/view.tsx").language == "tsx"


def test_go(indexes: dict[str, RepoIndex]) -> None:
    index = indexes["go"]
    assert imports(index, "main.go") == {
        "fmt": None,
        "example.com/shop/internal/cart": "internal/cart/cart.go",
        "example.com/shop/internal/pricing": "internal/pricing/pricing.go",
    }
    aliased = index.imports_of("main.go")[2]
    assert aliased.aliases == (("pricing", "pr"),)
    kinds = {(d.name, d.container): d.kind for d in index.file_definitions("internal/cart/cart.go")}
    assert kinds[("Cart", None)] == "struct"
    assert kinds[("Adder", None)] == "interface"
    assert kinds[("Add", "Cart")] == "method"  # receiver type is the container
    assert kinds[("Items", "Cart")] == "field"
    assert index.definitions("New")[0].doc == "New makes an empty cart."


def test_rust(indexes: dict[str, RepoIndex]) -> None:
    index = indexes["rust"]
    assert imports(index, "src/main.rs") == {
        "cart": "src/cart.rs",
        "util": "src/util.rs",
        "net": "src/net/mod.rs",
        "crate::cart": "src/cart.rs",
        "crate::net::client": "src/net/client.rs",
        "std::collections": None,
    }
    assert imports(index, "src/cart.rs") == {"super::util": "src/util.rs"}
    assert imports(index, "src/net/client.rs") == {"super::super::util": "src/util.rs"}
    assert imports(index, "src/net/mod.rs") == {"client": "src/net/client.rs"}
    defs = {(d.name, d.container): d for d in index.file_definitions("src/cart.rs")}
    assert defs[("Cart", None)].kind == "struct"
    assert defs[("Cart", None)].doc == "A cart of items."  # above #[derive]
    assert defs[("Holder", None)].kind == "trait"
    assert defs[("new", "Cart")].kind == "method"  # impl block is the container
    assert defs[("count", "Cart")].kind == "method"


def test_java(indexes: dict[str, RepoIndex]) -> None:
    index = indexes["java"]
    resolved = [(i.module, i.names, i.resolved) for i in index.imports_of(
        "src/main/java/com/shop/App.java")]  # fmt: skip
    assert resolved[0] == ("com.shop.model", ("Cart",), "src/main/java/com/shop/model/Cart.java")
    assert resolved[1][1] == ("*",) and resolved[1][2].startswith("src/main/java/com/shop/model/")
    assert resolved[2][2] == "src/main/java/com/shop/util/Strings.java"  # static import
    assert resolved[3][2] is None
    kinds = {(d.name, d.container): d.kind for d in index.definitions("add")}
    assert kinds == {("add", "Cart"): "method"}
    assert index.definitions("Cart")[0].doc == "A cart of items."
    assert {d.name for d in index.members("Cart")} >= {"items", "add", "State", "Cart"}


def test_c_and_cpp(indexes: dict[str, RepoIndex]) -> None:
    c = indexes["c"]
    assert imports(c, "src/main.c") == {
        "stdio.h": None,
        "cart.h": "src/cart.h",
        "util/log.h": "include/util/log.h",
    }
    kinds = {(d.name, d.path): d.kind for d in c.definitions("cart_add")}
    assert kinds == {("cart_add", "src/cart.c"): "function", ("cart_add", "src/cart.h"): "function"}
    body = [d for d in c.definitions("cart_add") if d.path == "src/cart.c"][0]
    assert body.signature == "int cart_add(struct cart *c, int n)"
    assert body.doc == "Adds n items, up to MAX_ITEMS."
    assert c.definitions("cart")[0].kind == "struct"
    cpp = indexes["cpp"]
    assert imports(cpp, "src/main.cpp")["shop/cart.hpp"] == "include/shop/cart.hpp"
    assert imports(cpp, "src/cart.cpp")["../include/shop/cart.hpp"] == "include/shop/cart.hpp"
    adds = {(d.path, d.container, d.kind) for d in cpp.definitions("add")}
    assert adds == {("include/shop/cart.hpp", "Cart", "method"), ("src/cart.cpp", "Cart", "method")}
    assert cpp.definitions("Cart")[0].container == "shop"


def test_csharp_ruby_php(indexes: dict[str, RepoIndex]) -> None:
    cs = indexes["csharp"]
    assert imports(cs, "Program.cs") == {
        "System": None,
        "Shop.Models": "Models/Cart.cs",  # by namespace name
        "Shop.Services.PriceService": "Services/PriceService.cs",  # by type name
    }
    (cart,) = cs.definitions("Cart")
    assert cart.kind == "class" and cart.container == "Shop.Models"
    assert cart.doc == "A cart of items."
    assert cs.definitions("Count")[0].kind == "property"
    ruby = indexes["ruby"]
    assert imports(ruby, "app.rb") == {"shop": "lib/shop.rb", "json": None}
    assert imports(ruby, "lib/shop.rb") == {
        "shop/cart": "lib/shop/cart.rb",
        "shop/pricing": "lib/shop/pricing.rb",
    }
    (add,) = ruby.definitions("add")
    assert add.container == "Cart" and add.doc == "Adds an item."
    php = indexes["php"]
    assert imports(php, "src/index.php") == {
        "/helpers.php": "src/helpers.php",
        "App\\Models": "src/Models/Cart.php",
        "App\\Services": "src/Services/PriceService.php",
    }
    (add,) = php.definitions("add")
    assert add.kind == "method" and add.container == "Cart" and add.doc == "Adds an item."
    assert php.definitions("Formats")[0].kind == "trait"


def test_syntax_error_helpers() -> None:
    assert error_summary("def f(x):\n    return x\n", "python") == []
    assert error_summary("function f( { }", "javascript")
    assert error_summary("anything at all", "cobol") == []
    messages = error_summary("def f(x:\n    return x\n", "python")
    assert messages and messages[0].startswith("line ")
    assert error_summary("x = 1\n", "python") == []
    tree = parse("class A:\n    pass\n", language_by_id("python"))
    assert tree.root_node.children[0].text == b"class A:\n    pass"  # source attached


def test_parse_timeout_is_enforced() -> None:
    from lsp_server.index.languages import ParseTimeout, parse_bytes

    data = b"x = [" * 200_000
    with pytest.raises(ParseTimeout):
        parse_bytes(data, language_by_id("python"), timeout_s=0.0)


def test_unicode_columns(tmp_path: Path) -> None:
    root = tmp_path / "u"
    root.mkdir()
    (root / "m.py").write_text("s = 'é'; t = 1\nclass Ünïcode:\n    def ß(self): pass\n")
    index = make_index(root, tmp_path / "cache")
    index.build()
    (method,) = index.definitions("ß")
    assert (method.name_line, method.name_column) == (2, 8)
    assert method.end_column == len("    def ß(self): pass")
    (cls,) = index.definitions("Ünïcode")
    assert cls.name_column == 6
    index.close()


def test_python_namespace_package_and_relative_levels(tmp_path: Path) -> None:
    root = tmp_path / "ns"
    (root / "nspkg" / "inner").mkdir(parents=True)
    (root / "nspkg" / "mod.py").write_text("def f(): pass\n")
    (root / "nspkg" / "inner" / "deep.py").write_text(
        "from nspkg import mod\nfrom .. import mod as m2\nfrom ..mod import f\n"
    )
    index = make_index(root, tmp_path / "cache")
    index.build()
    assert [i.resolved for i in index.imports_of("nspkg/inner/deep.py")] == [
        "nspkg/mod.py",
        "nspkg/mod.py",
        "nspkg/mod.py",
    ]
    index.close()
