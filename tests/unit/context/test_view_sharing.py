"""Shared index answers outlive keystrokes in the edited file, and a change elsewhere drops
every answer it may have made stale: typing in one file never starts the next completion
cold, an edit elsewhere is seen at once (not after a TTL), and the answers about a third
file's own rows outlive it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.context.view import IndexView, clear_shared_cache
from lsp_server.index.model import Definition
from lsp_server.index.repo_index import IndexOptions, RepoIndex


class CountingIndex(RepoIndex):
    """A real index that counts the name questions reaching it, and the files whose top
    level it was asked for."""

    asked = 0

    def __init__(self, root: Path, options: IndexOptions) -> None:
        super().__init__(root, options)
        self.tops: list[str] = []

    def definitions(self, name: str, in_files: object = None) -> list[Definition]:
        self.asked += 1
        return super().definitions(name, in_files)  # type: ignore[arg-type]

    def top_level_definitions(self, path: Path | str) -> list[Definition]:
        self.tops.append(str(path))
        return super().top_level_definitions(path)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[CountingIndex]:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "edited.py").write_text("def main():\n    return helper()\n")
    (root / "other.py").write_text("def helper():\n    return 1\n")
    (root / "third.py").write_text("X = 1\n")
    built = CountingIndex(root, IndexOptions(cache_dir=tmp_path / "cache"))
    built.build()
    clear_shared_cache()
    yield built
    built.close()
    clear_shared_cache()


def helpers(index: RepoIndex, current: str) -> list[str]:
    view = IndexView(index, lambda _path: True, current)
    return [d.signature for d in view.definitions("helper")]


def test_typing_in_the_edited_file_keeps_the_shared_answers(index: CountingIndex) -> None:
    assert helpers(index, "edited.py") == ["def helper():"]
    index.update_text(index.root / "edited.py", "def main():\n    return help")
    assert helpers(index, "edited.py") == ["def helper():"]
    assert index.asked == 1  # the second keystroke's question was answered from the share
    # control: another file's view may not use answers that hold the edited file's old rows
    assert helpers(index, "third.py") == ["def helper():"]
    assert index.asked == 2


def test_an_edit_in_another_file_is_seen_at_once(index: CountingIndex) -> None:
    assert helpers(index, "edited.py") == ["def helper():"]
    index.update_text(index.root / "other.py", "def helper(x):\n    return x\n")
    assert helpers(index, "edited.py") == ["def helper(x):"]
    assert index.asked == 2


def test_the_change_log_names_the_files_changed(index: CountingIndex) -> None:
    start = index.generation
    index.update_text(index.root / "edited.py", "def main():\n    pass\n")
    index.update_text(index.root / "other.py", "def helper():\n    pass\n")
    assert index.changed_since(start) == {"edited.py", "other.py"}
    assert index.changed_since(index.generation) == frozenset()
    index.build()  # answers about any file may have changed
    assert index.changed_since(start) is None


def tops(index: RepoIndex, current: str, path: str) -> list[str]:
    return [d.signature for d in IndexView(index, lambda _path: True, current).top_level(path)]


def test_a_change_elsewhere_keeps_the_answers_about_a_third_files_rows(
    index: CountingIndex,
) -> None:
    assert tops(index, "edited.py", "third.py") == ["X = 1"]
    assert tops(index, "edited.py", "other.py") == ["def helper():"]
    assert helpers(index, "edited.py") == ["def helper():"]
    index.update_text(index.root / "other.py", "def helper(x):\n    return x\n")
    assert tops(index, "edited.py", "third.py") == ["X = 1"]
    assert index.tops == ["third.py", "other.py"]  # third.py's answer outlived the change
    # the changed file's own rows and every name's definitions are asked again
    assert tops(index, "edited.py", "other.py") == ["def helper(x):"]
    assert helpers(index, "edited.py") == ["def helper(x):"]
    assert index.tops == ["third.py", "other.py", "other.py"] and index.asked == 2


def test_after_a_change_elsewhere_the_prompt_is_the_cold_one(tmp_path: Path) -> None:
    """The prompt assembled from the answers that outlived a change equals the one
    assembled with none: the same request on the same repository state."""
    from lsp_server.context import ContextBuilder

    from .repo_prompt import write_repo

    files = {
        "shop/pricing.py": "def total(cart):\n    return 1\n\n\ndef tax(amount):\n    return 0\n",
        "shop/models.py": "class Item:\n    def price(self):\n        return 1\n",
        "shop/util.py": "def count_items(cart):\n    return 0\n",
        "shop/cart.py": "from shop import pricing, models\n\n\ndef checkout(cart):\n"
        "    item = models.Item()\n    n = count_items(cart)\n    return pricing.",
    }
    root = write_repo(tmp_path / "repo", files)
    index = RepoIndex(root, IndexOptions(cache_dir=tmp_path / "cache"))
    index.build()
    clear_shared_cache()
    builder = ContextBuilder(index, is_excluded=lambda _p: False)
    path = root / "shop/cart.py"
    text = files["shop/cart.py"]

    def prompt() -> str:
        index.update_text(path, text)
        return builder.build(
            path=path, language_id="python", text=text, offset=len(text), budget_tokens=600
        ).prefix

    before = prompt()
    assert "def total(cart)" in before and "def count_items(cart)" in before
    (root / "shop/pricing.py").write_text("def total(cart, coupon):\n    return 1\n")
    (root / "shop/util.py").write_text("def count_items(cart, strict):\n    return 0\n")
    index.refresh_path(root / "shop/pricing.py")
    index.refresh_path(root / "shop/util.py")  # found by name: no answer about it may stay
    after = prompt()
    clear_shared_cache()
    assert after == prompt()
    assert "def total(cart, coupon)" in after and "def tax(" not in after
    assert "def count_items(cart, strict)" in after
    assert "def price(self)" in after
    index.close()
    clear_shared_cache()
