"""Python: `import graphs as gx` where `graphs/__init__.py` star-imports subpackages that
star-import their modules (networkx's layout): `gx.` offers the public names of those
modules, two packages down, and `gx.co|` finds `core_number` there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.index.pymodules import STAR_DEPTH, PythonModules, exported
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

FILLER = "".join(f"\ndef helper_{i}(G):\n    return G\n" for i in range(30))

FILES = {
    "graphs/__init__.py": (
        "from graphs.exception import *\nfrom graphs import algorithms\n"
        "from graphs.algorithms import *\n"
    ),
    "graphs/exception.py": "class GraphError(Exception):\n    pass\n",
    "graphs/algorithms/__init__.py": (
        "from graphs.algorithms.core import *\nfrom graphs.algorithms.flow import *\n"
        "from graphs.algorithms.deep import *\n"
    ),
    "graphs/algorithms/core.py": (
        "def core_number(G):\n    return {}\n\n\ndef _peel(G):\n    return G\n"
    ),
    "graphs/algorithms/flow.py": f"def max_flow(G, s, t):\n    return 0\n{FILLER}",
    # a third package down: past STAR_DEPTH, not offered
    "graphs/algorithms/deep/__init__.py": "from graphs.algorithms.deep.far import *\n",
    "graphs/algorithms/deep/far.py": "def far_away(G):\n    return G\n",
    # a package star-importing itself back: followed once
    "graphs/cycle/__init__.py": "from graphs.cycle.a import *\n",
    "graphs/cycle/a.py": "from graphs.cycle import *\n\n\ndef in_cycle():\n    return 1\n",
    "app/use.py": (
        "import graphs as gx\n\n\n"
        "def shells(H):\n"
        "    flow = gx.max_flow(H, 0, 1)\n"
        "    numbers = gx.co"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "py-star-packages")


def _offer(index: RepoIndex, rel: str) -> dict[str, str]:
    modules = PythonModules(index.files())
    found = exported(rel, modules, index.file_definitions, index.imports_of)
    return {d.name: d.path for d in found}


def test_star_imports_of_packages_are_offered(index: RepoIndex) -> None:
    offer = _offer(index, "graphs/__init__.py")
    assert offer["core_number"] == "graphs/algorithms/core.py"
    assert offer["max_flow"] == "graphs/algorithms/flow.py"
    assert offer["GraphError"] == "graphs/exception.py"
    assert "_peel" not in offer  # private: a star import does not bind it
    assert STAR_DEPTH == 2 and "far_away" not in offer


def test_one_prefetch_per_level(index: RepoIndex) -> None:
    asked: list[list[str]] = []
    modules = PythonModules(index.files())
    exported("graphs/__init__.py", modules, index.file_definitions, index.imports_of, asked.append)
    assert asked == [
        ["graphs/exception.py", "graphs/algorithms/__init__.py"],
        [
            "graphs/algorithms/core.py",
            "graphs/algorithms/flow.py",
            "graphs/algorithms/deep/__init__.py",
        ],
    ]


def test_a_star_import_cycle_ends(index: RepoIndex) -> None:
    assert _offer(index, "graphs/cycle/__init__.py") == {"in_cycle": "graphs/cycle/a.py"}


def test_typed_name_of_a_star_imported_module_reaches_the_prompt(index: RepoIndex) -> None:
    assert "def core_number(G):" in prompt(index, "app/use.py", FILES["app/use.py"], 600)
