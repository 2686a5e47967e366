"""Shared index answers outlive keystrokes in the edited file and die with any other change:
typing in one file never starts the next completion cold, and an edit elsewhere is seen at
once (not after a TTL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.context.view import IndexView, clear_shared_cache
from lsp_server.index.model import Definition
from lsp_server.index.repo_index import IndexOptions, RepoIndex


class CountingIndex(RepoIndex):
    """A real index that counts the name questions reaching it."""

    asked = 0

    def definitions(self, name: str, in_files: object = None) -> list[Definition]:
        self.asked += 1
        return super().definitions(name, in_files)  # type: ignore[arg-type]


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
