"""Offline completion items after `self.`: the class's own members and those its bases
define (resolved as the context resolves them), never another same-named class's."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from lsp_server.completion.index_items import index_items
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed

FILES = {
    "ui/pump.py": "class Pump:\n    def post_message(self, message):\n        return True\n",
    "ui/node.py": (
        "from ui.pump import Pump\n\n\nclass Node(Pump):\n    def walk_children(self):\n"
        "        return []\n"
    ),
    "ui/widget.py": (
        "from ui.node import Node\n\n\nclass Widget(Node):\n    def render(self):\n"
        "        return ''\n\n    def post_message(self, message):\n        return False\n"
    ),
    # another class named Widget, unrelated: its members are not `self.`'s
    "legacy/widget.py": "class Widget:\n    def paint_legacy(self):\n        pass\n",
}
CURSOR_FILE = "ui/table.py"
CURSOR_TEXT = (
    "from ui.widget import Widget\n\n\nclass Table(Widget):\n    def clear(self):\n"
    "        pass\n\n    def refresh_rows(self):\n        self."
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES | {CURSOR_FILE: CURSOR_TEXT}, "py-offline")


def _items(index: RepoIndex, text: str) -> dict[str, str]:
    session = SimpleNamespace(index_for=lambda _path: index)
    path = index.root / CURSOR_FILE
    index.update_text(path, text)
    try:
        found = index_items(session, path, text, len(text))  # type: ignore[arg-type]
    finally:
        index.close_text(path)
    return {item.label: item.path for item in found}


def test_self_offers_inherited_members(index: RepoIndex) -> None:
    items = _items(index, CURSOR_TEXT)
    assert items.get("clear") == CURSOR_FILE
    assert items.get("render") == "ui/widget.py"
    assert items.get("walk_children") == "ui/node.py"
    # the most derived definition stands for an overridden member
    assert items.get("post_message") == "ui/widget.py"


def test_self_does_not_offer_a_same_named_class_elsewhere(index: RepoIndex) -> None:
    text = "class Widget:\n    def own(self):\n        self."
    session = SimpleNamespace(index_for=lambda _path: index)
    path = index.root / "ui/widget.py"
    index.update_text(path, text)
    try:
        labels = {i.label for i in index_items(session, path, text, len(text))}  # type: ignore[arg-type]
    finally:
        index.close_text(path)
    assert "own" in labels
    assert "paint_legacy" not in labels
