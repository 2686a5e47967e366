"""A module alias the rest of the repository uses by convention: `ds.` in a file whose own
`from . import datastructures as ds` sits below the cursor (circular imports put it at the
bottom), or that has not written its import yet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

FILLER = "".join(f"class Other{i}:\n    def run(self): ...\n\n\n" for i in range(40))
STRUCTURES = FILLER + "class HeaderSet:\n    def add(self, header: str) -> None: ...\n"
USER = "from . import datastructures as ds\n\n\ndef headers() -> ds.HeaderSet:\n    ...\n"
EDITED = "def parse_set(value: str):\n    result = "
FILES = {
    "pkg/__init__.py": "",
    "pkg/datastructures.py": STRUCTURES,
    "pkg/http.py": EDITED + "\n",
    "pkg/routing.py": USER,
    "pkg/sansio.py": USER,
}
#: the control: the same package, where one other file alone imports a module as `ds`
ALONE = {path: text for path, text in FILES.items() if path != "pkg/sansio.py"}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "aliases")


@pytest.fixture(scope="module")
def alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, ALONE, "alone")


def test_an_alias_the_repository_gives_a_module_names_it_here_too(index: RepoIndex) -> None:
    shown = prompt(index, "pkg/http.py", EDITED + "ds.", budget=600)
    assert "class HeaderSet:" in shown


def test_no_convention_no_guess(alone: RepoIndex) -> None:
    shown = prompt(alone, "pkg/http.py", EDITED + "ds.", budget=600)
    assert "class HeaderSet:" not in shown


def test_a_local_of_that_name_is_not_the_module(index: RepoIndex) -> None:
    text = "def parse_set(ds):\n    result = ds."
    assert "class HeaderSet:" not in prompt(index, "pkg/http.py", text, budget=600)
