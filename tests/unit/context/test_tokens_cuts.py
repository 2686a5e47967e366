"""Exact counting through tiktoken's ordinary encoder, and cuts that go on from earlier ones."""

from __future__ import annotations

import warnings
from importlib.resources import files

import pytest

from lsp_server.context import count_tokens, estimate_tokens, tokenizer_name, tokens
from lsp_server.context.budget import cut_prefix, cut_suffix

TEXTS = [
    "hello world",
    "def f(a, b):\n    return a + b\n",
    "<s>[INST] not a control token here [/INST]</s> <|endoftext|> [TOOL_CALLS]",
    "naïve café 東京 \U0001f600",
    "lone surrogate \udcff in a decoded file name",
    "x" * 600,  # past the short-string cache
]


def test_counts_match_the_tokenizer_with_special_tokens_as_text() -> None:
    """What the endpoint is sent counts as plain text: control-token look-alikes included."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mistral_common.tokens.tokenizers.tekken import Tekkenizer

        path = files("mistral_common") / "data" / "tekken_240911.json"
        model = Tekkenizer.from_file(str(path))._model
    assert tokenizer_name().startswith("tekken")
    for text in TEXTS:
        fixed = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        assert count_tokens(text) == len(model.encode(fixed, disallowed_special=())), text


LINES = [f"    value_{i} = compute(value_{i - 1}, {'x' * (i % 7)})" for i in range(120)]
LINES[40] = ""
LINES[41] = "    "


@pytest.mark.parametrize("first_budget", [0, 1, 40, 200, 600])
@pytest.mark.parametrize("more", [1, 3, 25, 400, 5000])
def test_a_prefix_cut_gone_on_from_equals_one_from_scratch(first_budget: int, more: int) -> None:
    lines = [*LINES, "    total = "]
    for floor in (None, 30):
        earlier = cut_prefix(lines, first_budget, floor)
        budget = earlier[1] + more
        assert cut_prefix(lines, budget, floor, earlier) == cut_prefix(lines, budget, floor)


@pytest.mark.parametrize("first_budget", [0, 1, 12, 200])
@pytest.mark.parametrize("more", [1, 3, 25, 5000])
def test_a_suffix_cut_gone_on_from_equals_one_from_scratch(first_budget: int, more: int) -> None:
    lines = ["compute(value_1)" + " + 1" * 30, *LINES]
    earlier = cut_suffix(lines, first_budget)
    budget = earlier[1] + more
    assert cut_suffix(lines, budget, earlier) == cut_suffix(lines, budget)


def estimate_hits() -> int:
    return tokens._estimates.hits()


@pytest.mark.parametrize("size", [1, 511, 513, 8191, 8193, 20000])
def test_the_estimate_is_cached_by_text_and_unchanged_by_it(size: int) -> None:
    """Without the tokenizer every count is an estimate: the same text is estimated once."""
    text = ("def f(a, b):  # naïve\n    return a + b\n" * (size // 30 + 1))[:size]
    first = estimate_tokens(text)
    hits = estimate_hits()
    assert estimate_tokens(text) == first == tokens._estimate(text)
    assert len(text) == size
    assert estimate_hits() == hits + (1 if size <= tokens.LONG_TEXT_MAX else 0)
