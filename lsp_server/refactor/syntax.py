"""Tree-sitter checks for refactors: did an answer break the syntax, and what is the
function or class around a cursor."""

from __future__ import annotations

import re

import tree_sitter as ts

from lsp_server.index.languages import ParseTimeout, error_summary, language_by_id, parse

DEFINITION = re.compile(
    r"^(decorated_definition|method|singleton_method|class|module|"
    r"(function|method|class|struct|impl|interface|enum|trait|constructor|type|record|"
    r"namespace|mod)_(definition|declaration|item|specifier))$"
)
_WRAPPERS = {"decorated_definition", "export_statement", "template_declaration"}


def _count_errors(node: ts.Node) -> int:
    if not node.has_error and not node.is_missing:
        return 0
    if node.is_error or node.is_missing:
        return 1
    return sum(_count_errors(child) for child in node.children)


def error_count(text: str, language_id: str) -> int | None:
    """ERROR/MISSING nodes in the text; None when the language has no grammar here."""
    spec = language_by_id(language_id)
    if spec is None:
        return None
    try:
        return _count_errors(parse(text, spec).root_node)
    except ParseTimeout:
        return None


def introduced_errors(before: str, after: str, language_id: str) -> list[str]:
    """Syntax errors `after` has that `before` did not (empty: the answer is acceptable).

    Documents can be broken already while being edited; an answer is refused only when it
    makes things worse, judged by the number of error nodes in the whole file.
    """
    new = error_count(after, language_id)
    if not new:
        return []
    old = error_count(before, language_id) or 0
    if new <= old:
        return []
    return error_summary(after, language_id)


def _byte_to_char(data: bytes, offset: int) -> int:
    return len(data[:offset].decode("utf-8", "surrogatepass"))


def enclosing_definition(
    text: str, language_id: str, start: int, end: int
) -> tuple[int, int] | None:
    """Offsets of the innermost function/class containing [start, end], as whole lines."""
    spec = language_by_id(language_id)
    if spec is None:
        return None
    data = text.encode("utf-8", "surrogatepass")
    try:
        tree = parse(text, spec)
    except ParseTimeout:
        return None
    b_start = len(text[:start].encode("utf-8", "surrogatepass"))
    b_end = len(text[:end].encode("utf-8", "surrogatepass"))
    node: ts.Node | None = tree.root_node.descendant_for_byte_range(b_start, max(b_start, b_end))
    while node is not None and not DEFINITION.match(node.type):
        node = node.parent
    if node is None:
        return None
    while node.parent is not None and node.parent.type in _WRAPPERS:
        node = node.parent
    return full_lines(
        text, _byte_to_char(data, node.start_byte), _byte_to_char(data, node.end_byte)
    )


def full_lines(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end] to whole lines, the last line's break included."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    if end > start and text[end - 1 : end] in ("\n", "\r"):
        return line_start, end
    match = re.compile(r"\r\n|\r|\n").search(text, end)
    return line_start, match.end() if match else len(text)
