"""Packages as directories (Go, Java): `pkg.Func(` may name a definition in any file of
the package's directory, so a package is every file of one directory in its language."""

from __future__ import annotations

import posixpath
from collections.abc import Callable

#: Files of one package, by extension: a `.go` file's package is the other `.go` files.
PACKAGE_EXTS = {".go": (".go",), ".java": (".java",), ".kt": (".kt",), ".cs": (".cs",)}


def package_files(
    directory_files: list[str], like: str, keep: Callable[[str], bool] = lambda _p: True
) -> list[str]:
    """The files of a directory that form the package of a file with `like`'s extension,
    those `keep` accepts (the caller leaves test files out unless a test is edited)."""
    ext = posixpath.splitext(like)[1]
    exts = PACKAGE_EXTS.get(ext, (ext,))
    return [path for path in directory_files if path.endswith(exts) and keep(path)]
