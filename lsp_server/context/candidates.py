"""The candidate definitions for one cursor: the order in which the evidence around it (the
enclosing class and function, inferred receiver types, the receiver at the cursor, the
names used nearby and in the whole file) is handed to the `Gatherer`."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .gather import Gathered, Gatherer
from .names import call_assignments, local_names, names_near, receiver_types, scan_line
from .relevance import LineWords
from .view import IndexView

FILE_SCAN_LINES = 300  # names counted this far above the cursor
RECENT_LINES = 60  # local variables and their types read this far above the cursor

_WORD = re.compile(r"[A-Za-z_$][\w$]*")
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
    if cls is not None:
        gatherer.add_bases(cls)
    recent_lines = lines[-RECENT_LINES:]
    signature = func.signature if func is not None else ""
    gatherer.receiver_types = receiver_types(signature, recent_lines, lang)
    calls = call_assignments(recent_lines)
    if cls is not None:
        # attributes the class assigns (`self.x: T = ...`, `self.x = make()`), far above
        fields = [
            d.signature
            for d in view.file_definitions(rel)
            if d.container == cls.name and d.kind in ("field", "property", "variable")
        ]
        for name, type_name in receiver_types("", fields, lang).items():
            gatherer.receiver_types.setdefault(name, type_name)
        for name, function in call_assignments(fields).items():
            calls.setdefault(name, function)
    gatherer.add_call_types(calls)
    gatherer.line_words = LineWords(lines)
    gatherer.local_names = local_names(signature, recent_lines)
    scan_start = max(0, cursor_line - FILE_SCAN_LINES)
    counts = word_counts(lines[scan_start:cursor_line])
    cursor_receiver = _RECEIVER_AT_CURSOR.search(lines[-1])
    if cursor_receiver is not None:
        # `recv.` or `recv.na|`: what `recv` offers is what the completion needs
        receiver, partial = cursor_receiver.group(1), cursor_receiver.group(2)
        gatherer.add_receiver(receiver, partial, cls, counts)
    uses = names_near(lines, after)
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
    members = (c.definition.name for c in gatherer.out.candidates.values() if c.role == "member")
    hot = frozenset(counts) | frozenset(uses) | frozenset(members)
    return CursorCandidates(gatherer.out, hot)


def word_counts(lines: list[str]) -> dict[str, int]:
    """How often each identifier occurs in the lines (one regex pass, no weighting)."""
    return Counter(_WORD.findall("\n".join(lines)))
