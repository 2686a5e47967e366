"""A receiver of unknown type and uninformative name (`G`, an untyped parameter) is known by
what the file does with it: `G.neighbors(...)`, `G.has_edge(...)` name the class that defines
those members, and `G.` then offers that class's other members (`is_directed`). What is read
on it counts too (`G.node_list`, `G.edge_map[n]`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context import gather, receivers
from lsp_server.context.gather import Gatherer
from lsp_server.context.view import IndexView
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

FILLER = "".join(
    f"\n    def helper_{i}(self, node):\n        return node * {i}\n" for i in range(30)
)
FILES = {
    "graphs/__init__.py": "",
    "graphs/graph.py": (
        "class Graph:\n"
        "    def neighbors(self, node):\n        return []\n\n"
        "    def has_edge(self, u, v):\n        return False\n\n"
        "    def degree(self, node):\n        return 0\n\n"
        "    def is_directed(self):\n        return False\n\n"
        "    @property\n    def node_list(self):\n        return []\n\n"
        "    @property\n    def edge_map(self):\n        return {}\n"
        f"{FILLER}"
    ),
    # decoys: each defines one of the names used, none all of them
    "graphs/tree.py": (
        "class Tree:\n    def neighbors(self, node):\n        return []\n\n"
        "    def children(self, node):\n        return []\n"
    ),
    "graphs/network.py": (
        "class Network:\n    def degree(self, node):\n        return 1\n\n"
        "    def bandwidth(self):\n        return 0\n"
    ),
    "algo/paths.py": (
        "def shortest(G, source):\n"
        "    for n in G.neighbors(source):\n"
        "        if G.has_edge(source, n):\n"
        "            G.degree(n)\n"
        "    return G."
    ),
    # nothing called on G: what is read on it says what it is
    "algo/views.py": (
        "def show(G):\n    n = len(G.node_list)\n    m = G.edge_map[n]\n    return G."
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "receiver-by-members")


def _view(index: RepoIndex) -> IndexView:
    return IndexView(index, lambda _path: True, "algo/paths.py")


def test_the_class_defining_the_members_used(index: RepoIndex) -> None:
    used = {"neighbors": 1, "has_edge": 1, "degree": 1}
    assert [c.name for c in receivers.classes_by_members(_view(index), used)] == ["Graph"]


def test_too_little_evidence_names_no_class(index: RepoIndex) -> None:
    view = _view(index)
    assert receivers.classes_by_members(view, {"neighbors": 3}) == []  # one name
    assert receivers.classes_by_members(view, {"neighbors": 1, "unknown_a": 1}) == []
    # two telling names, each defined by a different class: none defines two of them
    assert receivers.classes_by_members(view, {"children": 1, "bandwidth": 1}) == []
    assert [
        c.name for c in receivers.classes_by_members(view, {"children": 1, "neighbors": 1})
    ] == ["Tree"]


def test_the_prompt_offers_the_other_members(index: RepoIndex) -> None:
    text = prompt(index, "algo/paths.py", FILES["algo/paths.py"], budget=500)
    assert "def is_directed(self)" in text, text


def test_control_without_the_guess(index: RepoIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gather, "classes_by_members", lambda _view, _used: [])
    text = prompt(index, "algo/paths.py", FILES["algo/paths.py"], budget=500)
    assert "def is_directed(self)" not in text, text


def test_members_read_count_too(index: RepoIndex) -> None:
    text = prompt(index, "algo/views.py", FILES["algo/views.py"], budget=500)
    assert "def is_directed(self)" in text, text


def test_control_calls_only(index: RepoIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Gatherer, "_members_read", lambda _self, _receiver: {})
    text = prompt(index, "algo/views.py", FILES["algo/views.py"], budget=500)
    assert "def is_directed(self)" not in text, text
