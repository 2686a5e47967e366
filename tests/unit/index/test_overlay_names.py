"""Open documents are found by the names they define: a lookup asks only the documents
defining one of its names, and follows each new version and the close of a document."""

from __future__ import annotations

from collections.abc import Callable, KeysView
from pathlib import Path

from lsp_server.index.model import MEMBERS, TOP
from lsp_server.index.overlay_names import OverlayNames
from tests.index_helpers import copy_repo, make_index


def test_only_the_documents_defining_a_name_are_asked() -> None:
    names = OverlayNames()
    names.change("a.py", {"run": 1, "stop": 2}.keys)
    names.change("b.py", {"stop": 1}.keys)
    names.change("c.py", {"other": 1}.keys)
    assert names.defining(["run"]) == {"a.py"}
    assert names.defining(["stop", "missing"]) == {"a.py", "b.py"}
    names.change("a.py", {"run": 1}.keys)  # `stop` renamed
    assert names.defining(["stop"]) == {"b.py"}
    names.change("b.py", None)  # closed
    assert names.defining(["stop"]) == set()
    assert names.defining(["run", "other"]) == {"a.py", "c.py"}


def test_versions_are_read_only_when_asked() -> None:
    names = OverlayNames()
    read: list[int] = []

    def version(number: int, defined: dict[str, int]) -> Callable[[], KeysView[str]]:
        def keys() -> KeysView[str]:
            read.append(number)
            return defined.keys()

        return keys

    names.change("a.py", version(1, {"run": 1}))
    names.change("a.py", version(2, {"walk": 1}))  # typed again before any lookup
    assert read == []
    assert names.defining(["run"]) == set() and names.defining(["walk"]) == {"a.py"}
    assert read == [2]  # the last version alone, once


def test_lookups_follow_an_open_document_through_its_versions(tmp_path: Path) -> None:
    index = make_index(copy_repo("python", tmp_path), tmp_path / "cache")
    index.build()
    path = index.root / "src/shop/cart.py"
    on_disk = path.read_text()
    assert not index.definitions("fresh_total")

    index.update_text(path, on_disk + "\n\ndef fresh_total():\n    pass\n")
    assert [d.path for d in index.definitions("fresh_total")] == ["src/shop/cart.py"]
    assert [d.name for d in index.definitions_named(["fresh_total", "x"], (TOP,))] == [
        "fresh_total"
    ]

    # renamed in the next version: the old name is gone, the new one found
    index.update_text(path, on_disk + "\n\nclass Fresh:\n    def fresh_sum(self):\n        pass\n")
    assert not index.definitions("fresh_total")
    assert not index.definitions_named(["fresh_total"], (TOP,))
    assert [d.container for d in index.members_named("fresh_sum", ["Fresh"])] == ["Fresh"]
    assert [d.name for d in index.definitions_named(["fresh_sum"], (MEMBERS,))] == ["fresh_sum"]

    index.close_text(path)  # the disk is authoritative again
    assert not index.definitions("fresh_sum")
    assert not index.members_named("fresh_sum", ["Fresh"])
    index.close()


def test_an_open_documents_rows_on_disk_are_hidden_until_it_is_closed(tmp_path: Path) -> None:
    index = make_index(copy_repo("python", tmp_path), tmp_path / "cache")
    index.build()
    path = index.root / "src/shop/cart.py"
    assert [d.path for d in index.definitions("Cart")] == ["src/shop/cart.py"]
    index.update_text(path, "VALUE = 1\n")  # the class is gone from the open document
    assert not index.definitions("Cart")
    assert not index.definitions_named(["Cart"], (TOP,))
    index.update_text(path, "VALUE = 2\n")  # a second version: still hidden
    assert not index.definitions("Cart")
    index.close_text(path)  # the disk speaks again
    assert [d.path for d in index.definitions("Cart")] == ["src/shop/cart.py"]
    index.close()
