"""The secret scanner over its corpus: every planted secret is redacted whole, no
high-entropy non-secret is touched, and the shapes that used to leak in part do not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from detect_secrets.plugins.jwt import JwtTokenDetector

from lsp_server.endpoint import secrets as secrets_module
from lsp_server.endpoint.secret_rules import Rule
from lsp_server.endpoint.secrets import SecretScanner, Span, placeholder, redact_range

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "secrets_corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())
LEAK_CHARS = 12


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    """Values learned from whole files elsewhere must not help (or hurt) these scans."""
    secrets_module.forget_learned()
    yield
    secrets_module.forget_learned()


def leaked_part(secret: str, text: str) -> str | None:
    """The first run of 12 characters of `secret` (all of it if shorter) found in `text`."""
    n = min(LEAK_CHARS, len(secret))
    for i in range(len(secret) - n + 1):
        if secret[i : i + n] in text:
            return secret[i : i + n]
    return None


def test_leak_check_can_fail() -> None:
    """Control: the check used below finds a secret left in clear, and a 12-char part of it."""
    assert leaked_part("abcdefghijklmnop", "x = 'abcdefghijklmnop'") is not None
    assert leaked_part("abcdefghijklmnop", "x = '[REDACTED]mnop'") is None
    assert leaked_part("abcdefghijklmnop", "x = 'efghijklmnop'") == "efghijklmnop"


@pytest.mark.parametrize(
    "item", MANIFEST["secrets"], ids=[f"{s['id']}-{s['category']}" for s in MANIFEST["secrets"]]
)
def test_every_planted_secret_is_redacted_whole(item: dict[str, str]) -> None:
    text = (CORPUS / item["file"]).read_text()
    assert item["secret"] in text
    redacted = SecretScanner().scan(text).text
    assert leaked_part(item["secret"], redacted) is None


def test_the_corpus_covers_every_category_of_the_brief() -> None:
    categories = {s["category"] for s in MANIFEST["secrets"]}
    expected = {
        "keyword", "terraform", "yaml", "ini", "properties", "toml", "env", "xml", "json",
        "dockerfile", "aws", "google", "azure", "github", "anthropic", "openai", "huggingface",
        "shopify", "databricks", "datadog", "twilio", "stripe", "slack", "jwt", "url",
        "header", "curl", "docker", "k8s", "private-key", "inline-client-key",
    }  # fmt: skip
    assert expected <= categories
    assert len(MANIFEST["secrets"]) >= 80


@pytest.mark.parametrize("rel", MANIFEST["non_secret_files"])
def test_no_false_redaction_of_high_entropy_non_secrets(rel: str) -> None:
    text = (CORPUS / rel).read_text()
    assert SecretScanner().find_spans(text) == []


def test_non_secret_values_survive() -> None:
    scanner = SecretScanner()
    out = "".join(
        scanner.scan((CORPUS / rel).read_text()).text for rel in MANIFEST["non_secret_files"]
    )
    assert [v for v in MANIFEST["non_secret_values"] if v not in out] == []


def test_jwt_signature_is_redacted_too() -> None:
    token = next(s["secret"] for s in MANIFEST["secrets"] if s["category"] == "jwt")
    signature = token.rsplit(".", 1)[1]
    line = f'SERVICE_JWT = "{token}"'
    # control: detect-secrets' own JWT pattern stops before the signature
    found = [m.group(0) for p in JwtTokenDetector().denylist for m in p.finditer(line)]
    assert found and all(signature not in f for f in found)
    assert signature not in SecretScanner().scan(line).text


def test_placeholders_keep_their_format_and_count() -> None:
    result = SecretScanner().scan('k = "AKIA' + "Z" * 16 + '"\n')
    assert placeholder("AWS Access Key") in result.text
    assert result.found == {"AWS Access Key": 1}


def test_a_slice_is_cut_from_the_redacted_whole() -> None:
    text = "a = 1\nkey = SECRET_VALUE\nb = 2\n"
    start = text.index("SECRET")
    spans = [Span(start, start + len("SECRET_VALUE"), "T")]
    assert redact_range(text, start + 6, len(text), spans) == "[REDACTED:T]\nb = 2\n"
    assert "VALUE" not in redact_range(text, 0, start + 8, spans)


@pytest.mark.parametrize(
    "code",
    [
        'password = os.environ["DB_PASSWORD"]',
        "token = tokens[0]",
        "def read(self, name, pwd=None):",
        'PASSWORD_FIELD = "password"',
        "secret = get_secret(name)",
        'password: "${DB_PASSWORD}"',
        "if token == self.eof:",
        'pk = "pk_live_' + "a1B2" * 20 + '"',
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx9mKq3Zr0fT9vW2Yc8bN1pQ4sX7uE6hJ5kL0mA3dF2 me@host",
    ],
)
def test_indirections_and_public_values_are_left_alone(code: str) -> None:
    assert SecretScanner().find_spans(code) == []


def test_find_spans_is_cached_per_text() -> None:
    calls: list[str] = []

    def finder(text: str, lowered: str) -> Iterator[tuple[int, int, str]]:
        calls.append(text)
        yield 0, 4, "T"

    scanner = SecretScanner(rules=[Rule("count", "T", finder=finder)])
    text = "abcd efgh"
    assert scanner.find_spans(text) == scanner.find_spans(text) == [Span(0, 4, "T")]
    assert len(calls) == 1
    scanner.find_spans(text + " ")  # another text is scanned (control)
    assert len(calls) == 2


@pytest.mark.parametrize(
    "text",
    [
        'variable "db_password" {\n  default = "hV9#kLm2$pQ7zX"\n}\n',
        'DB_PASSWORD = "k2$Lm9!qWz$abT"\n',
        "password: 'Rt7$yPq2$mNb8'\n",
    ],
)
def test_a_dollar_inside_a_password_is_not_a_template(text: str) -> None:
    secret = text.split('"')[-2] if '"' in text.split("=")[-1] else text.split("'")[1]
    assert secret not in SecretScanner().scan(text).text


@pytest.mark.parametrize(
    "text", ['password = "$DB_PASSWORD"\n', 'password = "${DB_PASSWORD}"\n', 'token = "$token"\n']
)
def test_variables_standing_for_a_secret_are_left_alone(text: str) -> None:
    assert SecretScanner().scan(text).text == text
