"""A type defined twice in one file under `#[cfg]` (indexmap's `IndexMap` with and without
`std`): the methods of its `impl` blocks are listed once, under the first, not under each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

METHODS = "".join(
    f"    pub fn method_{i}(&self) -> usize {{\n        {i}\n    }}\n" for i in range(4)
)

FILES = {
    "Cargo.toml": '[package]\nname = "maps"\nversion = "0.1.0"\n',
    "src/map.rs": (
        "#[cfg(has_std)]\npub struct Map<K, V, S = RandomState> {\n    core: Vec<(K, V)>,\n"
        "    hasher: S,\n}\n"
        "#[cfg(not(has_std))]\npub struct Map<K, V, S> {\n    core: Vec<(K, V)>,\n"
        "    hasher: S,\n}\n\n"
        "impl<K, V> Map<K, V> {\n    pub fn new() -> Self {\n        todo!()\n    }\n"
        f"{METHODS}}}\n"
    ),
    "src/lib.rs": (
        "mod map;\nuse crate::map::Map;\n\n"
        "pub fn build() -> usize {\n    let m: Map<u8, u8> = Map::new();\n    m.method_0()\n"
        "    let n = Map::"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "rust-twins")


def test_impl_methods_are_listed_once(index: RepoIndex) -> None:
    text = prompt(index, "src/lib.rs", FILES["src/lib.rs"], budget=1500)
    assert text.count("pub fn method_1(&self) -> usize") == 1
    assert text.count("pub fn new() -> Self") == 1
