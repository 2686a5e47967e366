"""Secret scanning: find secret spans in whole texts, redact them, block on them.

`SecretScanner.find_spans(text)` runs the detector table (`secret_rules.BUILTIN`, plus the
rules of a gitleaks file named by `privacy.secret_rules`) over a whole text and caches the
result per text (a keyed LRU), because the context builder scans the whole source on
every completion before it cuts the prompt out of it, and the endpoint scans the prompt
again as the last net.

Secrets learned from whole sources are remembered (a bounded, process-wide set of the
secret values, line by line): a prompt that carries only part of a file, such as body
lines of a PEM block whose header the prompt budget cut off, or a refactor selection
inside it, is redacted by value even though no rule could recognise the fragment alone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick_rs

from lsp_server.endpoint.errors import SecretsBlocked

from .secret_gitleaks import load_gitleaks_rules
from .secret_rules import (
    BUILTIN,
    PRIVATE_KEY,
    TRIGGER_WORDS,
    Rule,
    find_keyword_values,
    plausible_value,
    shannon_entropy,
    trigger_starts_of,
)

log = logging.getLogger(__name__)

MISTRAL_KEY = "Mistral API Key"
__all__ = [
    "MISTRAL_KEY",
    "PRIVATE_KEY",
    "ScanResult",
    "SecretScanner",
    "Span",
    "current_scanner",
    "learn",
    "note_redacted",
    "placeholder",
    "redact_around",
    "redact_range",
]

#: Cached scans (texts) per scanner, and remembered secret fragments (process-wide).
CACHE_SIZE = 1024  # a context holds ~40 pieces and a typing burst revisits them
LEARNED_SIZE = 4096
#: A fragment shorter than this is not remembered (it would match ordinary text).
FRAGMENT_MIN = 12


def placeholder(secret_type: str) -> str:
    return f"[REDACTED:{secret_type}]"


@dataclass(frozen=True, slots=True)
class Span:
    """`text[start:end]` is a secret of `type`."""

    start: int
    end: int
    type: str


@dataclass
class ScanResult:
    """The (possibly redacted) text and how many secrets of each type were found."""

    text: str
    found: dict[str, int] = field(default_factory=dict)


def _merge(into: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


# ------------------------------------------------------------------ remembered secrets

_lock = threading.Lock()
_learned: OrderedDict[str, str] = OrderedDict()  # fragment -> type
_noted: OrderedDict[str, None] = OrderedDict()  # redacted lines of a file's own sent text


def _fragments(secret: str) -> Iterable[str]:
    """The lines of a secret as they may appear in another text (quotes, `\\n` escapes and
    indentation stripped)."""
    for line in secret.replace("\\r", "\n").replace("\\n", "\n").splitlines():
        piece = line.strip().strip("\"'`,;+").strip()
        if len(piece) >= FRAGMENT_MIN:
            yield piece


_learned_epoch = 0  # moves whenever a fragment is learned or forgotten


def learned_epoch() -> int:
    """A number that changes whenever the remembered values change: a text found clean
    under one epoch is still clean while it stays (`context.redact` keeps such verdicts)."""
    return _learned_epoch


def learn(text: str, spans: Iterable[Span]) -> None:
    """Remember the secret values found in a whole text, for texts that carry a part."""
    global _learned_epoch
    with _lock:
        for span in spans:
            for piece in _fragments(text[span.start : span.end]):
                if _learned.get(piece) != span.type:
                    _learned_epoch += 1  # a new fragment, or a new type for one
                _learned[piece] = span.type
                _learned.move_to_end(piece)
        while len(_learned) > LEARNED_SIZE:
            _learned.popitem(last=False)


def forget_learned() -> None:
    """Drop remembered fragments and noted lines (tests)."""
    global _learned_epoch
    with _lock:
        _learned_epoch += 1
        _learned.clear()
        _noted.clear()


def note_redacted(line: str) -> None:
    """A line of the user's own text that goes out with a placeholder the context builder
    put there: it counts as a secret found in that request (block mode refuses it)."""
    if "[REDACTED:" not in line or len(line.strip()) < 4:
        return
    with _lock:
        _noted[line] = None
        _noted.move_to_end(line)
        while len(_noted) > 512:
            _noted.popitem(last=False)


#: The remembered fragments in one automaton, rebuilt when they change: a `find` per
#: fragment over every whole file grew with their number (4,096 at most).
_automaton: tuple[int, ahocorasick_rs.AhoCorasick, list[tuple[str, str]]] | None = None


def _learned_spans(text: str) -> list[Span]:
    """Each remembered fragment wherever it occurs (non-overlapping, as `str.find` steps)."""
    global _automaton
    with _lock:
        if not _learned:
            return []
        built = _automaton
        if built is None or built[0] != _learned_epoch:
            items = list(_learned.items())
            matcher = ahocorasick_rs.AhoCorasick([piece for piece, _ in items])
            built = _automaton = (_learned_epoch, matcher, items)
    _, matcher, items = built
    spans: list[Span] = []
    ends: dict[int, int] = {}  # fragment -> end of its last occurrence taken
    hits = matcher.find_matches_as_indexes(text, overlapping=True)
    for which, start, end in sorted(hits, key=lambda hit: hit[1]):
        if start < ends.get(which, 0):
            continue  # overlaps its own previous occurrence
        ends[which] = end
        spans.append(Span(start, end, items[which][1]))
    return spans


def _noted_types(text: str) -> dict[str, int]:
    with _lock:
        lines = list(_noted)
    found: dict[str, int] = {}
    for line in lines:
        if line in text:
            for part in line.split("[REDACTED:")[1:]:
                kind = part.split("]", 1)[0]
                found[kind] = found.get(kind, 0) + 1
    return found


# ------------------------------------------------------------------ the scanner


class SecretScanner:
    """Finds and redacts secrets in strings. `known_secrets` (e.g. the API key) always count;
    `extra_rules_path` names a gitleaks TOML file whose rules are added to the built-in ones
    (problems with it are in `problems`, never raised)."""

    def __init__(
        self,
        known_secrets: Iterable[str] = (),
        extra_rules_path: str | Path | None = None,
        *,
        rules: Sequence[Rule] | None = None,
    ) -> None:
        self._known = tuple(s for s in known_secrets if s and len(s) >= 8)
        self.rules: list[Rule] = list(BUILTIN if rules is None else rules)
        self.problems: list[str] = []
        if extra_rules_path:
            extra, self.problems = load_gitleaks_rules(extra_rules_path)
            self.rules.extend(extra)
            for problem in self.problems:
                log.warning("secret rules: %s", problem)
        self._all_rules = (*_MISTRAL_RULES, *self.rules)
        keywords = {k for r in self._all_rules for k in r.keywords}
        self._keywords_in = keyword_finder(keywords)
        self._literals_in = literal_finder(keywords)
        self._always, self._by_keyword, self._gated = _rule_index(self._all_rules)
        self.rules_digest = rules_digest(self._all_rules)
        self._cache: OrderedDict[bytes, tuple[Span, ...]] = OrderedDict()
        self._cache_lock = threading.Lock()

    # -- finding --------------------------------------------------------------------------

    def find_spans(self, text: str, *, rules_clean: bool = False) -> list[Span]:
        """Secret spans of a whole text, sorted and merged (cached per text). `rules_clean`:
        the caller knows that no rule finds anything in this very text (a verdict of the
        index, under `rules_digest`): only the API key and the learned values are looked for.
        """
        if not text:
            return []
        hit: tuple[Span, ...] | None = ()
        if not rules_clean:
            key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).digest()
            with self._cache_lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
        if hit is None:
            hit = tuple(self._rule_spans(text))
            with self._cache_lock:
                self._cache[key] = hit
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        extra: list[tuple[int, Span]] = [(-1, s) for s in self._known_spans(text)]
        extra += [(len(self.rules), s) for s in _learned_spans(text)]
        if not extra:
            return list(hit)
        return _merge_spans([(i, s) for i, s in enumerate(hit)] + extra, ordered=False)

    def _known_spans(self, text: str) -> list[Span]:
        spans: list[Span] = []
        for secret in self._known:
            pos = text.find(secret)
            while pos >= 0:
                spans.append(Span(pos, pos + len(secret), MISTRAL_KEY))
                pos = text.find(secret, pos + len(secret))
        return spans

    def rule_spans(self, text: str) -> list[Span]:
        """What the rules alone find in a text (not cached; the index's verdicts)."""
        return self._rule_spans(text) if text else []

    def _rule_spans(self, text: str) -> list[Span]:
        lowered = text.lower()
        found: list[tuple[int, Span]] = []
        literals = self._literals_in(lowered)  # keywords and triggers, in one pass
        if literals is None:
            keywords, triggers = self._keywords_in(lowered), None
        else:
            keywords, triggers = literals
        for priority in self._applying(lowered, keywords):
            rule = self._all_rules[priority]
            if rule.finder is not None:
                if rule.finder is find_keyword_values:
                    hits = find_keyword_values(text, lowered, triggers)
                else:
                    hits = rule.finder(text, lowered)
                for start, end, kind in hits:
                    found.append((priority, Span(start, end, kind)))
                continue
            assert rule.regex is not None
            for m in rule.regex.finditer(text):
                span = _secret_of(rule, m)
                if span is None:
                    continue
                start, end = span
                secret = text[start:end]
                if rule.word and _touches_word(text, start, end):
                    continue
                if rule.check is not None and not rule.check(secret):
                    continue
                if rule.entropy and shannon_entropy(secret) <= rule.entropy:
                    continue
                if rule.allowlists and _allowed(rule, text, m, secret):
                    continue
                found.append((priority, Span(start, end, rule.type)))
        return _merge_spans(found, ordered=False)

    def _applying(self, lowered: str, keywords: set[str]) -> list[int]:
        """The rules (by priority) that apply to a text with these keywords: those without
        keywords or gate, those with a keyword found, those whose gate opens. Looked up by
        keyword, not asked of every rule (~80 checks were most of a short text's scan)."""
        chosen = set(self._always)
        for keyword in keywords:
            chosen.update(self._by_keyword.get(keyword, ()))
        gates: dict[re.Pattern[str], bool] = {}  # each gate is looked for once per text
        for priority, gate in self._gated:
            if priority in chosen:
                continue
            hit = gates.get(gate)
            if hit is None:
                hit = gates[gate] = gate.search(lowered) is not None
            if hit:
                chosen.add(priority)
        return sorted(chosen)

    # -- redacting ------------------------------------------------------------------------

    def redact(self, text: str, spans: Sequence[Span] | None = None) -> ScanResult:
        """`text` with every span replaced by its placeholder."""
        if spans is None:
            spans = self.find_spans(text)
        found = _noted_types(text) if _noted else {}
        if not spans:
            return ScanResult(text, found)
        out: list[str] = []
        pos = 0
        for span in spans:
            out.append(text[pos : span.start])
            out.append(placeholder(span.type))
            found[span.type] = found.get(span.type, 0) + 1
            pos = span.end
        out.append(text[pos:])
        return ScanResult("".join(out), found)

    def scan(self, text: str) -> ScanResult:
        """Redact every secret in `text`; returns the new text and counts by type."""
        if not text:
            return ScanResult(text, {})
        return self.redact(text)

    def scan_many(self, texts: Sequence[str]) -> tuple[list[str], dict[str, int]]:
        out: list[str] = []
        found: dict[str, int] = {}
        for t in texts:
            r = self.scan(t)
            out.append(r.text)
            _merge(found, r.found)
        return out, found

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


def redact_range(
    text: str, start: int, end: int, spans: Sequence[Span], keep_lines: bool = False
) -> str:
    """`text[start:end]` with the parts of `spans` (found on the whole `text`) that fall in
    it replaced by placeholders: the slice is cut from the redacted whole. `keep_lines`
    keeps the newlines of a multi-line secret, so that line numbers still hold."""
    out: list[str] = []
    pos = start
    for span in spans:
        if span.end <= start or span.start >= end:
            continue
        s, e = max(span.start, start), min(span.end, end)
        out.append(text[pos:s])
        out.append(placeholder(span.type))
        if keep_lines:
            out.append("\n" * text.count("\n", s, e))
        pos = e
    out.append(text[pos:end])
    return "".join(out)


def redact_around(text: str, cuts: Sequence[int], spans: Sequence[Span]) -> tuple[str, list[int]]:
    """The whole `text` redacted line by line-preserving, and where the offsets `cuts` (a
    cursor, a selection's ends) fall in it. A secret that a cut falls in is redacted on both
    sides of it."""
    bounds = [0, *sorted(max(0, min(c, len(text))) for c in cuts), len(text)]
    parts = [
        redact_range(text, a, b, spans, keep_lines=True)
        for a, b in zip(bounds, bounds[1:], strict=False)
    ]
    positions: list[int] = []
    total = 0
    for part in parts[:-1]:
        total += len(part)
        positions.append(total)
    return "".join(parts), positions


# ------------------------------------------------------------------ shared instance

_current: SecretScanner | None = None


def configure_scanner(
    known_secrets: Iterable[str] = (), extra_rules_path: str | Path | None = None
) -> SecretScanner:
    """The scanner of the configured endpoint, shared with the context builder (which must
    apply the same rules to whole sources before slicing them)."""
    global _current
    scanner = SecretScanner(known_secrets, extra_rules_path or None)
    _current = scanner
    return scanner


def current_scanner() -> SecretScanner:
    global _current
    if _current is None:
        _current = SecretScanner()
    return _current


# ------------------------------------------------------------------ helpers


def _source_digest() -> bytes:
    """The code of the scanner and its rules (finders and checks are code, not data)."""
    digest = hashlib.blake2b(digest_size=16)
    here = Path(__file__).resolve().parent
    try:
        for name in ("secrets.py", "secret_rules.py", "secret_gitleaks.py"):
            digest.update((here / name).read_bytes())
    except OSError:  # no sources beside the module: a digest no other process shares
        digest.update(os.urandom(16))
    return digest.digest()


_SOURCE_DIGEST = _source_digest()


def rules_digest(rules: Iterable[Rule]) -> str:
    """Names a rule set: the scanner's code and every rule's data (patterns taken from
    detect-secrets or a gitleaks file included). A verdict found under one digest holds for
    a scanner with the same digest only."""
    digest = hashlib.blake2b(_SOURCE_DIGEST, digest_size=16)
    for rule in rules:
        described = (
            rule.id,
            rule.type,
            (rule.regex.pattern, rule.regex.flags) if rule.regex is not None else None,
            rule.group,
            rule.keywords,
            (rule.gate.pattern, rule.gate.flags) if rule.gate is not None else None,
            getattr(rule.finder, "__qualname__", None),
            rule.word,
            rule.entropy,
            getattr(rule.check, "__qualname__", None),
            [
                (a.target, [(r.pattern, r.flags) for r in a.regexes], a.stopwords, a.conjunctive)
                for a in rule.allowlists
            ],
        )
        digest.update(repr(described).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def keyword_finder(keywords: Iterable[str]) -> Callable[[str], set[str]]:
    """The keywords that occur in a text, found in one pass (an Aho-Corasick automaton,
    Rust's `aho-corasick`): ~90 `keyword in text` searches over every whole file were 60% of
    a scan, and pyahocorasick's walk was still 12 ns a character."""
    words = set(keywords)
    always = words & {""}  # in every text (an automaton cannot hold it)
    words -= always
    if not words:
        return lambda _text: set(always)
    automaton = ahocorasick_rs.AhoCorasick(sorted(words))

    def find(text: str) -> set[str]:
        return set(automaton.find_matches_as_strings(text, overlapping=True)) | always

    return find


def _rule_index(
    rules: Sequence[Rule],
) -> tuple[tuple[int, ...], dict[str, tuple[int, ...]], tuple[tuple[int, re.Pattern[str]], ...]]:
    """Rules by priority: those that always apply, those each keyword opens, and the gated."""
    always = tuple(i for i, rule in enumerate(rules) if not rule.keywords and rule.gate is None)
    by_keyword: dict[str, list[int]] = {}
    for i, rule in enumerate(rules):
        for keyword in rule.keywords:
            by_keyword.setdefault(keyword, []).append(i)
    gated = tuple((i, rule.gate) for i, rule in enumerate(rules) if rule.gate is not None)
    return always, {k: tuple(v) for k, v in by_keyword.items()}, gated


def literal_finder(
    keywords: Iterable[str],
) -> Callable[[str], tuple[set[str], list[int]] | None]:
    """The keywords of `keyword_finder` and the generic finder's trigger starts (`secret_rules.
    _trigger_starts`) of an ASCII lower-cased text, in one pass over its bytes (offsets are
    then characters): two passes over the text were a third of a scan. None for any other
    text (the callers search it as before)."""
    words = set(keywords)
    always = words & {""}
    patterns = sorted((words - always) | set(TRIGGER_WORDS))
    if not all(word.isascii() for word in patterns):
        return lambda _lowered: None
    keyword_of = [word if word in words else None for word in patterns]
    trigger_of = [TRIGGER_WORDS.index(word) if word in TRIGGER_WORDS else None for word in patterns]
    automaton = ahocorasick_rs.BytesAhoCorasick([word.encode("ascii") for word in patterns])

    def find(lowered: str) -> tuple[set[str], list[int]] | None:
        if not lowered.isascii():
            return None
        found = set(always)
        triggers: list[tuple[int, int, int]] = []
        for which, start, end in automaton.find_matches_as_indexes(
            lowered.encode("ascii"), overlapping=True
        ):
            keyword = keyword_of[which]
            if keyword is not None:
                found.add(keyword)
            trigger = trigger_of[which]
            if trigger is not None:
                triggers.append((trigger, start, end))
        return found, trigger_starts_of(lowered, triggers)

    return find


def _touches_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() or before == "_" or after.isalnum() or after == "_"


def _secret_of(rule: Rule, m: re.Match[str]) -> tuple[int, int] | None:
    """The span of the secret in a match: the rule's group; gitleaks' default (the first
    group that matched, else the whole match); for detect-secrets' patterns the longest
    group of 8+ characters, else the match without the delimiters it swallowed."""
    group = rule.group
    if group is None and rule.id.startswith("detect-secrets:"):
        best: tuple[int, int] | None = None
        for g in range(1, (m.re.groups or 0) + 1):
            s, e = m.span(g)
            if s >= 0 and e - s >= 8 and (best is None or e - s > best[1] - best[0]):
                best = (s, e)
        if best is not None:
            return best
        start, end = m.span(0)
        while start < end and m.string[start] in " \t\r\n=:\"'":
            start += 1
        while end > start and m.string[end - 1] in " \t\r\n\"'":
            end -= 1
        return (start, end) if end > start else None
    if group is None:
        for g in range(1, (m.re.groups or 0) + 1):
            s, e = m.span(g)
            if s >= 0 and e > s:
                return s, e
        group = 0
    s, e = m.span(group)
    return (s, e) if s >= 0 and e > s else None


def _allowed(rule: Rule, text: str, m: re.Match[str], secret: str) -> bool:
    line_start = text.rfind("\n", 0, m.start()) + 1
    line_end = text.find("\n", m.end())
    line = text[line_start : len(text) if line_end < 0 else line_end]
    return any(a.allows(secret, m.group(0), line) for a in rule.allowlists)


def _merge_spans(found: list[tuple[int, Span]], ordered: bool) -> list[Span]:
    """Union of overlapping spans; each merged span takes the type of its highest-priority
    (lowest number) rule, so `token = "ghp_..."` is a GitHub Token, not a keyword hit."""
    items = found if ordered else sorted(found, key=lambda x: (x[1].start, -x[1].end))
    merged: list[tuple[int, int, int, str]] = []  # start, end, priority, type
    for priority, span in items:
        if merged and span.start < merged[-1][1]:
            start, end, best, kind = merged[-1]
            if priority < best:
                best, kind = priority, span.type
            merged[-1] = (start, max(end, span.end), best, kind)
        else:
            merged.append((span.start, span.end, priority, span.type))
    return [Span(start, end, kind) for start, end, _, kind in merged]


def _mistral_rules() -> tuple[Rule, ...]:
    return (
        Rule(
            "mistral-key",
            MISTRAL_KEY,
            re.compile(
                r"(?i)(?:mistral|codestral)[\w.\-]{0,24}?(?:api)?[_\-]?(?:key|token|secret)"
                r"[\"']?\s*(?:=|:|:=|=>)\s*(?:[a-z_]\w*\()?[\"']?(?P<s>[A-Za-z0-9]{32})"
                r"(?![A-Za-z0-9])"
            ),
            group="s",
            keywords=("mistral", "codestral"),
            check=lambda v: plausible_value(v, True),
        ),
    )


_MISTRAL_RULES = _mistral_rules()
