"""Cutting the text around the cursor to a token budget at line boundaries."""

from __future__ import annotations

from .tokens import count_tokens

_CHARS_PER_TOKEN = 3  # only for the rare single line longer than the whole budget


def cut_prefix(
    lines: list[str],
    budget: int,
    start: int | None = None,
    kept: tuple[int, int] | None = None,
) -> tuple[int, int]:
    """Keep the last lines of `lines` (the last one is the partial cursor line) within
    `budget` tokens. Returns (index of the first kept line, tokens used).

    Lines are joined with "\\n"; each kept line but the last costs its text plus newline.
    The cursor line is always kept (cut from the left if it alone exceeds the budget).
    `kept`: what an earlier cut of the same lines returned, to go on from (given more room,
    a cut from scratch would count the same lines up to the same point again).
    """
    n = len(lines)
    if kept is not None:
        first, used = kept
    else:
        used = count_tokens(lines[-1]) if n else 0
        first = n - 1
    stop = 0 if start is None else start
    while first > stop:
        cost = count_tokens(lines[first - 1] + "\n")
        if used + cost > budget:
            break
        used += cost
        first -= 1
    return first, used


def cut_suffix(
    lines: list[str], budget: int, kept_before: tuple[int, int] | None = None
) -> tuple[int, int]:
    """Keep the first lines of `lines` (the first is the rest of the cursor line) within
    `budget` tokens. Returns (number of kept lines, tokens used). `kept_before`: what an
    earlier cut of the same lines returned (at least one line kept), to go on from."""
    if not lines:
        return 0, 0
    if kept_before is not None and kept_before[0] > 0:
        kept, used = kept_before
    else:
        used = count_tokens(lines[0])
        if used > budget:
            return 0, 0
        kept = 1
    while kept < len(lines):
        cost = count_tokens("\n" + lines[kept])
        if used + cost > budget:
            break
        used += cost
        kept += 1
    return kept, used


def clip_line_left(line: str, budget: int) -> str:
    """A single over-long cursor line, cut from the left to roughly `budget` tokens."""
    if count_tokens(line) <= budget:
        return line
    keep = max(0, budget * _CHARS_PER_TOKEN)
    clipped = line[-keep:] if keep else ""
    while clipped and count_tokens(clipped) > budget:
        clipped = clipped[len(clipped) // 4 or 1 :]
    return clipped
