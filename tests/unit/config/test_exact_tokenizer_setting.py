"""`completion.exact_tokenizer`: which token counter the prompt budget uses, set from any
layer, validated, and applied by the session (the server's and the CLI's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.context.tokens import (
    count_tokens,
    estimate_tokens,
    tokenizer_name,
    use_exact_tokenizer,
)
from tests.sessions import isolated_session

CODE = "def apply_discount(amount: float, percent: float) -> float:\n    return amount * 0.9\n"


@pytest.fixture(autouse=True)
def _restore_the_default() -> Iterator[None]:
    yield
    use_exact_tokenizer(True)


def test_off_in_the_editor_layer_the_estimate_counts(tmp_path: Path) -> None:
    session = isolated_session(tmp_path)
    problems = session.configure([tmp_path], {"completion": {"exactTokenizer": False}})
    assert not problems
    assert session.config.sources["completion.exact_tokenizer"] == "editor"
    assert tokenizer_name() == "estimate"
    assert count_tokens(CODE * 10) == estimate_tokens(CODE * 10)


def test_on_by_default_and_back_on_after_a_change(tmp_path: Path) -> None:
    session = isolated_session(tmp_path, user="[completion]\nexact_tokenizer = false\n")
    session.configure([tmp_path])
    assert session.config.sources["completion.exact_tokenizer"] == "user"
    assert tokenizer_name() == "estimate"
    session.configure(editor={"completion": {"exactTokenizer": True}})
    assert session.settings.completion.exact_tokenizer is True
    assert tokenizer_name().startswith("tekken")
    assert count_tokens("hello world") == 2  # Tekken's own count, not the estimate


def test_a_bad_value_is_named_and_the_default_kept(tmp_path: Path) -> None:
    session = isolated_session(tmp_path)
    problems = session.configure([tmp_path], {"completion": {"exactTokenizer": "no"}})
    assert [p.key for p in problems] == ["completion.exact_tokenizer"]
    assert "expected true or false, got 'no'" in str(problems[0])
    assert session.settings.completion.exact_tokenizer is True
    assert tokenizer_name().startswith("tekken")
