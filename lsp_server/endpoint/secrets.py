"""Secret scanning of outgoing text: detect-secrets' regex detectors plus our own rules.

Runs on every payload, so it must be fast: each detector's patterns are first searched over
the whole text at once (a cheap superset test); only when one hits do we run that detector
line by line, the way detect-secrets does, and replace what it found. Entropy and keyword
detectors are left out: on source code they mostly flag identifiers and test data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from detect_secrets.plugins.artifactory import ArtifactoryDetector
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from lsp_server.endpoint.errors import SecretsBlocked

# High-signal detectors: a fixed prefix or shape, rarely matched by ordinary code.
DETECTORS: tuple[type[RegexBasedDetector], ...] = (
    AWSKeyDetector,
    ArtifactoryDetector,
    AzureStorageKeyDetector,
    BasicAuthDetector,
    DiscordBotTokenDetector,
    GitHubTokenDetector,
    GitLabTokenDetector,
    JwtTokenDetector,
    MailchimpDetector,
    NpmDetector,
    OpenAIDetector,
    PypiTokenDetector,
    SendGridDetector,
    SlackDetector,
    SquareOAuthDetector,
    StripeDetector,
    TelegramBotTokenDetector,
    TwilioKeyDetector,
)

PRIVATE_KEY = "Private Key"
MISTRAL_KEY = "Mistral API Key"

# A PEM (or OpenSSH / PGP) private key block, header to footer; an unterminated block is
# redacted to the end of the text. A bare header without a body (code that parses keys) is not.
_PEM_BLOCK = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----"
    r"(?=[ \t]*\r?\n[^\n]*[A-Za-z0-9+/=]{16})"
    r".*?(?:-----END \1PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.S,
)
_PUTTY = re.compile(r"PuTTY-User-Key-File-\d+:.*?(?:Private-MAC: *[0-9a-f]+|\Z)", re.S)
# A 32-character Mistral key next to a name that says so.
_MISTRAL_ASSIGN = re.compile(
    r"(?i)(?:mistral|codestral)[\w.\-]{0,24}?(?:api)?[_\-]?(?:key|token|secret)"
    r"[\"']?\s*(?:=|:|:=|=>)\s*(?:[a-z_]\w*\()?[\"']?([A-Za-z0-9]{32})(?![A-Za-z0-9])"
)


def _secret_span(m: re.Match[str]) -> tuple[int, int]:
    """The part of a match that is the secret: its longest group when that looks like one
    (AWS secret keys, passwords in URLs), else the match without delimiters it swallowed."""
    best: tuple[int, int] | None = None
    for g in range(1, (m.re.groups or 0) + 1):
        start, end = m.span(g)
        if start >= 0 and end - start >= 8 and (best is None or end - start > best[1] - best[0]):
            best = (start, end)
    if best is not None:
        return best
    start, end = m.span(0)
    text = m.string
    while start < end and text[start] in " \t=:\"'":
        start += 1
    while end > start and text[end - 1] in " \t\"'":
        end -= 1
    return start, end


def _replace_spans(line: str, spans: list[tuple[int, int]], mark: str) -> tuple[int, str] | None:
    """Replace possibly overlapping spans (merged) with `mark`; None when nothing to do."""
    merged: list[list[int]] = []
    for start, end in sorted(sp for sp in spans if sp[1] > sp[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        return None
    out = []
    pos = 0
    for start, end in merged:
        out.append(line[pos:start])
        out.append(mark)
        pos = end
    out.append(line[pos:])
    return len(merged), "".join(out)


def placeholder(secret_type: str) -> str:
    return f"[REDACTED:{secret_type}]"


@dataclass
class ScanResult:
    """The (possibly redacted) text and how many secrets of each type were found."""

    text: str
    found: dict[str, int] = field(default_factory=dict)


def _merge(into: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


class SecretScanner:
    """Finds and redacts secrets in strings. `known_secrets` (e.g. the API key) always count."""

    def __init__(self, known_secrets: Iterable[str] = ()) -> None:
        self._plugins: list[tuple[RegexBasedDetector, re.Pattern[str]]] = []
        for cls in DETECTORS:
            plugin = cls()
            # One multi-line alternation per detector: a fast "could it be here?" test.
            union = "|".join(f"(?:{p.pattern})" for p in plugin.denylist)
            flags = re.M | (re.I if any(p.flags & re.I for p in plugin.denylist) else 0)
            self._plugins.append((plugin, re.compile(union, flags)))
        self._known = tuple(s for s in known_secrets if s and len(s) >= 8)

    def scan(self, text: str) -> ScanResult:
        """Redact every secret in `text`; returns the new text and counts by type."""
        found: dict[str, int] = {}
        if not text:
            return ScanResult(text, found)
        text = self._redact_blocks(text, found)
        for secret in self._known:
            if secret in text:
                found[MISTRAL_KEY] = found.get(MISTRAL_KEY, 0) + text.count(secret)
                text = text.replace(secret, placeholder(MISTRAL_KEY))
        text = self._redact_mistral_assignments(text, found)
        for plugin, prefilter in self._plugins:
            if prefilter.search(text) is None:
                continue
            text = self._redact_with(plugin, text, found)
        return ScanResult(text, found)

    def scan_many(self, texts: Sequence[str]) -> tuple[list[str], dict[str, int]]:
        out: list[str] = []
        found: dict[str, int] = {}
        for t in texts:
            r = self.scan(t)
            out.append(r.text)
            _merge(found, r.found)
        return out, found

    @staticmethod
    def _redact_blocks(text: str, found: dict[str, int]) -> str:
        for pattern in (_PEM_BLOCK, _PUTTY):
            if "PRIVATE KEY" not in text and "PuTTY" not in text:
                return text
            text, n = pattern.subn(placeholder(PRIVATE_KEY), text)
            if n:
                found[PRIVATE_KEY] = found.get(PRIVATE_KEY, 0) + n
        return text

    @staticmethod
    def _redact_mistral_assignments(text: str, found: dict[str, int]) -> str:
        lowered = text.lower()
        if "mistral" not in lowered and "codestral" not in lowered:
            return text
        count = 0

        def repl(m: re.Match[str]) -> str:
            nonlocal count
            count += 1
            start, end = m.span(1)
            whole = m.group(0)
            offset = m.start(0)
            return whole[: start - offset] + placeholder(MISTRAL_KEY) + whole[end - offset :]

        text = _MISTRAL_ASSIGN.sub(repl, text)
        if count:
            found[MISTRAL_KEY] = found.get(MISTRAL_KEY, 0) + count
        return text

    @staticmethod
    def _redact_with(plugin: RegexBasedDetector, text: str, found: dict[str, int]) -> str:
        lines = text.split("\n")
        changed = False
        kind = str(plugin.secret_type)
        validates = type(plugin).analyze_string is not RegexBasedDetector.analyze_string
        for i, line in enumerate(lines):
            spans: list[tuple[int, int]] = []
            for pattern in plugin.denylist:
                for m in pattern.finditer(line):
                    spans.append(_secret_span(m))
            if not spans:
                continue
            if validates:  # e.g. JWT: the plugin checks its candidates further
                valid = set(plugin.analyze_string(line))
                spans = [sp for sp in spans if line[sp[0] : sp[1]] in valid]
            new = _replace_spans(line, spans, placeholder(kind))
            if new is not None:
                n, lines[i] = new
                found[kind] = found.get(kind, 0) + n
                changed = True
        return "\n".join(lines) if changed else text

    def enforce(self, texts: Sequence[str], mode: str) -> tuple[list[str], dict[str, int]]:
        """Apply `privacy.secrets`: "redact" returns redacted texts, "block" raises."""
        redacted, found = self.scan_many(texts)
        if found and mode == "block":
            kinds = ", ".join(sorted(found))
            raise SecretsBlocked(
                f"request blocked: it contains secrets ({kinds}); remove them or set "
                'privacy.secrets = "redact"',
                found,
            )
        return redacted, found
