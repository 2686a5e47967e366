"""What a file uses from a module is what it writes as `alias.name`, anywhere above the
cursor: `px._clear(self)` in methods far up says what `px.` is about to call, while the
words `nodes` and `edges` of `self.nodes` near the cursor use nothing of the module (whose
`nodes` and `edges` functions only share their names)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context.gather import Gatherer
from lsp_server.context.names import qualified_uses
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

MUTATORS = "".join(
    f"\n    def add_{i}(self, n):\n        self.nodes.append(n)\n        px._clear(self)\n"
    for i in range(3)
)
# 350 lines of methods reading the graph's own nodes and edges, none of the module
READERS = "".join(
    f"\n    def count_{i}(self):\n        nodes = len(self.nodes)\n"
    f"        edges = len(self.edges)\n        return nodes + edges + {i}\n"
    for i in range(70)
)
CURSOR = "\n    def reset(self):\n        self.nodes = []\n        px."
FILES = {
    "pkg/__init__.py": "from pkg.util import *\nfrom pkg.util import _clear\n",
    "pkg/util.py": (
        "def nodes(g):\n    return g.nodes\n\n\n"
        "def edges(g):\n    return g.edges\n\n\n"
        + "".join(
            f"def path_graph_{i}(n, directed=False, weight=None, create_using=None):\n"
            f'    """A path graph of n nodes, variant {i}."""\n    return [n] * {i}\n\n\n'
            for i in range(200)
        )
        + "def _clear(g):\n    g.cache = {}\n"
    ),
    "pkg/digraph.py": (
        "import pkg as px\n\n\nclass DiGraph:\n"
        "    def __init__(self):\n        self.nodes = []\n        self.edges = []\n"
        f"{MUTATORS}{READERS}{CURSOR}"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "module-names-used")


def test_uses_through_a_qualifier() -> None:
    text = "\n".join(
        [
            "x = px.nodes(g) + px.edges (g) + px.nodes(h)",
            "y = self.px.nodes(g) + spx.edges(g)  # an attribute named px, another name",
            "def f(g: px.Graph) -> px.Graph:  # annotations call nothing",
            "    >>> px.nodes(g)  (a doctest's example)",
            "# px.edges in a comment",
            "z = util::parse(s)",
        ]
    )
    assert qualified_uses(text, "px", calls_only=True) == {"nodes": 2, "edges": 1}
    assert qualified_uses(text, "px") == {"nodes": 2, "edges": 1, "Graph": 2}
    assert qualified_uses(text, "util", "::") == {"parse": 1}
    assert qualified_uses(text, "util") == {}
    assert qualified_uses(text, "absent") == {}


def test_the_name_used_through_the_module_comes_first(index: RepoIndex) -> None:
    text = prompt(index, "pkg/digraph.py", FILES["pkg/digraph.py"], budget=700)
    assert "def _clear(g)" in text, text


def test_control_counting_words_only(index: RepoIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Gatherer, "uses_through", lambda _self, _qualifier: {})
    text = prompt(index, "pkg/digraph.py", FILES["pkg/digraph.py"], budget=700)
    assert "def _clear(g)" not in text, text
