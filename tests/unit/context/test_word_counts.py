"""`word_counts` splits ASCII text instead of running its regex: the counts must be the
regex's, whatever the text (digits before a name, `$`, underscores, non-ASCII)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from lsp_server.context.candidates import _WORD, word_counts

TRICKY = [
    "total = pricing.compute_total(cart, 2)  # 3x faster",
    "0x1F 1e10 9abc 12_x a9 __9 _ 99 x1y2 3z 4_ 5__a",
    "const $el = $('#id'); let _$ = 9$;",
    "s = 'café' + naïve_var + é9a_b",  # non-ASCII: the regex itself
    "\ttabs\x00nul\x7fdel;;semi::path->arrow",
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_counts_are_the_regexs(text: str) -> None:
    lines = text.split("\n")
    assert word_counts(lines) == Counter(_WORD.findall(text))


def test_counts_of_real_source_are_the_regexs() -> None:
    root = Path(__file__).resolve().parents[3] / "lsp_server"
    sources = sorted(root.rglob("*.py"))[:60]
    assert sources
    for source in sources:
        lines = source.read_text(encoding="utf-8").split("\n")
        assert word_counts(lines) == Counter(_WORD.findall("\n".join(lines))), source
