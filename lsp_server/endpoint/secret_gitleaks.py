"""Rules a security team already maintains, in gitleaks' TOML format, applied like ours.

Supported: `[[rules]]` with `id`, `description`, `regex`, `secretGroup`, `entropy`,
`keywords`, and allowlists in both spellings (`[rules.allowlist]`, `[[rules.allowlists]]`)
with `regexes`, `stopwords`, `regexTarget` and `condition`; global `[allowlist]` /
`[[allowlists]]` (with `targetRules`) apply to the file's own rules only, so a rule file can
add detections but never silence the built-in ones. `path`-only rules and `paths`/`commits`
allowlist entries need a file name or a commit, which a prompt does not have: they are
skipped (reported). gitleaks uses Go's RE2 syntax; what differs from Python's is
translated, and a rule that still does not compile is reported and skipped, not fatal.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from .secret_rules import Allowlist, Rule

_POSIX = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "ascii": "\\x00-\\x7f",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "word": "\\w",
    "xdigit": "0-9a-fA-F",
}
_FLAGS_MIDWAY = re.compile(r"\(\?([imsU]+)\)")


def translate_re2(pattern: str) -> str:
    """Go RE2 -> Python `re`: `\\z`, `\\Q..\\E`, POSIX classes, `\\pL`, and inline flags that
    RE2 allows anywhere but Python only at the start (hoisted: matching more, never less)."""
    out = re.sub(r"\\Q(.*?)(?:\\E|$)", lambda m: re.escape(m.group(1)), pattern)
    out = out.replace("\\z", "\\Z")
    out = re.sub(r"\[:(\^?)(\w+):\]", lambda m: _posix(m.group(1), m.group(2)), out)
    out = re.sub(r"\\p\{?L\}?", "[^\\\\W\\\\d_]", out).replace("\\PL", "[\\W\\d_]")
    out = re.sub(r"\\p\{?N\}?", "\\\\d", out)
    flags = ""
    for m in _FLAGS_MIDWAY.finditer(out):
        if m.start() > 0:
            flags += m.group(1)
    if flags:
        lead = _FLAGS_MIDWAY.match(out)
        if lead is not None:
            flags += lead.group(1)
            out = out[lead.end() :]
        out = _FLAGS_MIDWAY.sub("", out)
        if "U" in flags:
            raise re.error("the ungreedy flag (?U) has no Python equivalent")
        out = f"(?{''.join(sorted(set(flags)))})" + out
    return out


def _posix(negate: str, name: str) -> str:
    if name not in _POSIX:
        raise re.error(f"unknown POSIX class [:{name}:]")
    if negate:
        raise re.error("negated POSIX classes are not supported")
    return _POSIX[name]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(translate_re2(pattern))


def _allowlist(raw: dict[str, Any], where: str, problems: list[str]) -> Allowlist | None:
    condition = str(raw.get("condition", "OR")).upper()
    target = str(raw.get("regexTarget", raw.get("regextarget", "secret")) or "secret")
    if target not in ("secret", "match", "line"):
        problems.append(f"{where}: unknown regexTarget {target!r}; allowlist skipped")
        return None
    regexes: list[re.Pattern[str]] = []
    for text in raw.get("regexes", []) or []:
        try:
            regexes.append(_compile(str(text)))
        except re.error as exc:
            problems.append(f"{where}: allowlist regex {text!r} does not compile ({exc})")
    stopwords = tuple(str(w) for w in raw.get("stopwords", raw.get("stopWords", [])) or [])
    if not regexes and not stopwords:
        if raw.get("paths") or raw.get("commits"):
            problems.append(f"{where}: allowlist by paths/commits does not apply to prompts")
        return None
    return Allowlist(target, tuple(regexes), stopwords, condition in ("AND", "&&"))


def _rule_allowlists(raw: dict[str, Any], where: str, problems: list[str]) -> list[Allowlist]:
    found: list[Allowlist] = []
    singles = raw.get("allowlist", raw.get("allowList"))
    many = raw.get("allowlists", raw.get("allowLists")) or []
    if isinstance(singles, dict):
        many = [singles, *many]
    for entry in many:
        if isinstance(entry, dict):
            allow = _allowlist(entry, where, problems)
            if allow is not None:
                found.append(allow)
    return found


def load_gitleaks_rules(path: str | Path) -> tuple[list[Rule], list[str]]:
    """The rules of a gitleaks config file, and what could not be used (human-readable)."""
    problems: list[str] = []
    try:
        data = tomllib.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return [], [f"secret rules {path}: cannot be read ({exc})"]
    global_lists: list[tuple[tuple[str, ...], Allowlist]] = []
    raw_globals = data.get("allowlists", []) or []
    if isinstance(data.get("allowlist"), dict):
        raw_globals = [data["allowlist"], *raw_globals]
    for entry in raw_globals:
        if isinstance(entry, dict):
            allow = _allowlist(entry, f"{path}: [allowlist]", problems)
            if allow is not None:
                targets = tuple(str(t) for t in entry.get("targetRules", []) or [])
                global_lists.append((targets, allow))
    rules: list[Rule] = []
    for index, raw in enumerate(data.get("rules", []) or []):
        if not isinstance(raw, dict):
            continue
        rule_id = str(raw.get("id") or f"rule #{index + 1}")
        where = f"secret rules {path}: {rule_id}"
        regex_text = raw.get("regex")
        if not regex_text:
            problems.append(f"{where}: no regex (path-only rules need a file name); skipped")
            continue
        try:
            regex = _compile(str(regex_text))
        except re.error as exc:
            problems.append(f"{where}: regex does not compile ({exc}); skipped")
            continue
        group = raw.get("secretGroup", raw.get("secretgroup"))
        group = int(group) if group else None
        if group is not None and group > regex.groups:
            problems.append(f"{where}: secretGroup {group} > the regex's {regex.groups} groups")
            group = None
        allowlists = _rule_allowlists(raw, where, problems)
        allowlists += [a for targets, a in global_lists if not targets or rule_id in targets]
        keywords = tuple(str(k).lower() for k in raw.get("keywords", []) or [])
        rules.append(
            Rule(
                f"gitleaks:{rule_id}",
                rule_id,
                regex,
                group=group,
                keywords=keywords,
                entropy=float(raw.get("entropy", 0) or 0),
                allowlists=tuple(allowlists),
            )
        )
    return rules, problems
