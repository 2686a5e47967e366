"""The candidate definitions for one cursor: the order in which the evidence around it (the
enclosing class and function, inferred receiver types, the receiver at the cursor, the
names used nearby and in the whole file) is handed to the `Gatherer`."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from lsp_server.index.model import Definition

from .gather import Gathered, Gatherer
from .names import (
    attribute_aliases,
    call_assignments,
    local_names,
    names_near,
    parameter_types,
    receiver_types,
    scan_line,
    with_targets,
)
from .relevance import LineWords
from .view import IndexView

FILE_SCAN_LINES = 300  # names counted this far above the cursor
W_FUNCTION_WORDS = 0.5  # the enclosing function's name, as a hint of what the line calls
RECENT_LINES = 60  # local variables and their types read this far above the cursor

_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_SELF_FROM_NAME = re.compile(r"^self\.(\w+)\s*=\s*(\w+)\s*$")
_RECEIVER_AT_CURSOR = re.compile(r"([A-Za-z_$][\w$]*)\s*(?:\?\.|\.|->|::)\s*([\w$]*)$")


@dataclass
class CursorCandidates:
    gathered: Gathered
    hot: frozenset[str]  # names a cut class skeleton shows first


def candidates_for_cursor(
    view: IndexView, rel: str, lang: str, lines: list[str], after: list[str], first: int
) -> CursorCandidates:
    """`lines`: the file up to the cursor (the last one cut at it); `after`: the rest;
    `first`: the first line of the prefix that is sent."""
    gatherer = Gatherer(view, rel, lang)
    cursor_line = len(lines) - 1
    cls, func = gatherer.enclosing(cursor_line, lines)
    bases = gatherer.add_bases(cls) if cls is not None else []
    recent_lines = lines[-RECENT_LINES:]
    signature = func.signature if func is not None else ""
    gatherer.receiver_types = receiver_types(signature, recent_lines, lang)
    calls = call_assignments(recent_lines)
    uses = names_near(lines, after)
    cursor_receiver = _RECEIVER_AT_CURSOR.search(lines[-1])
    if cls is not None:
        # attributes the class and its bases assign (`self.x: T = ...`, `self.x = make()`,
        # `self.x = x` with `x: T` a parameter of the method), far above or in other files;
        # only those used as receivers near the cursor (a widget class has hundreds)
        wanted = {r for use in uses.values() for r in use.receivers}
        aliases = attribute_aliases(recent_lines)
        wanted |= set(aliases.values())
        if cursor_receiver is not None:
            wanted.add(cursor_receiver.group(1))
        types = gatherer.receiver_types
        for name, type_name in attribute_types(view, [cls, *bases], lang, wanted).items():
            types.setdefault(name, type_name)
        for local, attribute in aliases.items():
            if attribute in types:
                types.setdefault(local, types[attribute])
        fields = [d.signature for d in class_fields(view, cls, wanted)]
        for name, function in call_assignments(fields).items():
            calls.setdefault(name, function)
    gatherer.add_call_types(calls)
    if lang == "python":
        gatherer.add_call_types(with_targets(recent_lines), entered=True)
    gatherer.line_words = LineWords(lines)
    if func is not None:
        gatherer.line_words.add(func.name, W_FUNCTION_WORDS)
    gatherer.local_names = local_names(signature, recent_lines)
    scan_start = max(0, cursor_line - FILE_SCAN_LINES)
    counts = word_counts(lines[scan_start:cursor_line])
    if cursor_receiver is not None:
        # `recv.` or `recv.na|`: what `recv` offers is what the completion needs
        receiver, partial = cursor_receiver.group(1), cursor_receiver.group(2)
        # what the whole file calls on this receiver, above and below the cursor (a big
        # class's skeleton shows those first; the uses may be far from the cursor)
        used = member_uses(lines[:cursor_line] + after, receiver)
        gatherer.add_receiver(receiver, partial, cls, counts, used)
    gatherer.add_typed_receivers(uses)
    if func is not None and func.line < cursor_line - 40:
        # the enclosing function's parameters and annotations, even if far above
        scan_line(func.signature.replace("\n", " "), 0.8, uses, receiver_ok=False)
    gatherer.add_names(uses, counts, first, scan_start)
    if cls is not None and cls.line < first:
        # the class around the cursor starts above the kept prefix: show its outline
        gatherer.out.add(cls, 1.5, "local")
    # names a cut class skeleton shows first: those used here and the members gathered
    # for the cursor (a skeleton covers its member pieces, so it must show them)
    # (after `recv.` / `recv.pa|`, only the receiver's members that fit: a cut skeleton of
    # the receiver's class must not spend its few lines on other names used in the file)
    if gatherer.cursor_members:
        hot = frozenset(gatherer.cursor_members)
    else:
        members = (
            c.definition.name for c in gatherer.out.candidates.values() if c.role == "member"
        )
        hot = frozenset(counts) | frozenset(uses) | frozenset(members)
    return CursorCandidates(gatherer.out, hot)


_FIELD_KINDS = ("field", "property", "variable")


def class_fields(view: IndexView, cls: Definition, names: set[str]) -> list[Definition]:
    """The attributes named `names` that a class defines or assigns (`x: int = 0`,
    `self.x = ...`): from the edited file's definitions, or looked up by name for a class
    of another file (reading a big base's whole file costs more)."""
    if cls.path == view.current:
        found = view.file_definitions(cls.path)
    else:
        found = [d for name in sorted(names) for d in view.definitions(name)]
    return [
        d
        for d in found
        if d.container == cls.name
        and d.path == cls.path
        and d.kind in _FIELD_KINDS
        and d.name in names
    ]


def attribute_types(
    view: IndexView, classes: list[Definition], lang: str, wanted: set[str]
) -> dict[str, str]:
    """Attribute -> class name for the `wanted` attributes of `classes` (the first class
    wins): from their annotations, `self.x = Foo(...)`, and `self.x = param` where the
    method that assigns it annotates `param` (`def __init__(self, stream: IOStream)`)."""
    types: dict[str, str] = {}
    for cls in classes:
        fields = class_fields(view, cls, wanted - types.keys())
        if not fields:
            continue
        found = receiver_types("", [d.signature for d in fields], lang)
        if lang == "python" and any(_SELF_FROM_NAME.match(d.signature) for d in fields):
            found.update(_types_from_parameters(view, cls, fields))
        for name, type_name in found.items():
            types.setdefault(name, type_name)
    return types


def _types_from_parameters(
    view: IndexView, cls: Definition, fields: list[Definition]
) -> dict[str, str]:
    methods = [
        d for d in view.file_definitions(cls.path) if d.container == cls.name and d.kind == "method"
    ]
    types: dict[str, str] = {}
    for field in fields:
        assigned = _SELF_FROM_NAME.match(field.signature)
        if assigned is None:
            continue
        for method in methods:
            if method.line <= field.line <= method.end_line:
                type_name = parameter_types(method.signature).get(assigned.group(2))
                if type_name is not None:
                    types.setdefault(assigned.group(1), type_name)
                break
    return types


def member_uses(lines: list[str], receiver: str) -> dict[str, int]:
    """How often the lines call each name on `receiver.` (`stream.write(` twice: 2)."""
    pattern = re.compile(rf"(?<![\w$]){re.escape(receiver)}\s*\.\s*([A-Za-z_$][\w$]*)\s*\(")
    return Counter(pattern.findall("\n".join(lines)))


def word_counts(lines: list[str]) -> dict[str, int]:
    """How often each identifier occurs in the lines (one regex pass, no weighting)."""
    return Counter(_WORD.findall("\n".join(lines)))
