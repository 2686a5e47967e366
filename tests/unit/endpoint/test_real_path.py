"""The exclusion check's symlink resolution (`real_path`, asked of the kernel) says what
`os.path.realpath` says, and a link to an excluded file is excluded through it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsp_server.endpoint import exclusion
from lsp_server.endpoint.exclusion import ContentExclusion, real_path


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "util.py").write_text("x = 1\n")
    (root / ".env").write_text("TOKEN=1\n")
    (root / "linked_dir").symlink_to(root / "pkg")
    (root / "alias.py").symlink_to(root / "pkg" / "util.py")
    (root / "chain.py").symlink_to(root / "alias.py")
    (root / "dangling.py").symlink_to(root / "missing.py")
    (root / "loop_a").symlink_to(root / "loop_b")
    (root / "loop_b").symlink_to(root / "loop_a")
    (root / "settings.py").symlink_to(root / ".env")
    (root / "relative.py").symlink_to(Path("pkg") / "util.py")
    return root


def test_the_same_answer_as_realpath(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    names = [
        "pkg/util.py",
        "pkg",
        "linked_dir/util.py",
        "linked_dir",
        "alias.py",
        "chain.py",
        "dangling.py",
        "loop_a",
        "missing/deeper.py",
        "settings.py",
        "relative.py",
        "linked_dir/../pkg/util.py",
    ]
    for name in names:
        path = os.path.abspath(root / name)
        assert real_path(path) == os.path.realpath(path), name
    assert real_path(str(root / "chain.py")) == str(root / "pkg" / "util.py")


def test_a_link_to_an_excluded_file_is_excluded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path)
    (root / "linked_env").symlink_to(root)  # a linked directory on the way, too
    for name in ("settings.py", "linked_env/settings.py"):
        assert ContentExclusion([root]).is_excluded(root / name), name
    assert not ContentExclusion([root]).is_excluded(root / "chain.py")
    # control: without resolving, the link's own name is not excluded and it would be sent
    monkeypatch.setattr(exclusion, "real_path", lambda path: path)
    assert not ContentExclusion([root]).is_excluded(root / "settings.py")
