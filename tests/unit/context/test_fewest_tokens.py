"""`fewest_tokens`: never more than Tekken counts, so that a text it says does not fit would
not fit counted either; and the packer's upgrades leave such texts uncounted."""

from __future__ import annotations

import functools
import sysconfig
from pathlib import Path

import pytest

from lsp_server.context import count_tokens, tokenizer_name, use_exact_tokenizer
from lsp_server.context import pack as pack_module
from lsp_server.context.pack import Piece, pack
from lsp_server.context.tokens import fewest_tokens

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "repos"

#: Texts where a bound that assumed too much would show: letters against digits, case
#: changes, underscores, numbers, punctuation runs, blanks and newlines.
EDGES = [
    "a b c d e",
    "1234567890",
    "x1y2z3 0xDEADBEEF 3.14e-10",
    "getHTTPResponseCode XMLHttpRequest __init__ a_b_c _ __",
    "a,b;c.d:e!f?g",
    "https://example.com/a/b?c=1&d=22#e",
    "\n\n\n    \n\t\tx\n",
    "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=",
    "/* c */ // d\n/x/ y/z",
    "I'm don't we'll THEY'RE",
]


def _texts() -> list[str]:
    """Pieces of code the way the packer sees them, in a dozen languages."""
    sources = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.suffix != ".md")
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources += [stdlib / name for name in ("argparse.py", "ipaddress.py", "string.py")]
    texts = list(EDGES)
    for source in sources:
        text = source.read_text(errors="replace")
        texts += [text[start : start + 700] for start in range(0, min(len(text), 40_000), 350)]
    return [text for text in texts if text.isascii()]


def test_never_more_than_the_tokenizer_counts() -> None:
    assert tokenizer_name().startswith("tekken")
    texts = _texts()
    assert len(texts) > 300
    over = [t for t in texts if fewest_tokens(t) > count_tokens(t)]
    assert over == []
    # and close enough to say something: letters and digits alone come to half the count
    assert sum(map(fewest_tokens, texts)) > 0.35 * sum(map(count_tokens, texts))
    assert fewest_tokens("a b c d e") == count_tokens("a b c d e") == 5


def test_no_claim_beyond_ascii_or_without_the_tokenizer() -> None:
    assert fewest_tokens("naïve café") == 0
    assert fewest_tokens("x = 1") > 0
    use_exact_tokenizer(False)  # an estimate may count fewer than the runs
    try:
        assert fewest_tokens("x = 1") == 0
    finally:
        use_exact_tokenizer(True)
    assert count_tokens("x = 1") and fewest_tokens("x = 1") > 0  # (once loaded again)


def _skeleton(members: int) -> str:
    return "class Big:\n" + "".join(f"    def m_{i}(self, a, b): ...\n" for i in range(members))


def _packed_and_counted(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """What a budget of 150 takes of a 400-member class, and the texts counted for it."""
    counted: list[str] = []

    def count(text: str) -> int:
        counted.append(text)
        return count_tokens(text)

    monkeypatch.setattr(pack_module, "count_tokens", count)
    big = Piece(
        ("a.py", 1),
        "a.py",
        1,
        2.0,
        "skeleton",
        functools.partial(str, _skeleton(400)),
        compact=functools.partial(str, "class Big: ...\n"),
        shrink=_skeleton,
    )
    return [s.text for s in pack([big], 150, "#").snippets], counted


def test_an_upgrade_far_too_big_is_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    packed, counted = _packed_and_counted(monkeypatch)
    assert packed[0].startswith("class Big:\n    def m_0") and len(packed[0]) < 600
    assert _skeleton(400) not in counted and _skeleton(12) in counted  # (12: near enough)
    # control: without the bound every form tried is counted, and the same one is chosen
    monkeypatch.setattr(pack_module, "fewest_tokens", lambda _text: 0)
    packed_without, counted_without = _packed_and_counted(monkeypatch)
    assert packed_without == packed
    assert sorted(counted_without) == sorted(counted + [_skeleton(400)])
