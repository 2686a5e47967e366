"""The chat prompt of a next-edit prediction: recent edits, context, the window to rewrite."""

from __future__ import annotations

from dataclasses import dataclass

CURSOR = "<|cursor|>"

SYSTEM = (
    "You predict the next edit a programmer will make. You are shown their recent edits as "
    "unified diffs, code from the repository for reference, and a window of the file they are "
    "editing with the cursor marked " + CURSOR + ". Edits usually follow from the last one: a "
    "renamed name used elsewhere, a changed signature whose call sites must follow, a branch "
    "whose mirror needs the same change, a new field missing from the constructor or repr, a "
    "name used before it is imported. Answer with the whole window rewritten with that next "
    "edit applied, in one fenced code block, without the cursor marker and without any other "
    "change. Never undo the recent edits. If no edit follows, answer with the window unchanged."
)


@dataclass(frozen=True)
class PromptParts:
    path: str
    language_id: str
    history: str  # unified diffs, oldest first
    context: str  # rendered repository snippets (may be empty)
    window: str  # the window with the cursor marker inserted
    first_line: int  # 1-based line number of the window's first line


def build_messages(parts: PromptParts) -> list[dict[str, str]]:
    sections = []
    if parts.context.strip():
        sections.append(f"Code from the repository, for reference:\n\n{parts.context.rstrip()}")
    sections.append(f"My recent edits to {parts.path}:\n\n```diff\n{parts.history}\n```")
    sections.append(
        f"The window of {parts.path} to rewrite (from line {parts.first_line}):\n\n"
        f"```{parts.language_id}\n{parts.window}\n```"
    )
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "\n\n".join(sections)},
    ]
