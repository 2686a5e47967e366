"""Choosing the answer's code: by fit with the selection and language, not by length."""

from __future__ import annotations

from lsp_server.refactor.answer_blocks import extract_code

SELECTION = "def add(a, b):\n    return a + b\n"


def test_a_longer_usage_block_does_not_win() -> None:
    answer = (
        "```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```\n"
        "Usage:\n```python\nprint(add(1, 2), add(3, 4), add(5, 6))  # a longer line of usage\n```"
    )
    block = extract_code(answer, "python", SELECTION)
    assert block is not None and block.code.startswith("def add(a: int")


def test_a_shell_block_does_not_win() -> None:
    answer = (
        "```\ndef add(a, b):\n    return b + a\n```\n"
        "```bash\npytest -q tests/test_add.py -k add\n```"
    )
    block = extract_code(answer, "python", SELECTION)
    assert block is not None and "return b + a" in block.code


def test_bare_code_is_accepted_prose_is_not() -> None:
    block = extract_code("def add(a, b):\n    return b + a\n", "python", SELECTION)
    assert block is not None and not block.fenced
    assert extract_code("I'd rather not.", "python", SELECTION) is None
    assert extract_code("Done", "python", SELECTION) is None
    assert extract_code("Here is the code: add(a, b)", "python", SELECTION) is None
