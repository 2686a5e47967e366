"""Similar code: Jaccard similarity between the lines before the cursor and windows of
recently touched files (the "sliding window" retrieval of RepoCoder / CrossCodeEval)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]")

#: Window height and stride, in lines.
WINDOW_LINES = 12
STRIDE = 6


@dataclass(frozen=True, slots=True)
class Window:
    start: int  # 0-based first line
    end: int  # exclusive
    tokens: frozenset[str]


def token_set(text: str) -> frozenset[str]:
    return frozenset(_TOKEN.findall(text))


def windows_of(text: str, height: int = WINDOW_LINES, stride: int = STRIDE) -> list[Window]:
    lines = text.splitlines()
    out: list[Window] = []
    if not lines:
        return out
    last_start = max(0, len(lines) - height)
    starts = list(range(0, last_start + 1, stride))
    if starts[-1] != last_start:
        starts.append(last_start)
    for start in starts:
        end = min(len(lines), start + height)
        tokens = token_set("\n".join(lines[start:end]))
        if tokens:
            out.append(Window(start, end, tokens))
    return out


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)
