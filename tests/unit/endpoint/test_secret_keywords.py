"""The scanner's literal searches in one Aho-Corasick pass find what the slower searches
found: the rules' keywords (`keyword in text`), the generic finder's triggers (a regex): a
keyword missed would skip a rule, and a secret would leak."""

from __future__ import annotations

import random
import re

from lsp_server.endpoint import secrets as secrets_module
from lsp_server.endpoint.secret_rules import TRIGGER_WORDS, _trigger_starts
from lsp_server.endpoint.secrets import (
    SecretScanner,
    Span,
    keyword_finder,
    learn,
    literal_finder,
)


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


_TRIGGER_REGEX = re.compile(r"pass|pwd|psw|secret|token|credential|key|conn|pat\b|pat_")


def test_trigger_starts_are_where_the_keyword_regex_matches() -> None:
    """What the generic keyword finder looks at: the starts of the regex's matches; other
    starts only inside a match before (the name the finder has already taken whole)."""
    rng = random.Random(3)
    parts = ["pass", "pwd", "psw", "secret", "token", "credential", "key", "conn", "pat"]
    parts += ["pat_", "path", "h", "_", " ", "=", "\n", "é", "PAT", "x"]
    for _ in range(2000):
        text = "".join(rng.choices(parts, k=rng.randint(0, 10)))
        matches = [(m.start(), m.end()) for m in _TRIGGER_REGEX.finditer(text)]
        found = _trigger_starts(text)
        assert found == sorted(found)
        assert {s for s, _ in matches} <= set(found), text
        for extra in set(found) - {s for s, _ in matches}:
            assert any(s < extra < e for s, e in matches), (text, extra)


def test_netrc_and_curl_credentials_are_found_where_they_stand() -> None:
    scanner = SecretScanner()
    netrc = "machine api.example.com\n  login deploy password Kq8Zp2Xr7Lm4\npassword Zx8Qw2Lp9Rt4"
    assert scanner.scan(netrc).text.count("[REDACTED:") == 2
    assert "Kq8Zp2Xr7Lm4" not in scanner.scan(netrc).text
    curl = "curl -u admin:S3cr3tPw9Lk https://x\n--user=bob:Kq8Zp2Xr9 \n"
    redacted = scanner.scan(curl).text
    assert "S3cr3tPw9Lk" not in redacted and "Kq8Zp2Xr9" not in redacted
    # control: a dash inside a word is no `-u` flag
    assert scanner.scan("curl x-uadmin:S3cr3tPw9Lk y").text == "curl x-uadmin:S3cr3tPw9Lk y"


def test_mailchimp_keys_and_basic_auth_pairs_are_found_whole() -> None:
    scanner = SecretScanner()
    key = "8f14e45fceea167a5a36dedd4bea2543" + "-us12"
    assert scanner.scan(f"MC = '{key}'\n").text == "MC = '[REDACTED:Mailchimp Access Key]'\n"
    short = "8f14e45fceea167a5a36dedd4bea254-us12"  # 31 characters before the dash: no key
    assert scanner.scan(f"MC = '{short}'\n").text == f"MC = '{short}'\n"
    for call in ("BasicAuth", "basic_auth = ", "auth=", "credentials("):
        text = f"{call}('deploy', 'Pw8zQ2xLk4')\n"
        assert "Pw8zQ2xLk4" not in scanner.scan(text).text, call
    # control: a pair bound to another name is not a credential
    assert scanner.scan("pair = ('deploy', 'Pw8zQ2xLk4')\n").text.endswith("'Pw8zQ2xLk4')\n")


def _find_each(text: str, fragments: dict[str, str]) -> list[tuple[int, int, str]]:
    """The remembered values' spans as one `str.find` loop per fragment finds them."""
    found = []
    for piece, kind in fragments.items():
        pos = text.find(piece)
        while pos >= 0:
            found.append((pos, pos + len(piece), kind))
            pos = text.find(piece, pos + len(piece))
    return sorted(found)


def test_learned_values_are_found_as_a_find_per_value_finds_them() -> None:
    rng = random.Random(5)
    alphabet = "ab"  # small: values overlap, repeat and contain each other
    try:
        for _ in range(300):
            secrets_module.forget_learned()
            values = {"".join(rng.choices(alphabet, k=rng.randint(12, 16))) for _ in range(4)}
            text = "".join(rng.choices(alphabet, k=rng.randint(0, 80)))
            for value in values:
                holder = f"k = '{value}'"
                learn(holder, [Span(5, 5 + len(value), rng.choice(["A", "B"]))])
            fragments = dict(secrets_module._learned)
            got = sorted((s.start, s.end, s.type) for s in secrets_module._learned_spans(text))
            assert got == _find_each(text, fragments), (values, text)
        secrets_module.forget_learned()
        periodic = "ab" * 6  # occurs at 0, 2, 4 and 6 below: `find` steps over its own length
        learn(f"k = '{periodic}'", [Span(5, 17, "A")])
        assert [(s.start, s.end) for s in secrets_module._learned_spans("ab" * 9)] == [(0, 12)]
    finally:
        secrets_module.forget_learned()


def test_a_value_learned_again_with_another_type_is_redacted_as_that_type() -> None:
    value = "Zq8vN3xR7mW2pL5tK9yB44"
    try:
        learn(f"a = '{value}'", [Span(5, 5 + len(value), "First")])
        assert secrets_module._learned_spans(value)[0].type == "First"
        learn(f"a = '{value}'", [Span(5, 5 + len(value), "Second")])
        assert secrets_module._learned_spans(value)[0].type == "Second"
    finally:
        secrets_module.forget_learned()


def test_one_pass_finds_the_keywords_and_triggers_of_the_two_passes() -> None:
    """The scanner's single pass over an ASCII text's bytes finds what the keyword automaton
    and the trigger search find; a text it cannot take (not ASCII) is left to them."""
    keywords = _keywords()
    one_pass = literal_finder(keywords)
    find = keyword_finder(keywords)
    rng = random.Random(11)
    parts = [*keywords, *TRIGGER_WORDS, "path", "pat_", "h", "_", " ", "=", "\n", "x", "ab"]
    for _ in range(3000):
        text = "".join(rng.choices(parts, k=rng.randint(0, 14))).lower()
        assert one_pass(text) == (find(text), _trigger_starts(text)), text
        assert one_pass(text + "é") is None
    assert literal_finder(["clé"])("cle") is None  # a keyword it cannot search as ASCII


_PREFIX_TOKENS = {
    "GitHub Token": [f"gh{kind}_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8" for kind in "pousr"],
    "Stripe Access Key": [
        f"{k}_{env}_4eC39HqLyjWDarjtT1zdp7dc"
        for k in ("sk", "rk")
        for env in ("live", "test", "prod")
    ],
    "GitLab Token": [
        *(f"gl{kind}-Zq8vN3xR7mW2pL5tK9yB" for kind in ("pat", "dt", "ft", "soat", "rt")),
        "glcbt-Zq8vN3xR7mW2pL5tK9yB",
        "glimt-Zq8vN3xR7mW2pL5tK9yB4Hf1G",
        "glptt-" + "Zq8vN3xR7mW2pL5tK9yB" * 2,
        "glagent-" + "Zq8vN3xR7mW2pL5tK9yB" * 3,
        "gloas-" + "Zq8vN3xR7mW2pL5t" * 4,
    ],
}


def test_every_prefix_of_the_token_families_is_found() -> None:
    """GitHub, Stripe and GitLab tokens are told by a family of prefixes (a gate regex, not
    keywords of the one pass): each member is found, alone in a text."""
    scanner = SecretScanner()
    for kind, tokens in _PREFIX_TOKENS.items():
        for token in tokens:
            for text in (f'key = "{token}"\n', f"deploy({token!r})", f"TOKEN={token}"):
                spans = scanner.rule_spans(text)
                assert [text[s.start : s.end] for s in spans] == [token], (kind, text)
                assert spans[0].type == kind, (kind, text, spans)
    # control: without its prefix the same value is nobody's token
    assert scanner.rule_spans("deploy('4eC39HqLyjWDarjtT1zdp7dc')") == []


def test_the_rules_looked_up_by_keyword_are_those_that_apply() -> None:
    """A rule skipped wrongly is a secret missed: the rules chosen by keyword lookup are
    exactly those whose own check (`Rule.applies`) says they apply to the text."""
    scanner = SecretScanner()
    rules = scanner._all_rules
    keywords = _keywords()
    parts = [*keywords, "ghp_", "gho_", "github_pat_", "sk_live_", "rk_test_", "glpat-", "glrt-"]
    parts += ["g", "h", "_", "k", "-", " ", "\n", "x", "é"]
    rng = random.Random(13)
    for _ in range(2000):
        lowered = "".join(rng.choices(parts, k=rng.randint(0, 8))).lower()
        found = scanner._keywords_in(lowered)
        expected = [i for i, rule in enumerate(rules) if rule.applies(lowered)]
        assert scanner._applying(lowered, found) == expected, lowered
