"""Completions already paid for: an LRU that also serves the user typing into them.

When the user types the first characters of a completion they were shown, the rest of it
is still right: it is returned without another request (typing-forward reuse).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

_PREFIX_TAIL = 1024  # how much of the prefix identifies a position (plus its exact length)
_SUFFIX_HEAD = 256


@dataclass(frozen=True)
class Anchor:
    """Where a completion was asked: enough of the text around the cursor to recognise it."""

    uri: str
    prefix_len: int
    prefix_tail: str
    suffix_head: str

    @classmethod
    def at(cls, uri: str, text: str, offset: int) -> Anchor:
        return cls(
            uri,
            offset,
            text[max(0, offset - _PREFIX_TAIL) : offset],
            text[offset : offset + _SUFFIX_HEAD],
        )

    def typed_since(self, text: str, offset: int) -> str | None:
        """What was typed since this anchor, if the text is this anchor's plus typing."""
        if offset < self.prefix_len or text[offset : offset + _SUFFIX_HEAD] != self.suffix_head:
            return None
        start = max(0, self.prefix_len - _PREFIX_TAIL)
        if text[start : self.prefix_len] != self.prefix_tail:
            return None
        return text[self.prefix_len : offset]


def forward(completion: str, typed: str) -> str | None:
    """The rest of `completion` after the user typed `typed` into it, if consistent."""
    if typed and completion.startswith(typed) and len(completion) > len(typed):
        return completion[len(typed) :]
    if not typed:
        return completion
    return None


class CompletionCache:
    def __init__(self, capacity: int = 256) -> None:
        self._entries: OrderedDict[Anchor, str] = OrderedDict()
        self._capacity = capacity

    def put(self, anchor: Anchor, completion: str) -> None:
        self._entries[anchor] = completion
        self._entries.move_to_end(anchor)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def lookup(self, uri: str, text: str, offset: int) -> str | None:
        """The cached completion for this position, typed-forward if the user typed into it."""
        for anchor in reversed(self._entries):
            if anchor.uri != uri or not 0 <= offset - anchor.prefix_len <= 512:
                continue
            typed = anchor.typed_since(text, offset)
            if typed is None:
                continue
            rest = forward(self._entries[anchor], typed)
            if rest is not None:
                self._entries.move_to_end(anchor)
                return rest
        return None

    def clear(self, uri: str | None = None) -> None:
        if uri is None:
            self._entries.clear()
        else:
            for anchor in [a for a in self._entries if a.uri == uri]:
                del self._entries[anchor]
