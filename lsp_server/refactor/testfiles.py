"""Where a file's tests live in this project's convention (a few stats, never a walk).

An existing test file for the source wins; otherwise the layout the project already uses
(a `tests/` tree, `__tests__` folders, `*.spec.ts` siblings, Maven's `src/test/java`…)
decides, and the language's own habit is the fallback.
"""

from __future__ import annotations

import os
from pathlib import Path


def _first_existing(paths: list[Path]) -> Path | None:
    return next((p for p in paths if p.is_file()), None)


def _siblings(directory: Path) -> list[str]:
    try:
        return os.listdir(directory)
    except OSError:
        return []


def _relative_dir(source: Path, root: Path) -> Path:
    try:
        rel = source.parent.relative_to(root)
    except ValueError:
        return Path()
    parts = [p for p in rel.parts if p not in ("src", "lib")]
    return Path(*parts) if parts else Path()


def _python(source: Path, root: Path) -> Path:
    stem, here = source.stem, source.parent
    rel = _relative_dir(source, root)
    name = f"test_{stem}.py"
    candidates = [
        root / "tests" / rel / name,
        root / "tests" / name,
        root / "test" / rel / name,
        root / "test" / name,
        here / name,
        here / f"{stem}_test.py",
        here / "tests" / name,
    ]
    if found := _first_existing(candidates):
        return found
    for tests in (root / "tests", root / "test"):
        if tests.is_dir():
            return tests / rel / name if (tests / rel).is_dir() else tests / name
    return here / name


def _javascript(source: Path, root: Path) -> Path:
    stem, here, ext = source.stem, source.parent, source.suffix
    candidates = [
        here / f"{stem}.test{ext}",
        here / f"{stem}.spec{ext}",
        here / "__tests__" / f"{stem}.test{ext}",
        here / "__tests__" / f"{stem}.spec{ext}",
        root / "test" / f"{stem}.test{ext}",
        root / "tests" / f"{stem}.test{ext}",
    ]
    if found := _first_existing(candidates):
        return found
    siblings = _siblings(here)
    infix = "spec" if any(".spec." in n for n in siblings) else "test"
    if (here / "__tests__").is_dir():
        return here / "__tests__" / f"{stem}.{infix}{ext}"
    return here / f"{stem}.{infix}{ext}"


def _java(source: Path, root: Path) -> Path:
    parts = list(source.parts)
    name = f"{source.stem}Test.java"
    for i in range(len(parts) - 2):
        if parts[i : i + 3] == ["src", "main", "java"]:
            return Path(*parts[:i], "src", "test", "java", *parts[i + 3 : -1], name)
    return source.parent / name


def _ruby(source: Path, root: Path) -> Path:
    rel = _relative_dir(source, root)
    spec = root / "spec" / rel / f"{source.stem}_spec.rb"
    test = root / "test" / rel / f"test_{source.stem}.rb"
    if found := _first_existing([spec, test]):
        return found
    return spec if (root / "spec").is_dir() else test


def locate_test_file(source: Path, root: Path | None, language_id: str) -> Path:
    """The test file for `source` (it may not exist yet)."""
    root = root or source.parent
    stem, ext = source.stem, source.suffix
    if language_id == "python":
        return _python(source, root)
    if language_id in ("javascript", "typescript", "tsx", "javascriptreact", "typescriptreact"):
        return _javascript(source, root)
    if language_id == "go":
        return source.parent / f"{stem}_test.go"
    if language_id == "rust":
        return root / "tests" / f"{stem}.rs"
    if language_id == "java":
        return _java(source, root)
    if language_id == "ruby":
        return _ruby(source, root)
    if language_id == "php":
        return root / "tests" / f"{stem[:1].upper()}{stem[1:]}Test.php"
    if language_id == "csharp":
        return source.parent / f"{stem}Tests.cs"
    return root / "tests" / f"test_{stem}{ext}"
