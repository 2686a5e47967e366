"""What the context assembly hands to the completion and refactor features."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Snippet:
    """One piece of repository text shown to the model, before the file's own prefix.

    `text` is the body without its path header; the header (`# path: pkg/util.py`) is added
    when the prompt is rendered, once per run of snippets from the same file.
    """

    path: str
    text: str
    kind: str  # "definition" | "skeleton" | "similar"
    score: float


@dataclass(frozen=True)
class CompletionContext:
    """A fill-in-the-middle request's text: snippets + the file's prefix, and the suffix."""

    prefix: str
    suffix: str
    sources: list[str]
    snippets: list[Snippet]
    tokens: int


@dataclass(frozen=True)
class RangeContext:
    """What a refactor of a selection needs: the selection, its scope, and what it uses."""

    path: str | None
    language_id: str | None
    selection: str
    scope: str  # text of the enclosing function/class (or lines around the selection)
    scope_start_line: int  # 0-based line of the first line of `scope`
    snippets: list[Snippet] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    tokens: int = 0

    def snippets_text(self, line_comment: str = "#") -> str:
        """The snippets rendered with their path headers, for a chat prompt."""
        from .render import render_snippets

        return render_snippets(self.snippets, line_comment)
