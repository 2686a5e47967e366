"""Ghost text never repeats what the editor auto-inserted after the cursor."""

from __future__ import annotations

import pytest

from lsp_server.completion.decide import Shape
from lsp_server.completion.postprocess import clean
from lsp_server.completion.suffix_overlap import fit_to_suffix, imbalance


@pytest.mark.parametrize(
    ("prefix", "completion", "suffix", "want"),
    [
        ("    def clear(", "self):", ")", "self"),  # the case
        ("print(", "foo(x)", ")", "foo(x)"),  # its own `)` closes its own `(`
        ("print(", "x)", ")", "x"),
        ('x = "', 'hello"', '"', "hello"),
        ('log("', 'done")', '")', "done"),
        ("if (", "x > 0) {", ")", "x > 0"),
        ("const a = [", "1, 2, 3];", "]", "1, 2, 3"),
        ("const o = { ", "a: 1 }", " }", "a: 1"),
        ("m := make(", "map[string]int)", ")", "map[string]int"),
        ("let v: Vec<_> = xs.iter().map(", "|x| x * 2).collect();", ")", "|x| x * 2).collect("),
        ("foo(", "a, b", ")", "a, b"),  # nothing repeated: unchanged
        ("x = ", "compute()", "", "compute()"),
    ],
)
def test_fit_to_suffix(prefix: str, completion: str, suffix: str, want: str) -> None:
    got = fit_to_suffix(prefix, completion, suffix)
    assert got == want
    line = prefix + got + suffix
    assert imbalance(line) <= imbalance(prefix + completion + suffix)


def test_clean_applies_it_for_inline_completions() -> None:
    text = "class Cart:\n    def clear()\n"
    offset = text.index("()") + 1
    shape = Shape(multiline=False, indent="    ", stop=["\n"])
    assert clean("self):", text, offset, shape) == "self"


def test_apostrophes_and_lifetimes_are_not_quotes() -> None:
    assert imbalance("fn f<'a>(x: &'a str) {}") == 0
    assert imbalance("# don't (panic)") == 0
