"""Helpers for the index tests: fixture repositories copied to a temporary root."""

from __future__ import annotations

import shutil
from pathlib import Path

from lsp_server.index.repo_index import IndexOptions, RepoIndex
from tests.paths import FIXTURES

REPOS = FIXTURES / "repos"


def copy_repo(language: str, dest: Path) -> Path:
    root = dest / language
    shutil.copytree(REPOS / language, root)
    return root


def make_index(root: Path, cache: Path, **options: object) -> RepoIndex:
    return RepoIndex(root, IndexOptions(cache_dir=cache, **options))  # type: ignore[arg-type]


def names(definitions) -> set[str]:  # noqa: ANN001
    return {d.name for d in definitions}
