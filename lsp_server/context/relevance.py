"""How well a definition's name fits the line being written, before any of it is typed.

Code names what it computes after what it computes with: `params = utils.decode_params(params)`,
`header_bytes = _encode(string, codec)`. The words (snake_case and camelCase parts) of the
cursor line and the lines just above it are a cheap, language-agnostic hint of which of a
module's many definitions the line is about to call.
"""

from __future__ import annotations

import functools
import re

_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
#: Words too common to say anything about a name.
_STOP_TEXT = (
    "self cls this get set is has to of the a an and or in on for by with from as new "
    "init str int obj val value args kwargs none true false return if else not def class"
)
_STOP = frozenset(_STOP_TEXT.split())


@functools.lru_cache(maxsize=16384)
def words(name: str) -> frozenset[str]:
    """`decode_params` -> {decode, param}; `HTTPServerError` -> {http, server, error}.
    A plural is its singular (`add_edges_from` fits a comment saying "add an edge")."""
    return frozenset(_singular(w.lower()) for w in _PART.findall(name) if len(w) > 1) - _STOP


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


class LineWords:
    """The words of the cursor line (weight 1) and of the few lines above it (less)."""

    def __init__(self, lines: list[str], above: int = 3) -> None:
        self.weights: dict[str, float] = {}
        for distance in range(min(above + 1, len(lines))):
            weight = 1.0 if distance == 0 else 0.5 / distance
            for ident in _IDENT.findall(lines[-1 - distance]):
                for word in words(ident):
                    if self.weights.get(word, 0.0) < weight:
                        self.weights[word] = weight

    def add(self, name: str, weight: float) -> None:
        """Count the words of one more name (the enclosing function's: `def drop_column`
        is about to build a `DropColumn`) with `weight`, unless the lines weigh them more."""
        for word in words(name):
            if self.weights.get(word, 0.0) < weight:
                self.weights[word] = weight

    def fit(self, name: str) -> float:
        """0..1: the share of the name's words that the lines around the cursor use."""
        parts = words(name)
        if not parts or not self.weights:
            return 0.0
        return sum(self.weights.get(p, 0.0) for p in parts) / len(parts)
