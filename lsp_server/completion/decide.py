"""Whether to ask for a completion at all, and whether one line or a block.

Asked on every keystroke, so it looks at the current and neighbouring lines, and at the
open document's syntax tree (kept up to date by the index, never parsed here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter as ts

# What may stand after the cursor for an automatic completion: closers and whitespace.
_CLOSERS_ONLY = re.compile(r"""^[\s)\]}>"'`;,:]*$""")
_BLOCK_OPENER = re.compile(r"""(:|\{|\(|\[|=>|->|\bdo|\bthen|\belse)\s*(#.*|//.*)?$""")
# Node types that hold statements, across the grammars we ship.
_BLOCK_NODE = re.compile(r"block|body|suite|compound_statement|declaration_list|statement_list")


@dataclass(frozen=True)
class Shape:
    """What kind of completion to ask for, and how to recognise its end."""

    multiline: bool
    indent: str  # indentation of the line the completion starts on
    stop: list[str] = field(default_factory=list)


def line_bounds(text: str, offset: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return start, len(text) if end < 0 else end


def worth_asking(text: str, offset: int, invoked: bool) -> bool:
    """Automatic completions only where the rest of the line is closers or whitespace."""
    if invoked:
        return True
    _, line_end = line_bounds(text, offset)
    return bool(_CLOSERS_ONLY.match(text[offset:line_end].rstrip("\r")))


def _previous_code_line(text: str, line_start: int) -> str:
    end = line_start - 1
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end].rstrip("\r")
        if line.strip():
            return line
        end = start - 1
    return ""


def inside_block(tree: ts.Tree, data: bytes, text: str, offset: int) -> bool:
    """Whether the cursor sits inside a node that holds statements (a body, a block)."""
    byte = len(text[:offset].encode("utf-8", "surrogatepass"))
    if byte > len(data):
        return False
    node: ts.Node | None = tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None:
        if _BLOCK_NODE.search(node.type) and node.start_byte < byte < node.end_byte:
            return True
        node = node.parent
    return False


def shape_at(
    text: str,
    offset: int,
    setting: str = "auto",
    tree: tuple[ts.Tree, bytes] | None = None,
) -> Shape:
    """Single line mid-line; a block on an empty line inside or right after a block opener."""
    line_start, _ = line_bounds(text, offset)
    before = text[line_start:offset]
    indent = before[: len(before) - len(before.lstrip())]
    if setting == "never":
        multiline = False
    elif setting == "always":
        multiline = True
    else:
        previous = _previous_code_line(text, line_start)
        on_empty_line = not before.strip()
        opens_block = bool(_BLOCK_OPENER.search(previous.rstrip()))
        in_block = bool(indent) or (
            tree is not None and on_empty_line and inside_block(tree[0], tree[1], text, offset)
        )
        multiline = on_empty_line and (opens_block or in_block)
    stop = ["\n\n\n"] if multiline else ["\n"]
    return Shape(multiline=multiline, indent=indent, stop=stop)


def block_finished(completion: str, indent: str) -> bool:
    """True once the streamed text has a complete line that leaves the block."""
    lines = completion.split("\n")[1:-1]  # the last line may still be growing
    return any(line.strip() and _indent_width(line) < _indent_width(indent) for line in lines)


def _indent_width(line: str) -> int:
    stripped = line[: len(line) - len(line.lstrip())]
    return len(stripped.expandtabs(4))
