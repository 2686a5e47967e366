"""Rust paths to modules and members: `use crate::a::{X, sub}` (a child module by name),
`use super::{..}`, `mod x;` + `x::f(`, `crate::a::x::f(` without a `use` (x: the one
module so named), and `Foo::new(` -> the associated function of `impl Foo`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context import ContextBuilder
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

FILLER = "".join(f"pub fn filler{i}(x: u32) -> u32 {{\n    x + {i}\n}}\n\n" for i in range(40))
FILES = {
    "Cargo.toml": '[package]\nname = "shapes"\nversion = "0.1.0"\n',
    "src/lib.rs": "pub mod shapes;\npub mod other;\nmod util;\n\npub use crate::shapes::Circle;\n",
    "src/other/mod.rs": "pub mod geometry;\n",
    "src/other/geometry.rs": "pub fn perimeter_of_other(r: f64) -> f64 {\n    r\n}\n",
    "src/shapes/sizes.rs": "pub fn biggest(a: f64, b: f64) -> f64 {\n    a\n}\n",
    "src/util.rs": "pub fn clamp(x: f64) -> f64 {\n    x\n}\n",
    "src/shapes/mod.rs": (
        "pub mod geometry;\npub mod sizes;\n#[cfg(test)]\nmod tests;\n\n"
        + FILLER
        + "pub struct Circle {\n    pub r: f64,\n}\n\n"
        "impl Circle {\n    pub fn with_radius(r: f64) -> Circle {\n        Circle { r }\n    }\n\n"
        "    pub fn area(&self) -> f64 {\n        3.14 * self.r * self.r\n    }\n}\n"
    ),
    "src/shapes/geometry.rs": (
        FILLER + "pub fn perimeter(r: f64) -> f64 {\n    2.0 * 3.14 * r\n}\n"
    ),
    "src/shapes/tests.rs": "pub fn perimeter_fixture() -> f64 {\n    1.0\n}\n",
    "src/draw.rs": "use crate::shapes::{geometry, Circle};\n\npub fn draw() {\n",
    "src/shapes/render.rs": "use super::{Circle, geometry};\n\npub fn render() {\n",
    "src/plain.rs": "pub fn plain() {\n",
    "src/inline.rs": (
        "pub fn scale(x: f64) -> f64 {\n    x\n}\n\n"
        "#[cfg(test)]\nmod tests {\n    use super::*;\n\n"
        "    pub fn scale_fixture() -> f64 {\n        scale(2.0)\n    }\n}\n\n"
        "#[cfg(test)]\nmod checks {\n    pub fn scale_checked() -> f64 {\n        1.0\n    }\n}\n"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "rust")


def at(index: RepoIndex, rel: str, tail: str, budget: int = 600) -> str:
    return prompt(index, rel, FILES[rel] + tail, budget)


PERIMETER = "pub fn perimeter(r: f64) -> f64"
WITH_RADIUS = "pub fn with_radius(r: f64) -> Circle"


@pytest.mark.parametrize("rel", ["src/draw.rs", "src/shapes/render.rs"])
def test_a_child_module_named_in_a_use_list(index: RepoIndex, rel: str) -> None:
    assert PERIMETER in at(index, rel, "    let p = geometry::pe")
    # control: without the `use`, `geometry` is one of two modules so named
    assert PERIMETER not in at(index, "src/plain.rs", "    let p = geometry::pe")


def test_associated_function_of_the_impl_block(index: RepoIndex) -> None:
    assert WITH_RADIUS in at(index, "src/draw.rs", "    let c = Circle::wi")
    used_above = "    let a = Circle::with_radius(1.0);\n    let b = "
    assert WITH_RADIUS in at(index, "src/draw.rs", used_above)


def test_crate_path_without_use(index: RepoIndex) -> None:
    biggest = "pub fn biggest(a: f64, b: f64) -> f64"
    assert biggest in at(index, "src/plain.rs", "    let p = crate::shapes::sizes::bi")
    assert "pub fn clamp(x: f64) -> f64" in at(index, "src/plain.rs", "    let x = util::cl")


def test_a_crate_path_at_the_cursor_names_its_own_module(index: RepoIndex) -> None:
    """`crate::shapes::geometry::pe|` in a file with its own `mod geometry;`: the path,
    not the nearer module of the same last name."""
    text = "mod geometry;\n\npub fn plain() {\n    let p = crate::shapes::geometry::pe"
    shown = prompt(index, "src/other/mod.rs", text, 600)
    assert PERIMETER in shown
    control = "mod geometry;\n\npub fn plain() {\n    let p = geometry::pe"
    assert PERIMETER not in prompt(index, "src/other/mod.rs", control, 600)


def test_the_test_module_file_only_for_a_test(index: RepoIndex) -> None:
    """`#[cfg(test)] mod tests;` -> tests.rs: context for a test only."""
    text = "pub fn f() {\n    let a = perimeter_fixture();\n    let p = "
    assert "fn perimeter_fixture()" not in prompt(index, "src/shapes/render.rs", text, 600)
    assert "fn perimeter_fixture()" in prompt(index, "src/shapes/more_test.rs", text, 600)


def test_an_inline_test_module_only_for_a_test(index: RepoIndex) -> None:
    """`#[cfg(test)] mod tests { ... }` inside a source file: its helpers are test code."""
    text = "use crate::inline;\n\npub fn f() {\n    let a = inline::scale_fixture();\n"
    text += "    let b = inline::scale_checked();\n    let p = "
    shown = prompt(index, "src/plain.rs", text, 600)
    assert "fn scale_fixture()" not in shown
    # control: the same helper in a module not named as tests are is context
    assert "fn scale_checked()" in shown
    assert "fn scale_fixture()" in prompt(index, "src/shapes/more_test.rs", text, 600)


def _whole_document(index: RepoIndex, rel: str, before: str, after: str) -> str:
    """The prefix sent for a cursor between `before` and `after`, the whole document open
    (as an editor sends it: the blocks around the cursor closed)."""
    path = index.root / rel
    index.update_text(path, before + after)
    try:
        context = ContextBuilder(index, is_excluded=lambda _p: False).build(
            path=path,
            language_id="rust",
            text=before + after,
            offset=len(before),
            budget_tokens=600,
        )
    finally:
        index.close_text(path)
    return context.prefix


def test_in_an_inline_test_module_test_helpers_are_context(index: RepoIndex) -> None:
    call = "    let a = inline::scale_fixture();\n    let b = "
    inside = "use crate::inline;\n\n#[cfg(test)]\nmod tests {\n    fn checks() {\n" + call
    assert "fn scale_fixture()" in _whole_document(index, "src/plain.rs", inside, "\n}\n}\n")
    # control: the same lines in a function of the module itself
    outside = "use crate::inline;\n\npub fn checks() {\n" + call
    assert "fn scale_fixture()" not in _whole_document(index, "src/plain.rs", outside, "\n}\n")
