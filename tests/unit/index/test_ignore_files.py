"""Ignore files as git reads them: a line git cannot parse is skipped, the rest still apply."""

from __future__ import annotations

from pathlib import Path

import pathspec
import pytest

from lsp_server.index.ignore import IgnoreRules
from lsp_server.index.repo_index import IndexOptions, RepoIndex


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def run():\n    return 1\n")
    (tmp_path / "secret.py").write_text("TOKEN = 1\n")
    # black's test data ships such a file: a lone "!" and a trailing backslash are invalid.
    (tmp_path / ".gitignore").write_text("!\nsecret.py\nodd\\\n")
    return tmp_path


def test_an_invalid_line_does_not_stop_the_valid_ones(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    for per_file in (False, True):
        rules = IgnoreRules(root, per_file=per_file)
        assert rules.is_ignored_rel("secret.py")
        assert not rules.is_ignored_rel("src/app.py")


def test_the_index_builds_with_an_invalid_ignore_line(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    index = RepoIndex(root, IndexOptions(cache_dir=tmp_path / "cache", workers=1))
    index.build()
    assert [d.path for d in index.definitions("run")] == ["src/app.py"]
    assert not index.definitions("TOKEN")


def test_control_pathspec_alone_rejects_the_file() -> None:
    with pytest.raises(ValueError):
        pathspec.GitIgnoreSpec.from_lines(["!", "secret.py"])
