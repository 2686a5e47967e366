"""Ranking for fuzzy symbol search (workspace/symbol).

Order: exact name, case-insensitive exact, prefix, camel-case/snake-case initials
("gFB" -> getFooBar, "gfb" -> get_foo_bar), word-start subsequence, substring, then any
subsequence with the fewest gaps. Ties go to types and functions over fields and
variables, then to shorter names and paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .model import Definition

_KIND_RANK = {
    "class": 0,
    "interface": 0,
    "struct": 0,
    "trait": 0,
    "enum": 0,
    "type": 1,
    "function": 1,
    "method": 2,
    "namespace": 2,
    "module": 2,
    "constant": 3,
    "property": 3,
    "field": 4,
    "variable": 4,
}
_WORD_START = re.compile(
    r"(?:^|(?<=[_\-$.:]))[A-Za-z0-9]|(?<=[a-z0-9])[A-Z]|(?<=[A-Z])[A-Z](?=[a-z])"
)


def word_starts(name: str) -> list[int]:
    return [m.start() for m in _WORD_START.finditer(name)]


def _subsequence_gaps(query: str, name: str) -> int | None:
    """Total gap length of the leftmost subsequence match of query in name; None if none."""
    position = -1
    gaps = 0
    for char in query:
        found = name.find(char, position + 1)
        if found < 0:
            return None
        if position >= 0:
            gaps += found - position - 1
        else:
            gaps += found
        position = found
    return gaps


def _word_start_match(query: str, name: str) -> int | None:
    """Where a match starts if each query character matches the next word start (or continues
    the current word); None if there is no such match."""
    starts = word_starts(name)
    lowered = name.lower()
    qi = 0
    first: int | None = None
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(name)
        position = start
        while qi < len(query) and position < end and lowered[position] == query[qi]:
            if first is None:
                first = start
            qi += 1
            position += 1
        if qi == len(query):
            return first
    return first if qi == len(query) else None


def score(query: str, name: str) -> tuple[int, int] | None:
    """(tier, detail) -- lower is better; None if the name does not match at all."""
    q = query.lower()
    n = name.lower()
    if name == query:
        return (0, 0)
    if n == q:
        return (1, 0)
    if name.startswith(query):
        return (2, len(name))
    if n.startswith(q):
        return (3, len(name))
    first = _word_start_match(q, name)
    if first is not None:
        return (4, first * 1000 + len(name))
    index = n.find(q)
    if index >= 0:
        return (5, index)
    gaps = _subsequence_gaps(q, n)
    if gaps is None:
        return None
    return (6, gaps)


def rank(query: str, candidates: Iterable[Definition], limit: int = 100) -> list[Definition]:
    scored = []
    for definition in candidates:
        result = score(query, definition.name)
        if result is None:
            continue
        scored.append(
            (
                result[0],
                result[1],
                _KIND_RANK.get(definition.kind, 5),
                len(definition.name),
                definition.container is not None,
                len(definition.path),
                definition.path,
                definition.line,
                definition,
            )
        )
    scored.sort(key=lambda item: item[:8])
    return [item[-1] for item in scored[:limit]]
