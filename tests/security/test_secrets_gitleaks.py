"""Rules in gitleaks' TOML format, as a security team keeps them: they add to the built-in
detectors, each with a control showing that without the file the value leaks."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.endpoint import EndpointService, FimRequest
from lsp_server.endpoint import secrets as secrets_module
from lsp_server.endpoint.secret_gitleaks import load_gitleaks_rules, translate_re2
from lsp_server.endpoint.secret_rules import Rule
from lsp_server.endpoint.secrets import SecretScanner
from tests.fake_endpoint import TEST_KEY, FakeMistral, make_settings

ACME = "acme_live_" + "q7Hk2Lm9Zx4Tv8Rw1Ys6Pb3N"
LINE = f"deploy(target={ACME!r})\n"  # no name or prefix the built-ins know

RULES = r"""
title = "corp rules"

[extend]
useDefault = true

[[rules]]
id = "acme-live-key"
description = "ACME live keys"
regex = '''\b(acme_live_[A-Za-z0-9]{24})\b'''
secretGroup = 1
keywords = ["acme_live_"]

[[rules]]
id = "corp-ticket-token"
regex = '''(?i)corp[_-]?ticket\s*=\s*"(?P<tok>[a-z0-9]{20})\z'''
entropy = 3.0
keywords = ["corp"]

[rules.allowlist]
stopwords = ["aaaaaaaaaa"]

[[rules]]
id = "broken"
regex = '''(?U)a+'''

[[rules]]
id = "path-only"
path = '''\.pem$'''

[allowlist]
regexes = ['''acme_live_TESTTESTTESTTESTTESTTEST''']
"""


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    secrets_module.forget_learned()
    yield
    secrets_module.forget_learned()


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "gitleaks.toml"
    path.write_text(RULES)
    return path


def test_a_rule_from_the_file_redacts_what_the_built_ins_miss(rules_file: Path) -> None:
    assert ACME in SecretScanner().scan(LINE).text  # control: built-ins alone leak it
    scanner = SecretScanner(extra_rules_path=rules_file)
    result = scanner.scan(LINE)
    assert ACME not in result.text
    assert result.found == {"acme-live-key": 1}
    assert "[REDACTED:acme-live-key]" in result.text


def test_bad_rules_are_reported_not_fatal(rules_file: Path) -> None:
    scanner = SecretScanner(extra_rules_path=rules_file)
    problems = "\n".join(scanner.problems)
    assert "broken" in problems and "path-only" in problems
    assert "acme-live-key" not in problems


def test_unreadable_file_is_a_problem_and_built_ins_still_apply(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[rules]\nid = ")
    scanner = SecretScanner(extra_rules_path=bad)
    assert scanner.problems and "cannot be read" in scanner.problems[0]
    assert "AKIA" not in scanner.scan('k = "AKIA' + "Q" * 16 + '"').text
    missing = SecretScanner(extra_rules_path=tmp_path / "none.toml")
    assert missing.problems


def test_entropy_stopwords_and_end_anchor(rules_file: Path) -> None:
    scanner = SecretScanner(extra_rules_path=rules_file)
    random_token = "x8k2m9q4w7e1r5t3y6u0"
    assert random_token not in scanner.scan(f'CORP_TICKET = "{random_token}').text
    # control for `\z`: not at the end of the text, the rule does not match
    assert random_token in scanner.scan(f'CORP_TICKET = "{random_token}\n').text
    low_entropy = "abababababababababab"
    assert low_entropy in scanner.scan(f'corp_ticket = "{low_entropy}').text
    stopped = "aaaaaaaaaa0123456789"
    assert stopped in scanner.scan(f'corp-ticket = "{stopped}').text


def test_the_files_global_allowlist_applies_to_its_rules_only(rules_file: Path) -> None:
    scanner = SecretScanner(extra_rules_path=rules_file)
    allowed = "acme_live_TESTTESTTESTTESTTESTTEST"
    assert allowed in scanner.scan(f"x = {allowed!r}").text
    github = "ghp_" + "Ab1" * 12
    assert github not in scanner.scan(f"t = {github!r}  # acme_live_TESTTESTTESTTESTTESTTEST").text


def test_re2_syntax_is_translated() -> None:
    assert translate_re2(r"abc\z") == r"abc\Z"
    assert translate_re2(r"key=(?i)[[:alnum:]]+") == "(?i)key=[a-zA-Z0-9]+"
    assert translate_re2(r"\Qa.b\E+") == r"a\.b+"
    rules, problems = load_gitleaks_rules_text(
        "[[rules]]\nid='named'\nregex='''tok_(?P<v>[0-9]{6})'''\nkeywords=['tok_']\n"
    )
    assert not problems and rules[0].regex is not None
    assert rules[0].regex.search("tok_123456") is not None


def load_gitleaks_rules_text(text: str) -> tuple[list[Rule], list[str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.toml"
        path.write_text(text)
        return load_gitleaks_rules(path)


async def test_privacy_secret_rules_setting_reaches_the_endpoint_scan(
    tmp_path: Path, rules_file: Path
) -> None:
    sent: dict[str, bytes] = {}
    for label, rules in (("without", ""), ("with", str(rules_file))):
        with FakeMistral() as fake:
            settings = make_settings(fake.url, audit_path=str(tmp_path / f"{label}.jsonl"))
            settings = dataclasses.replace(
                settings, privacy=dataclasses.replace(settings.privacy, secret_rules=rules)
            )
            service = EndpointService(settings, [tmp_path], env={"MISTRAL_API_KEY": TEST_KEY})
            await service.fim(FimRequest(LINE, "", 8))
            await service.aclose()
            sent[label] = fake.all_bytes()
    assert ACME.encode() in sent["without"]  # control: the same request leaks without rules
    assert ACME.encode() not in sent["with"]
    assert b"[REDACTED:acme-live-key]" in sent["with"]
