"""Exclusion pattern lists that only add up: a `!negation` acts only inside its own list.

Each configuration layer (and each policy file, and each workspace root's file) contributes
its own list. Merging them into one gitignore spec would let a later list's `!private/**`
re-include what an earlier one excluded; matching each list on its own and excluding when
any one matches keeps every layer's exclusions in force.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pathspec

PatternGroups = tuple[tuple[str, ...], ...]


def as_groups(patterns: Iterable[Sequence[str]] | Sequence[str]) -> PatternGroups:
    """Normalise a flat list (one group) or a list of lists (one group each)."""
    items = list(patterns)
    flat = [item for item in items if isinstance(item, str)]
    if len(flat) == len(items):
        return (tuple(flat),) if flat else ()
    return tuple(tuple(group) for group in items if group and not isinstance(group, str))


class LayeredPatterns:
    """Matches a path when any one pattern list, evaluated on its own, excludes it."""

    def __init__(self, groups: Iterable[Sequence[str]] | Sequence[str] = ()) -> None:
        self._specs = [pathspec.GitIgnoreSpec.from_lines(list(g)) for g in as_groups(groups)]

    def __bool__(self) -> bool:
        return bool(self._specs)

    def match(self, candidate: str) -> bool:
        """`candidate` is a posix path relative to the root, ending in "/" for a directory."""
        return any(spec.match_file(candidate) for spec in self._specs)
