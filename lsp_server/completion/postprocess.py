"""Turning a model's raw fill-in-the-middle text into ghost text worth showing.

Each rule removes a failure users notice: control tokens, text the suffix already has,
a repeat of the neighbouring line, stray closing brackets, blocks that run past their end.
"""

from __future__ import annotations

import re

from lsp_server.completion.decide import Shape, block_finished, line_bounds
from lsp_server.completion.suffix_overlap import fit_to_suffix

_CONTROL_TOKENS = re.compile(
    r"\[(?:PREFIX|SUFFIX|MIDDLE)\]|</?s>|<\|?fim_(?:prefix|suffix|middle|pad)\|?>|<\|endoftext\|>"
)
_PAIRS = {")": "(", "]": "[", "}": "{"}


def clean(raw: str, text: str, offset: int, shape: Shape) -> str | None:
    """The completion to insert at `offset`, or None when nothing useful is left."""
    completion = _CONTROL_TOKENS.sub("", raw).replace("\r\n", "\n")
    line_start, line_end = line_bounds(text, offset)
    rest_of_line = text[offset:line_end].rstrip("\r")
    if not shape.multiline:
        completion = completion.split("\n", 1)[0]
    else:
        completion = _cut_block(completion, shape.indent)
    completion = completion.rstrip()
    completion = _drop_repeated_lines(completion, text[line_end + 1 :])
    completion = fit_to_suffix(text[line_start:offset], completion, rest_of_line)
    completion = _balance_closers(text[line_start:offset], completion, rest_of_line)
    if not completion.strip():
        return None
    current_line = text[line_start:offset] + completion.split("\n", 1)[0]
    if _repeats_neighbour(current_line, text, line_start, line_end):
        return None
    return completion


def _cut_block(completion: str, indent: str) -> str:
    lines = completion.split("\n")
    if not block_finished(completion + "\n", indent):
        return completion
    kept = [lines[0]]
    for line in lines[1:]:
        if line.strip() and len(line) - len(line.lstrip()) < len(indent.expandtabs(4)):
            break
        kept.append(line)
    return "\n".join(kept)


def _drop_repeated_lines(completion: str, following: str) -> str:
    """Remove last lines of a block completion that the next lines of the file already are."""
    lines = completion.split("\n")
    next_lines = following.split("\n")[:8]
    while len(lines) > 1 and next_lines and lines[-1].strip():
        if lines[-1].strip() == next_lines[0].strip():
            lines.pop()
            continue
        break
    return "\n".join(lines)


def _balance_closers(line_prefix: str, completion: str, rest_of_line: str) -> str:
    """Cut at the first closing bracket that nothing opened (the suffix already closes it)."""
    stack: list[str] = []
    for ch in _code_chars(line_prefix):
        if ch in "([{":
            stack.append(ch)
        elif ch in _PAIRS and stack and stack[-1] == _PAIRS[ch]:
            stack.pop()
    closers_after = [ch for ch in rest_of_line if ch in _PAIRS]
    for index, ch in enumerate(completion):
        if ch in "([{":
            stack.append(ch)
        elif ch in _PAIRS:
            if stack and stack[-1] == _PAIRS[ch]:
                stack.pop()
            elif not stack or closers_after:
                return completion[:index].rstrip() if "\n" not in completion else completion
    return completion


def _code_chars(line: str) -> str:
    """The line without string literals, roughly: brackets inside quotes do not count."""
    return re.sub(r"'[^']*'|\"[^\"]*\"", "", line)


def _repeats_neighbour(current_line: str, text: str, line_start: int, line_end: int) -> bool:
    probe = current_line.strip()
    if len(probe) < 4:
        return False
    previous_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1
    previous = text[previous_start : max(line_start - 1, 0)].strip() if line_start else ""
    next_end = text.find("\n", line_end + 1)
    following = text[line_end + 1 : next_end if next_end >= 0 else len(text)].strip()
    return probe in (previous, following)
