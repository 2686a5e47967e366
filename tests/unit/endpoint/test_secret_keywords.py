"""The scanner's literal searches in one Aho-Corasick pass find what the slower searches
found: the rules' keywords (`keyword in text`), the generic finder's triggers (a regex): a
keyword missed would skip a rule, and a secret would leak."""

from __future__ import annotations

import random
import re

from lsp_server.endpoint.secret_rules import _trigger_starts
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
