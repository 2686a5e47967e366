"""The receiver at the cursor assigned far above the lines read for every local: `forest.`
in a closure whose enclosing function did `forest = ufm.UnionFind()` eighty lines up is a
`UnionFind`, and its `union` method comes into the prompt."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context import candidates
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

HELPERS = "".join(
    f"\n    def helper_{i}(self, item):\n        return item * {i}\n" for i in range(30)
)
FILLER = "".join(f"    total_{i} = len(edges) + {i}\n" for i in range(80))
FILES = {
    "uf/__init__.py": "",
    "uf/union_find.py": (
        f"class UnionFind:{HELPERS}\n    def union(self, *objects):\n        return None\n"
    ),
    "algo/__init__.py": "",
    "algo/branch.py": (
        "import uf.union_find as ufm\n\n\n"
        "def branchings(edges):\n"
        "    forest = ufm.UnionFind()\n"
        f"{FILLER}"
        "    def step(u, v):\n"
        "        forest.un"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "receiver-far-above")


def test_the_assignment_far_above_types_the_receiver(index: RepoIndex) -> None:
    text = prompt(index, "algo/branch.py", FILES["algo/branch.py"], budget=600)
    assert "def union(self, *objects)" in text, text


def test_control_reading_the_recent_lines_only(
    index: RepoIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(candidates, "_type_from_far_above", lambda *_args: None)
    text = prompt(index, "algo/branch.py", FILES["algo/branch.py"], budget=600)
    assert "def union(self, *objects)" not in text, text
