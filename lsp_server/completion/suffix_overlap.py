"""Ghost text that does not repeat what the editor already put after the cursor.

Editors auto-close brackets and quotes: typing `def clear(` leaves `)` after the cursor.
Fill-in-the-middle models often write the closer again (`self):`), and inserted as is the
line becomes `def clear(self):)`. An inline completion is inserted at the cursor, so the
fix is to cut the completion where it starts repeating the text after the cursor, at the
cut that leaves the line's brackets and quotes best balanced (never worse than inserting
the completion whole).
"""

from __future__ import annotations

import re

_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_WORD = re.compile(r"\w")


def imbalance(text: str) -> int:
    """Unmatched or mismatched brackets plus an unclosed string, outside strings and comments.

    Rough on purpose, and language-agnostic: candidates are only ever compared with each other
    over the same line, so what it gets wrong it gets wrong for all of them alike.
    """
    stack: list[str] = []
    bad = 0
    quote = ""
    index = 0
    while index < len(text):
        ch = text[index]
        if quote:
            if ch == "\\":
                index += 2
                continue
            if ch == quote or (ch == "\n" and quote != "`"):
                quote = ""
        elif ch in '"`' or (ch == "'" and _opens_char_quote(text, index)):
            quote = ch
        elif text.startswith("//", index) or (ch == "#" and text[index + 1 : index + 2] in " \n"):
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
            continue
        elif ch in _OPENERS:
            stack.append(ch)
        elif ch in _CLOSERS:
            if stack and stack[-1] == _CLOSERS[ch]:
                stack.pop()
            else:
                bad += 1
        index += 1
    return bad + len(stack) + (1 if quote else 0)


def _opens_char_quote(text: str, index: int) -> bool:
    """A `'` after a word character is an apostrophe or a lifetime, not a quote."""
    before = text[index - 1] if index else " "
    return not (_WORD.match(before) or before in "&<")


def fit_to_suffix(line_prefix: str, completion: str, suffix: str) -> str:
    """The completion to insert at the cursor, given the line's text before and after it.

    Candidates are the completion whole and every cut just before a piece of it that repeats
    the start of `suffix` (`self):` cut to `self`). A cut that loses nothing wins when it is
    no worse balanced; one that loses what followed the piece only when it is strictly better
    balanced, the least loss first (punctuation before code).
    """
    rest = suffix.rstrip()
    if not rest.strip() or not completion:
        return completion
    newline = completion.rfind("\n") + 1
    head, tail = completion[:newline], completion[newline:]
    whole = imbalance(line_prefix + completion + rest)
    best: tuple[int, int, int, int] = (whole, 0, 1, 0)
    chosen = completion
    for size in range(len(rest), 0, -1):
        piece = rest[:size]
        if not piece.strip():
            continue
        at = tail.find(piece)
        while at >= 0:
            dropped = tail[at + size :]
            kept = head + tail[:at]
            bad = imbalance(line_prefix + kept + rest)
            loss = len(dropped.strip()) + (100 if _WORD.search(dropped) else 0)
            acceptable = bad < whole or (loss == 0 and bad <= whole)
            key = (bad, loss, 0, -size)
            if acceptable and key < best:
                best, chosen = key, kept
            at = tail.find(piece, at + 1)
    return chosen
