"""Putting secrets back: prompts carry `[REDACTED:type]` for secrets (the context builder
redacts the whole source, the endpoint scans again), and a model that rewrites such a line
echoes the placeholder. Applied as is, the edit would destroy the secret in the user's
file; it is restored from the text that was sent, or the answer is refused.

The values are found with the endpoint's scanner over the whole sent text (a PEM block
spans lines; a body line cut from one is known by value), so what is restored is exactly
what was redacted; nothing here decides what a secret is.
"""

from __future__ import annotations

import re

from lsp_server.endpoint.secrets import SecretScanner, current_scanner, placeholder

PLACEHOLDER = re.compile(r"\[REDACTED:[^\]]*\]")
#: Text just before a placeholder that tells two secrets of the same type apart.
ANCHOR_CHARS = 12


def redacted_values(
    sent: str, scanner: SecretScanner | None = None
) -> dict[str, list[tuple[str, str]]]:
    """For each placeholder, the (text before it on its line, secret) pairs found in `sent`,
    in the order they occur (a value that repeats is kept once)."""
    scanner = scanner or current_scanner()
    values: dict[str, list[tuple[str, str]]] = {}
    for span in scanner.find_spans(sent):
        secret = sent[span.start : span.end]
        line_start = sent.rfind("\n", 0, span.start) + 1
        before = sent[line_start : span.start].lstrip()[-ANCHOR_CHARS:]
        pairs = values.setdefault(placeholder(span.type), [])
        if all(secret != s for _, s in pairs):
            pairs.append((before, secret))
    return values


def restore_redactions(
    code: str, sent: str, scanner: SecretScanner | None = None
) -> tuple[str, list[str]]:
    """`code` with each placeholder replaced by the secret it stood for in `sent`.

    One secret of that type: it. Several: the one whose preceding text matches; else, when
    the answer holds that type's placeholders exactly as many times as there were secrets
    (lines of a PEM block, echoed in order), the secrets in order. Otherwise the placeholder
    stays and a problem is reported (the answer will be refused).
    """
    if "[REDACTED:" not in code:
        return code, []
    values = redacted_values(sent, scanner)
    in_order = {
        holder: [secret for _, secret in pairs]
        for holder, pairs in values.items()
        if len(pairs) > 1 and code.count(holder) == len(pairs)
    }
    used: dict[str, int] = {}
    problems: list[str] = []
    out: list[str] = []
    for number, line in enumerate(code.split("\n"), 1):

        def restore(m: re.Match[str], line: str = line, number: int = number) -> str:
            holder = m.group(0)
            candidates = values.get(holder, [])
            index = used.get(holder, 0)
            used[holder] = index + 1
            if len(candidates) == 1:
                return candidates[0][1]
            best = _closest(line[: m.start()], candidates)
            if best is not None:
                return best
            if holder in in_order:
                return in_order[holder][index]
            problems.append(f"line {number} holds a redacted secret that cannot be restored")
            return holder

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
