"""Incremental re-indexing of an open document after an edit.

An edit is found as the span between the common prefix and suffix of the old and new
text; the old tree is edited and reparsed (tree-sitter reuses everything untouched). Only
the smallest region that can hold changed definitions is queried again: the statement or
member containing the edit, directly inside a body (or the whole top-level item when the
edit touches a header). Definitions outside it are kept, those after it shifted.
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

import tree_sitter as ts

from .extract import DefRow, ImportRow, ImportSpan, def_row_from_tuple, extract_spans
from .languages import LanguageSpec, parse_bytes
from .model import Definition

#: Node types that hold a sequence of statements or members.
_BODY_TYPES = frozenset(
    (
        "block",
        "class_body",
        "declaration_list",
        "field_declaration_list",
        "statement_block",
        "compound_statement",
        "interface_body",
        "enum_body",
        "body_statement",
        "module",
        "program",
        "source_file",
        "translation_unit",
        "compilation_unit",
    )
)


#: Builds the Definition of a row (the caller knows the path).
MakeDef = Callable[[DefRow], Definition]


#: A definition of an open document: (start_byte, end_byte, row, definition), where the
#: Definition is what `make` built from the row: rows an edit does not touch keep theirs, so
#: an update costs little more than the edited region. A plain tuple, not a NamedTuple: an
#: edit rebuilds one per definition after it, and a NamedTuple's constructor is a Python
#: function (update_text took 40% longer).
DocDef: TypeAlias = tuple[int, int, DefRow, Definition]


@dataclass
class ParsedDoc:
    """A parsed open document: its text, tree, definitions and imports in byte order."""

    data: bytes
    tree: ts.Tree
    defs: list[DocDef]
    imports: list[ImportSpan]


def full(data: bytes, spec: LanguageSpec, make: MakeDef) -> ParsedDoc:
    tree = parse_bytes(data, spec)
    defs, imports = extract_spans(data, spec, tree)
    return ParsedDoc(data, tree, [(s, e, r, make(r)) for s, e, r in defs], imports)


def _common_prefix(a: bytes, b: bytes) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # largest p with a[:p] == b[:p]; slices compare in C
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: bytes, b: bytes, limit: int) -> int:
    lo, hi = 0, limit
    la, lb = len(a), len(b)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[la - mid : la - lo] == b[lb - mid : lb - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _point(data: bytes, offset: int) -> tuple[int, int]:
    row = data.count(b"\n", 0, offset)
    return row, offset - (data.rfind(b"\n", 0, offset) + 1)


def _cp_column(data: bytes, offset: int) -> int:
    line_start = data.rfind(b"\n", 0, offset) + 1
    return len(data[line_start:offset].decode("utf-8", "replace"))


def _region(root: ts.Node, lo: int, hi: int) -> tuple[int, int, ts.Node | None]:
    """Byte range of the innermost body member that contains [lo, hi], and the top-level
    node containing it when that member is not itself top-level."""
    # Walk down with a cursor: Node.parent costs O(depth) in tree-sitter, so walking up from
    # the innermost node was quadratic in the nesting depth.
    chain: list[ts.Node] = []
    cursor = root.walk()
    while cursor.goto_first_child_for_byte(lo) is not None:
        node = cursor.node
        if node is None or node.start_byte > lo or node.end_byte < hi:
            break
        chain.append(node)
    if not chain:
        return (root.start_byte, root.end_byte, None)
    chosen = chain[0]
    for i in range(len(chain) - 1):
        if chain[i].type in _BODY_TYPES:
            chosen = chain[i + 1]
    end = chosen.end_byte
    # a comment, decorator or attribute documents the item after it: include that item
    follower: ts.Node | None = chosen
    for _ in range(8):
        if follower is None or not _LEADING.search(follower.type):
            break
        follower = follower.next_named_sibling
        if follower is not None:
            end = follower.end_byte
    start = min(chosen.start_byte, lo)
    end = max(end, hi)
    top = chain[0]
    inside = top != chosen and top.start_byte <= start and end <= top.end_byte
    return (start, end, top if inside else None)


_LEADING = re.compile(r"comment|decorator|attribute|annotation")


def update(old: ParsedDoc, data: bytes, spec: LanguageSpec, make: MakeDef) -> ParsedDoc:
    """The document after replacing old.data with data (old.tree is edited in place)."""
    before = old.data
    start = _common_prefix(before, data)
    suffix = _common_suffix(before, data, min(len(before), len(data)) - start)
    old_end, new_end = len(before) - suffix, len(data) - suffix
    old_end_point = _point(before, old_end)
    new_end_point = _point(data, new_end)
    old_tree = old.tree
    old_tree.edit(
        start_byte=start,
        old_end_byte=old_end,
        new_end_byte=new_end,
        start_point=_point(before, start),
        old_end_point=old_end_point,
        new_end_point=new_end_point,
    )
    tree = parse_bytes(data, spec, old_tree)
    lo, hi = start, new_end
    for changed in old_tree.changed_ranges(tree):
        lo = min(lo, changed.start_byte)
        hi = max(hi, changed.end_byte)
    rlo, rhi, top = _region(tree.root_node, lo, hi)
    region = (rlo, rhi)
    new_defs, new_imports = extract_spans(data, spec, tree, region, top)

    delta = new_end - old_end
    old_lo, old_hi = region[0], region[1] - delta  # the region in old coordinates
    line_delta = new_end_point[0] - old_end_point[0]
    end_row = old_end_point[0]
    col_delta = _cp_column(data, new_end) - _cp_column(before, old_end)

    def shift(line: int, col: int) -> tuple[int, int]:
        if line == end_row:
            return line + line_delta, col + col_delta
        return line + line_delta, col

    moved = line_delta != 0 or col_delta != 0

    def shift_defs(items: list[DocDef]) -> list[DocDef]:
        if line_delta != 0:
            return [shift_def(item) for item in items]
        if not moved:  # only byte offsets moved
            return [(s + delta, e + delta, r, d) for s, e, r, d in items]
        return [shift_def(item) for item in items]

    def shift_def(item: DocDef) -> DocDef:
        s, e, row, definition = item
        if line_delta != 0 or end_row in (row.line, row.end_line, row.name_line):
            name, kind, line, col, end_line, end_col, container, sig, doc, name_line, name_col = row
            line, col = shift(line, col)
            end_line, end_col = shift(end_line, end_col)
            name_line, name_col = shift(name_line, name_col)
            new = def_row_from_tuple(
                (name, kind, line, col, end_line, end_col, container, sig, doc, name_line, name_col)
            )
            if new != row:
                return (s + delta, e + delta, new, make(new))
        return (s + delta, e + delta, row, definition)

    def shift_imports(items: list[ImportSpan]) -> list[ImportSpan]:
        if not moved:
            return [ImportSpan(s + delta, e + delta, r) for s, e, r in items]
        return [
            ImportSpan(
                s + delta, e + delta, ImportRow(r.module, r.names, r.aliases, r.line + line_delta)
            )
            for s, e, r in items
        ]

    # Some patterns are anchored at the root (`(module (expression_statement ...))`) and so
    # match everywhere: keep only what intersects the region, the complement of what is kept.
    fresh = [span for span in new_defs if span.end_byte > rlo and span.start_byte < rhi]
    new_imports = [sp for sp in new_imports if sp.end_byte > rlo and sp.start_byte < rhi]
    # Definitions enclosing the region must be the same before and after (same start, same
    # name, end moved by the edit); otherwise nesting outside the region changed (an
    # unterminated string swallowing the rest of the file...) and only a full pass is right.
    tail = bisect.bisect_left(old.defs, old_hi, key=_START)
    enclosing_old = {
        (s, e + delta, r.name, r.kind)
        for s, e, r, _definition in old.defs[:tail]
        if e > old_lo and (s < old_lo or e > old_hi)
    }
    enclosing_new = {(s, e, r.name, r.kind) for s, e, r in fresh if s < rlo or e > rhi}
    if enclosing_old != enclosing_new:
        defs_all, imports_all = extract_spans(data, spec, tree)
        return ParsedDoc(data, tree, [(s, e, r, make(r)) for s, e, r in defs_all], imports_all)
    fresh_defs = [(s, e, r, make(r)) for s, e, r in fresh]
    defs = _merge(old.defs, fresh_defs, old_lo, old_hi, shift_defs)
    if any(row.kind == "field" for _s, _e, row, _d in fresh_defs):
        defs = _dedupe_fields(defs)
    imports = _merge(old.imports, new_imports, old_lo, old_hi, shift_imports)
    return ParsedDoc(data, tree, defs, imports)


_Span = TypeVar("_Span", DocDef, ImportSpan)


def _span_key(span: DocDef | ImportSpan) -> tuple[int, int]:
    return (span[0], -span[1])  # (start_byte, -end_byte)


def _merge(
    old_spans: list[_Span],
    new_spans: list[_Span],
    old_lo: int,
    old_hi: int,
    shift: Callable[[list[_Span]], list[_Span]],
) -> list[_Span]:
    """Old spans outside the re-extracted region (shifted when after it) plus the new ones.

    Old spans are kept when they end before the region or start after it; new spans (already
    filtered) are those that intersect it: together, every definition exactly once.
    `shift` moves the spans after the region by the edit."""
    split = bisect.bisect_left(old_spans, old_lo, key=_START)
    merged = [sp for sp in old_spans[:split] if sp[1] <= old_lo]  # sp[1]: end_byte
    tail = bisect.bisect_left(old_spans, old_hi, lo=split, key=_START)
    merged.extend(shift(old_spans[tail:]))
    for span in new_spans:  # few: insert in order
        bisect.insort(merged, span, key=_span_key)
    return merged


_START: Callable[[DocDef | ImportSpan], int] = operator.itemgetter(0)


def _dedupe_fields(defs: list[DocDef]) -> list[DocDef]:
    """`self.x` assigned in several methods is one field: keep the first, as a full pass does."""
    seen: set[tuple[str | None, str]] = set()
    out: list[DocDef] = []
    for span in defs:
        row = span[2]
        if row.kind == "field":
            key = (row.container, row.name)
            if key in seen:
                continue
            seen.add(key)
        out.append(span)
    return out
