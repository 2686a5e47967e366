"""Token counting and the small pure helpers of the context package."""

from __future__ import annotations

from lsp_server.context import count_tokens, estimate_tokens, tokenizer_name
from lsp_server.context.budget import cut_prefix, cut_suffix
from lsp_server.context.similar import jaccard, token_set, windows_of
from lsp_server.context.skeleton import fold

CODE = '''def apply_discount(amount: float, percent: float) -> float:
    """Reduce an amount by a percentage."""
    return amount * (1 - percent / 100)
'''


def test_count_tokens_uses_the_mistral_tokenizer() -> None:
    assert tokenizer_name().startswith("tekken")
    assert count_tokens("") == 0
    # Tekken splits "hello world" into two tokens
    assert count_tokens("hello world") == 2
    assert 20 < count_tokens(CODE) < 45


def test_estimate_is_close_to_the_tokenizer() -> None:
    exact = count_tokens(CODE * 20)
    assert 0.75 * exact <= estimate_tokens(CODE * 20) <= 1.35 * exact


def test_cut_prefix_keeps_whole_lines_and_the_cursor_line() -> None:
    lines = [f"line number {i}" for i in range(100)] + ["    x = "]
    first, used = cut_prefix(lines, 50)
    assert 0 < first < 100 and used <= 50
    assert count_tokens("\n".join(lines[first:])) <= 50
    first, used = cut_prefix(lines, 1)
    assert first == len(lines) - 1  # the cursor line is kept even over budget


def test_cut_suffix() -> None:
    lines = [")", "next line one", "next line two"]
    kept, used = cut_suffix(lines, 4)
    assert kept >= 1 and used <= 4
    assert cut_suffix(lines, 1000)[0] == 3


def test_jaccard_windows() -> None:
    text = "\n".join(f"value_{i} = compute(value_{i - 1})" for i in range(40))
    windows = windows_of(text)
    assert windows[0].start == 0 and windows[-1].end == 40
    query = token_set("value_3 = compute(value_2)\nvalue_4 = compute(value_3)")
    best = max(windows, key=lambda w: jaccard(query, w.tokens))
    assert best.start == 0
    assert jaccard(frozenset(), query) == 0.0


def test_fold_long_signature() -> None:
    sig = "def f(\n    a: int,\n    b: str,\n) -> None:"
    assert fold(sig) == "def f(a: int, b: str,) -> None:"
    assert fold("def g(" + "x, " * 200 + "):").endswith("…:")


def test_estimate_only_mode() -> None:
    from lsp_server.context import use_exact_tokenizer

    use_exact_tokenizer(False)
    try:
        assert tokenizer_name() == "estimate"
        assert count_tokens(CODE * 20) == estimate_tokens(CODE * 20)
    finally:
        use_exact_tokenizer(True)
    assert tokenizer_name().startswith("tekken")


def test_without_mistral_common_the_estimate_answers_without_a_traceback() -> None:
    """The VS Code bundle leaves mistral-common out: an expected state, not an error (its
    end-to-end test fails on any traceback in the server's log)."""
    import subprocess
    import sys

    script = (
        "import logging, sys\n"
        "sys.modules['mistral_common'] = None\n"  # as if not installed
        "records = []\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "logging.getLogger().addHandler(type('H', (logging.Handler,), "
        "{'emit': lambda self, r: records.append(r)})())\n"
        "from lsp_server.context import count_tokens, estimate_tokens, tokenizer_name\n"
        "assert count_tokens('def f(x): return x') >= estimate_tokens('def f(x): return x')\n"
        "print(tokenizer_name(), sum(r.exc_info is not None for r in records), len(records))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["estimate", "0", "1"]
