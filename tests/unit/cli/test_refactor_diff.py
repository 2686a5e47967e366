"""`mistral-lsp refactor` prints a diff that applies where it is printed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lsp_server.cli.refactor_cmd import render
from lsp_server.cli.source import display_path
from lsp_server.refactor import RefactorResult
from lsp_server.refactor.service import FileChange
from lsp_server.refactor.textops import unified_diff

OLD = "def f(x):\n    return x\n"
NEW = 'def f(x):\n    """Identity."""\n    return x\n'


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "fixtures" / "demo" / "shop").mkdir(parents=True)
    (repo / "fixtures" / "demo" / "shop" / "cart.py").write_text(OLD)
    # A project marker below the git root: the refactor's project root is fixtures/demo/shop's
    # parent, not the directory the user runs the command in.
    (repo / "fixtures" / "demo" / "pyproject.toml").write_text("")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def _result(path: Path, test_path: Path | None = None) -> RefactorResult:
    test_file = (
        FileChange(test_path, False, "", "def test_f():\n    assert True\n", [])
        if test_path
        else None
    )
    return RefactorResult(
        "docstring", 0, len(OLD), edits=[object()], new_text=NEW, test_file=test_file
    )  # type: ignore[list-item]


def test_diff_paths_are_relative_to_the_current_directory(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    cart = repo / "fixtures" / "demo" / "shop" / "cart.py"
    tests = repo / "fixtures" / "demo" / "shop" / "test_cart.py"
    diff = render(_result(cart, tests), cart, OLD, root=repo / "fixtures" / "demo", cwd=repo)
    assert "--- a/fixtures/demo/shop/cart.py" in diff
    assert "+++ b/fixtures/demo/shop/test_cart.py" in diff
    check = subprocess.run(
        ["git", "apply", "--check", "-"], cwd=repo, input=diff, text=True, capture_output=True
    )
    assert check.returncode == 0, check.stderr
    # control: the old headers, relative to the project root, do not apply from the git root
    old_style = unified_diff(OLD, NEW, "shop/cart.py")
    control = subprocess.run(
        ["git", "apply", "--check", "-"], cwd=repo, input=old_style, text=True, capture_output=True
    )
    assert control.returncode != 0


def test_diff_applies_from_a_subdirectory(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    here = repo / "fixtures" / "demo"
    cart = here / "shop" / "cart.py"
    diff = render(_result(cart), cart, OLD, root=here, cwd=here)
    assert "--- a/shop/cart.py" in diff
    check = subprocess.run(
        ["patch", "-p1", "--dry-run"], cwd=here, input=diff, text=True, capture_output=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize(
    ("path", "cwd", "shown"),
    [
        ("/a/b/c.py", "/a", "b/c.py"),
        ("/a/b/c.py", "/a/b", "c.py"),
        ("/x/y/c.py", "/a/b", "y/c.py"),  # outside the current directory: from the project root
        ("/z/c.py", "/a/b", "/z/c.py"),
    ],
)
def test_display_path(path: str, cwd: str, shown: str) -> None:
    assert display_path(Path(path), Path(cwd), Path("/x")) == shown
