"""The scanner's keyword prefilter (one Aho-Corasick pass) finds exactly the keywords that
`keyword in text` finds: a keyword it missed would skip a rule, and a secret would leak."""

from __future__ import annotations

import random

from lsp_server.endpoint.secrets import SecretScanner, keyword_finder


def _keywords() -> list[str]:
    return sorted({k for rule in SecretScanner()._all_rules for k in rule.keywords})


def test_finds_what_in_finds_on_texts_built_from_the_keywords() -> None:
    keywords = _keywords()
    find = keyword_finder(keywords)
    rng = random.Random(7)
    filler = ["def f(x):\n", "    return x\n", " ", "é", "\n", "ab", "secre", "--use", "xo"]
    for _ in range(300):
        parts = rng.choices(keywords + filler, k=rng.randint(0, 12))
        text = "".join(parts)
        assert find(text) == {k for k in keywords if k in text}, text


def test_overlapping_and_nested_keywords_are_all_found() -> None:
    find = keyword_finder(["secret", "secret_", "sk-", "sk.eyj", "eyj"])
    assert find("x = 'sk.eyjabc'; secret_key") == {"secret", "secret_", "sk.eyj", "eyj"}
    assert find("nothing here") == set()


def test_an_empty_keyword_is_in_every_text() -> None:
    assert keyword_finder(["", "aws"])("plain") == {""}
    assert keyword_finder([""])("") == {""}
    assert keyword_finder([])("aws") == set()
