"""The same request on the same repository gives the same prompt, in any process.

Each assembly runs in a fresh interpreter with its own PYTHONHASHSEED (set and dict order
of strings), its own index build (row order) and a cold or warm cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT
from tests.unit.context.assemble_once import make_repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("determinism-repo")
    make_repo(root)
    return root


def run(repo: Path, cache: Path, seed: int, *flags: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    done = subprocess.run(
        [sys.executable, "-m", "tests.unit.context.assemble_once", str(repo), str(cache), *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, str] = json.loads(done.stdout)
    return result


def test_same_prompt_whatever_the_hash_seed_and_the_cache(repo: Path, tmp_path: Path) -> None:
    cold = run(repo, tmp_path / "a", 1)
    warm = run(repo, tmp_path / "b", 2, "--warm")
    other = run(repo, tmp_path / "c", 3)
    assert "# path: pkg/" in cold["prefix"]  # there is context to differ in
    assert warm == cold
    assert other == cold


def test_no_test_file_in_the_context_of_code(repo: Path, tmp_path: Path) -> None:
    prompt = run(repo, tmp_path / "a", 1)["prefix"]
    assert "tests/test_main.py" not in prompt
    assert "def helper(value, scale=" in prompt  # the module's own helper instead


def test_control_a_hash_order_dependency_shows(repo: Path, tmp_path: Path) -> None:
    """An order taken from set iteration changes the prompt between hash seeds: the
    comparison above would catch it."""
    prompts = {run(repo, tmp_path / str(seed), seed, "--inject")["prefix"] for seed in range(4)}
    assert len(prompts) > 1
