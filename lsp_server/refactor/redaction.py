"""Putting secrets back: the endpoint replaces secrets in prompts with `[REDACTED:type]`,
and a model that rewrites such a line echoes the placeholder. Applied as is, the edit would
destroy the secret in the user's file; it is restored from the text that was sent, or the
answer is refused.

The endpoint's own scanner finds what it redacted (line by line, which is enough to learn the
values); nothing here decides what a secret is.
"""

from __future__ import annotations

import re

from lsp_server.endpoint.secrets import SecretScanner

PLACEHOLDER = re.compile(r"\[REDACTED:[^\]]*\]")
#: Text just before a placeholder that tells two secrets of the same type apart.
ANCHOR_CHARS = 12


def redacted_values(
    sent: str, scanner: SecretScanner | None = None
) -> dict[str, list[tuple[str, str]]]:
    """For each placeholder, the (text before it on its line, secret) pairs found in `sent`."""
    scanner = scanner or SecretScanner()
    values: dict[str, list[tuple[str, str]]] = {}
    for line in sent.splitlines():
        redacted = scanner.scan(line).text
        if redacted == line:
            continue
        holders = PLACEHOLDER.findall(redacted)
        parts = PLACEHOLDER.split(redacted)
        pattern = "(.+?)".join(re.escape(p) for p in parts) + r"\Z"
        match = re.match(pattern, line, re.S)
        if match is None:
            continue
        for index, (holder, secret) in enumerate(zip(holders, match.groups(), strict=True)):
            before = parts[index].lstrip()[-ANCHOR_CHARS:]
            pairs = values.setdefault(holder, [])
            if all(secret != s for _, s in pairs):
                pairs.append((before, secret))
    return values


def restore_redactions(
    code: str, sent: str, scanner: SecretScanner | None = None
) -> tuple[str, list[str]]:
    """`code` with each placeholder replaced by the secret it stood for in `sent`.

    One secret of that type: it. Several: the one whose preceding text matches. Otherwise the
    placeholder stays and a problem is reported (the answer will be refused).
    """
    if "[REDACTED:" not in code:
        return code, []
    values = redacted_values(sent, scanner)
    problems: list[str] = []
    out: list[str] = []
    for number, line in enumerate(code.split("\n"), 1):

        def restore(m: re.Match[str], line: str = line, number: int = number) -> str:
            candidates = values.get(m.group(0), [])
            if len(candidates) == 1:
                return candidates[0][1]
            best = _closest(line[: m.start()], candidates)
            if best is not None:
                return best
            problems.append(f"line {number} holds a redacted secret that cannot be restored")
            return m.group(0)

        out.append(PLACEHOLDER.sub(restore, line))
    return "\n".join(out), problems


def _closest(before: str, candidates: list[tuple[str, str]]) -> str | None:
    """The secret whose context best matches the text before the placeholder, if unique:
    shared words first (`API_KEY` survives `API_KEY: str =`), then a shared suffix."""
    words = set(re.findall(r"\w+", before[-40:]))

    def score(anchor: str) -> tuple[int, int]:
        shared = len(words & set(re.findall(r"\w+", anchor)))
        suffix = 0
        while suffix < min(len(anchor), len(before)) and anchor[-1 - suffix] == before[-1 - suffix]:
            suffix += 1
        return shared, suffix

    ranked = sorted(((score(anchor), secret) for anchor, secret in candidates), reverse=True)
    if not ranked or ranked[0][0] == (0, 0):
        return None
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        return None
    return ranked[0][1]
