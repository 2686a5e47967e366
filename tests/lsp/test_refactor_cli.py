"""`mistral-lsp refactor`: the server's refactor service from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fixtures.fake_mistral import FakeMistral, Reply
from tests.lsp_harness import user_config_file
from tests.refactor_helpers import SAMPLE, find_line, write_sample

FIRST = find_line(SAMPLE, "def total") + 1
LAST = find_line(SAMPLE, "return result * (1 + TAX)") + 1
SIMPLER = "def total(prices):\n    return sum(prices) * (1 + TAX)\n"


def run_cli(env: dict[str, str], fake: FakeMistral, *args: str) -> subprocess.CompletedProcess:
    user_config_file(env).write_text(f'[endpoint]\npreset = "custom"\nurl = "{fake.url}"\n')
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", "refactor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_prints_a_unified_diff_and_leaves_the_file_alone(
    workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    path = write_sample(workspace)
    fake.script("chat", Reply(text=f"Here:\n```python\n{SIMPLER}```\nDone."))
    proc = run_cli(env, fake, str(path), "--range", f"{FIRST}:{LAST}", "--instruction", "sum()")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("--- a/cart.py\n+++ b/cart.py\n")
    assert "+    return sum(prices) * (1 + TAX)\n" in proc.stdout
    assert "-    for p in prices:\n" in proc.stdout
    assert " def total(prices):\n" in proc.stdout  # unchanged line: context, not an edit
    assert path.read_text() == SAMPLE
    assert "sum()" in str(fake.requests_for("chat")[0].body["messages"])


def test_apply_writes_the_change(workspace: Path, env: dict[str, str], fake: FakeMistral) -> None:
    path = write_sample(workspace)
    fake.script("chat", Reply(text=f"```python\n{SIMPLER}```"))
    proc = run_cli(
        env, fake, str(path), "--range", f"{FIRST}:{LAST}", "--instruction", "x", "--apply"
    )
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == SAMPLE.replace(
        "def total(prices):\n    result = 0\n    for p in prices:\n        result = result + p\n"
        "    return result * (1 + TAX)\n",
        SIMPLER,
    )


def test_a_refused_answer_fails_and_writes_nothing(
    workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    path = write_sample(workspace)
    bad = Reply(text="```python\ndef total(prices:\n```")
    fake.script("chat", bad, bad)
    proc = run_cli(
        env, fake, str(path), "--range", f"{FIRST}:{LAST}", "--instruction", "x", "--apply"
    )
    assert proc.returncode == 1
    assert "refused" in proc.stderr and "syntax error" in proc.stderr
    assert path.read_text() == SAMPLE
    assert len(fake.requests_for("chat")) == 2
