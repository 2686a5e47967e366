"""The refactor actions: what each one is called, its code-action kind, and what it asks for.

Kinds are plain strings: lsprotocol's `CodeActionKind(...)` rejects custom kinds, and clients
filter with `only` by prefix ("refactor" matches "refactor.rewrite.mistral").
"""

from __future__ import annotations

from dataclasses import dataclass

KIND_REWRITE = "refactor.rewrite.mistral"
KIND_QUICKFIX = "quickfix.mistral"
KIND_SOURCE = "source.mistral"

REFACTOR = "refactor"
DOCSTRING = "docstring"
TYPES = "types"
SIMPLIFY = "simplify"
FIX = "fix"
EXPLAIN = "explain"
TESTS = "tests"


@dataclass(frozen=True)
class ActionSpec:
    """One action. `edits_code`: its answer replaces the target range (validated, diffed)."""

    id: str
    title: str
    kind: str
    task: str
    edits_code: bool = True
    needs_instruction: bool = False


ACTIONS: dict[str, ActionSpec] = {
    spec.id: spec
    for spec in (
        ActionSpec(
            REFACTOR,
            "Mistral: Refactor selection…",
            KIND_REWRITE,
            "Rewrite the selected code following this instruction: {instruction}",
            needs_instruction=True,
        ),
        ActionSpec(
            DOCSTRING,
            "Mistral: Add docstring",
            KIND_REWRITE,
            "Add a concise docstring (or the language's documentation comment) to the "
            "function or class in the selection. Change nothing else.",
        ),
        ActionSpec(
            TYPES,
            "Mistral: Add type annotations",
            KIND_REWRITE,
            "Add type annotations to the selected code where the language allows them, "
            "without changing its behaviour. Change nothing else.",
        ),
        ActionSpec(
            SIMPLIFY,
            "Mistral: Simplify",
            KIND_REWRITE,
            "Simplify the selected code: same behaviour, fewer moving parts, clearer names "
            "only where they are unclear.",
        ),
        ActionSpec(
            FIX,
            "Mistral: Fix",
            KIND_QUICKFIX,
            "Fix the problem reported for the selected code:\n{diagnostics}\n"
            "Change as little as possible.",
        ),
        ActionSpec(
            EXPLAIN,
            "Mistral: Explain",
            KIND_SOURCE,
            "Explain what the selected code does, for a colleague reading it for the first "
            "time: purpose, inputs and outputs, notable edge cases. Answer in Markdown.",
            edits_code=False,
        ),
        ActionSpec(
            TESTS,
            "Mistral: Generate tests",
            KIND_SOURCE,
            "Write unit tests for the selected code.",
            edits_code=False,
        ),
    )
}


def kind_matches(kind: str, only: list[str] | None) -> bool:
    """LSP `only` filtering: a kind matches a filter equal to it or to a dotted prefix of it."""
    if not only:
        return True
    return any(kind == want or kind.startswith(want + ".") or want == "" for want in only)
