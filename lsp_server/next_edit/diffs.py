"""Unified diffs of the recent steps, the form models have seen most edits in."""

from __future__ import annotations

import difflib

from lsp_server.next_edit.history import Step


def step_diff(step: Step, path: str) -> str:
    """One step as a unified diff hunk with real line numbers (no file headers)."""
    before = step.before.split("\n")
    after = step.after.split("\n")
    lines = list(difflib.unified_diff(before, after, lineterm="", n=1))[2:]
    out: list[str] = []
    for line in lines:
        if line.startswith("@@"):
            out.append(_shift(line, step.line))
        else:
            out.append(line)
    return "\n".join(out)


def _shift(header: str, by: int) -> str:
    """`@@ -1,2 +1,3 @@` moved down by `by` lines."""
    parts = header.split(" ")
    for i in (1, 2):
        sign, numbers = parts[i][0], parts[i][1:]
        first, _, count = numbers.partition(",")
        start = int(first) + by
        parts[i] = f"{sign}{start}" + (f",{count}" if count else "")
    return " ".join(parts)


def history_diff(steps: list[Step], path: str) -> str:
    """All steps, oldest first, as one diff of `path`; steps too large to show are named."""
    chunks = [f"--- a/{path}\n+++ b/{path}"]
    for step in steps:
        if not step.change.removed and not step.change.inserted:
            chunks.append(f"@@ a large edit near line {step.line + 1} (not shown) @@")
        else:
            chunks.append(step_diff(step, path))
    return "\n".join(chunks)
