"""Resolver corners: tsconfig `extends` carrying `paths`, Rust `use super::{..}` and the
path helpers the context uses for Rust segments without a `use`."""

from __future__ import annotations

from pathlib import Path

from lsp_server.index.resolve import (
    Resolver,
    rust_child_module,
    rust_crate_root,
    rust_parent_module,
)


def _write(root: Path, files: dict[str, str]) -> list[str]:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return list(files)


def test_tsconfig_paths_inherited_through_extends(tmp_path: Path) -> None:
    files = _write(
        tmp_path,
        {
            "config/tsconfig.base.json": '{"compilerOptions": {"baseUrl": "..", '
            '"paths": {"@lib/*": ["src/lib/*"]}}}',
            "tsconfig.json": '{"extends": "./config/tsconfig.base", // base\n'
            ' "compilerOptions": {"strict": true,}}',
            "src/lib/strings.ts": "export const a = 1;\n",
            "src/app.ts": "import { a } from '@lib/strings';\n",
        },
    )
    resolver = Resolver(tmp_path, files)
    assert resolver.resolve("src/app.ts", "typescript", "@lib/strings") == "src/lib/strings.ts"


def test_control_without_extends_the_alias_is_external(tmp_path: Path) -> None:
    files = _write(
        tmp_path,
        {
            "config/tsconfig.base.json": '{"compilerOptions": {"baseUrl": "..", '
            '"paths": {"@lib/*": ["src/lib/*"]}}}',
            "tsconfig.json": '{"compilerOptions": {"strict": true}}',
            "src/lib/strings.ts": "export const a = 1;\n",
            "src/app.ts": "import { a } from '@lib/strings';\n",
        },
    )
    resolver = Resolver(tmp_path, files)
    assert resolver.resolve("src/app.ts", "typescript", "@lib/strings") is None


def test_rust_use_super_list_is_the_parent_module(tmp_path: Path) -> None:
    files = _write(
        tmp_path,
        {
            "Cargo.toml": "[package]\nname = 'x'\n",
            "src/lib.rs": "pub mod hir;\n",
            "src/hir/mod.rs": "pub mod translate;\npub struct Hir;\n",
            "src/hir/translate.rs": "use super::{Hir, Error};\n",
        },
    )
    resolver = Resolver(tmp_path, files)
    found = resolver.resolve("src/hir/translate.rs", "rust", "super", ("Hir", "Error"))
    assert found == "src/hir/mod.rs"


def test_rust_module_helpers() -> None:
    files = {"src/lib.rs", "src/shapes/mod.rs", "src/shapes/geometry.rs", "src/util.rs"}
    exists = files.__contains__
    assert rust_crate_root("src/shapes/geometry.rs", exists) == "src/lib.rs"
    assert rust_parent_module("src/shapes/geometry.rs", exists) == "src/shapes/mod.rs"
    assert rust_parent_module("src/shapes/mod.rs", exists) == "src/lib.rs"
    assert rust_child_module("src/shapes/mod.rs", "geometry", exists) == "src/shapes/geometry.rs"
    assert rust_child_module("src/lib.rs", "util", exists) == "src/util.rs"
    assert rust_child_module("src/util.rs", "geometry", exists) is None
