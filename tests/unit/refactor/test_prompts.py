"""Every action's prompt reads sensibly: the task first, the selected code last, and a
request for only the replacement."""

from __future__ import annotations

import pytest

from lsp_server.refactor.actions import ACTIONS, EXPLAIN, TESTS
from lsp_server.refactor.prompts import PromptInput, Snippet, build_messages

CODE = "def total(prices):\n    return sum(prices)"


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_prompt_ends_with_the_code_and_says_what_to_answer(action: str) -> None:
    spec = ACTIONS[action]
    prompt = PromptInput(
        spec=spec,
        path="cart.py",
        language_id="python",
        code=CODE,
        instruction="use a generator",
        diagnostics="- line 2: something",
        context=[Snippet("Enclosing scope", "class Cart:\n    ...")],
        test_path="tests/test_cart.py",
    )
    system, user = build_messages(prompt)
    text = user["content"]
    assert system["role"] == "system" and user["role"] == "user"
    assert text.rstrip().endswith("```"), "the selection comes last"
    assert text.index("Task:") < text.rindex(CODE.splitlines()[0])
    assert "{" not in text.split("Task:")[1].split("\n")[0], "no unformatted placeholder"
    assert "(none)" not in text
    if spec.edits_code:
        assert "only the replacement" in text and "fenced code block" in text
        assert "whole function" in system["content"] and "'...'" in system["content"]
    if action == EXPLAIN:
        assert "Markdown" in text
    if action == TESTS:
        assert "tests/test_cart.py" in text
