"""The README's "try it without a key" path, the way a newcomer runs it: the demo endpoint
(`python -m fixtures.fake_mistral`) in a subprocess, a user config pointing at it, and the
CLI against the demo shop; and a Generate tests that opens the file it wrote."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from fixtures.fake_mistral import FakeMistral
from fixtures.fake_mistral.demo import demo_chat, demo_fim
from tests.lsp_harness import isolated_env, open_document, user_config_file
from tests.refactor_helpers import by_title, code_actions, start

ROOT = Path(__file__).resolve().parents[2]
CART = "fixtures/demo/shop/cart.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The demo endpoint running as the README says, and an environment configured for it."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixtures.fake_mistral", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}" in first, first
        env = isolated_env(tmp_path, api_key="anything")
        user_config_file(env).write_text(
            f'[endpoint]\npreset = "custom"\nurl = "http://127.0.0.1:{port}"\n'
        )
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_demo_from_the_shell(demo: dict[str, str]) -> None:
    done = _cli(demo, "complete", f"{CART}:16:20")
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    # The featured spot: `return comp` finished by the AI from the cross-file context.
    assert first.startswith("[AI]") and "ute_total(subtotal, discount, self.country)" in first

    doc = _cli(demo, "refactor", CART, "--range", "14:16", "--action", "docstring")
    assert doc.returncode == 0, doc.stderr
    added = [ln for ln in doc.stdout.splitlines() if ln.startswith("+") and not ln.startswith("++")]
    assert added == ['+        """Return the total, with the discount when given."""'], doc.stdout

    explain = _cli(demo, "refactor", CART, "--range", "14:16", "--action", "explain")
    assert explain.returncode == 0, explain.stderr
    assert "```" not in explain.stdout and "`total`" in explain.stdout
    assert "method of `Cart`" in explain.stdout and "compute_total" in explain.stdout

    tests = _cli(demo, "refactor", CART, "--range", "14:16", "--action", "tests")
    assert tests.returncode == 0, tests.stderr
    assert "+++ b/fixtures/demo/shop/test_cart.py" in tests.stdout
    assert "+from shop.cart import Cart" in tests.stdout and "+def test_total_" in tests.stdout

    types_ = _cli(demo, "refactor", CART, "--range", "14:16", "--action", "types")
    assert "+        subtotal: float = sum(" in types_.stdout, types_.stdout + types_.stderr

    doctor = _cli(demo, "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "mistral-medium-latest" in doctor.stdout


def _ask(action: str, code: str, path: str = "pkg/calc.py") -> str:
    from lsp_server.refactor.actions import ACTIONS
    from lsp_server.refactor.prompts import PromptInput, build_messages

    messages = build_messages(
        PromptInput(ACTIONS[action], path, "python", code, test_path="tests/test_calc.py")
    )
    return demo_chat({"messages": messages})


def test_demo_answers_come_from_the_selection_not_from_one_file() -> None:
    code = (
        "def is_adult(age):\n"
        "    if age >= 18:\n"
        "        return True\n"
        "    else:\n"
        "        return False\n"
    )
    assert '    """Whether it is adult from age."""' in _ask("docstring", code)
    assert "    return age >= 18\n" in _ask("simplify", code)
    assert "-> bool" in _ask("types", code)
    assert "from pkg.calc import is_adult" in _ask("tests", code)
    assert "**`is_adult`**" in _ask("explain", code)
    prompt = "def scale(value: float, factor: float) -> float:\n    ...\n\nx = 2.0\nresult = sca"
    assert demo_fim({"prompt": prompt, "suffix": "\n"}) == "le(value, factor)"


async def test_generate_tests_opens_the_new_file(
    launch: Any, tmp_path: Path, env: dict[str, str]
) -> None:
    workspace = tmp_path / "demo"
    shutil.copytree(ROOT / "fixtures" / "demo", workspace)
    with FakeMistral() as fake:
        fake.chat_responder = demo_chat
        client: LanguageClient = await start(launch, workspace, env, fake, "neovim-noresolve")
        uri = open_document(client, workspace / "shop" / "cart.py")
        rng = types.Range(types.Position(13, 0), types.Position(15, 19))
        action = by_title(await code_actions(client, uri, rng), "Mistral: Generate tests")
        assert action.command is not None
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=action.command.command, arguments=action.command.arguments
            )
        )
        target = (workspace / "shop" / "test_cart.py").as_uri()
        assert result["applied"] is True and result["file"] == target and result["shown"]
        shown = client.shown_documents  # pytest-lsp's client answers success=True
        assert [p.uri for p in shown] == [target] and shown[0].take_focus
        assert (workspace / "shop" / "test_cart.py").exists() is False  # the editor writes it
