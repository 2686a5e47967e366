"""Rendering snippets as prompt text: a path header in the language's comment syntax."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .types import Snippet


def header(path: str, line_comment: str) -> str:
    """`# path: pkg/util.py` -- the convention Codestral's repository-level training used."""
    return f"{line_comment} path: {path}\n"


def render_snippets(snippets: Iterable[Snippet], line_comment: str) -> str:
    """Snippets in order; consecutive snippets of one file share one header."""
    parts: list[str] = []
    previous: str | None = None
    for snippet in snippets:
        if snippet.path != previous:
            if parts:
                parts.append("\n")
            parts.append(header(snippet.path, line_comment))
            previous = snippet.path
        text = snippet.text
        parts.append(text if text.endswith("\n") else text + "\n")
    if parts:
        parts.append("\n")
    return "".join(parts)


def snippet_cost(snippet: Snippet, line_comment: str, count: Callable[[str], int]) -> int:
    """Tokens the snippet costs when rendered alone (its header and a blank line included)."""
    return count(header(snippet.path, line_comment)) + count(snippet.text) + 2
