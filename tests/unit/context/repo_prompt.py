"""Small repositories written by a test, and the FIM prefix the context builder assembles
for a cursor in one of their files (the file cut at the cursor, as while typing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.context import ContextBuilder
from lsp_server.index.languages import language_for_path
from lsp_server.index.repo_index import RepoIndex
from tests.index_helpers import make_index


def write_repo(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def build_index(root: Path, cache: Path) -> RepoIndex:
    index = make_index(root, cache)
    index.build()
    return index


def indexed(
    factory: pytest.TempPathFactory, files: dict[str, str], name: str
) -> Iterator[RepoIndex]:
    """A module fixture's body: the repository written and indexed, closed afterwards."""
    yield from indexed_root(write_repo(factory.mktemp(name), files), factory)


def indexed_root(root: Path, factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    """A module fixture's body for an existing tree (e.g. a fixture repository): indexed into a
    fresh cache, closed afterwards."""
    index = build_index(root, factory.mktemp("index-cache"))
    yield index
    index.close()


def prompt(index: RepoIndex, rel: str, text: str, budget: int = 1000) -> str:
    """The prefix sent for `text` (the file's content up to the cursor) as file `rel`."""
    path = index.root / rel
    spec = language_for_path(path)
    assert spec is not None
    index.update_text(path, text)
    try:
        context = ContextBuilder(index, is_excluded=lambda _p: False).build(
            path=path, language_id=spec.id, text=text, offset=len(text), budget_tokens=budget
        )
    finally:
        index.close_text(path)
    return context.prefix
