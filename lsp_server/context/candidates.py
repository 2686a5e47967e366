"""The candidate definitions for one cursor: the order in which the evidence around it (the
enclosing class and function, inferred receiver types, the receiver at the cursor, the
names used nearby and in the whole file) is handed to the `Gatherer`."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from lsp_server.index.model import MEMBER_PART_KINDS, NOT_MEMBERS

from .gather import Gathered, Gatherer
from .names import (
    attribute_aliases,
    call_assignments,
    local_names,
    names_near,
    receiver_types,
    scan_line,
    with_targets,
)
from .receivers import (
    attribute_types,
    chain_at_cursor,
    chain_type,
    class_fields,
    docstring_types,
)
from .relevance import LineWords
from .testfiles import is_test_definition
from .view import IndexView

FILE_SCAN_LINES = 300  # names counted this far above the cursor
W_FUNCTION_WORDS = 0.5  # the enclosing function's name, as a hint of what the line calls
COMMENT_LINES = 3  # a comment this close above the cursor says what the code does next
W_COMMENT_WORDS = 0.75  # its words, as a hint of what the cursor line calls
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
    if func is not None and not gatherer.tests and is_test_definition(func):
        gatherer.tests = gatherer.out.tests = True  # in a Rust `mod tests`: tests are context
    bases = gatherer.add_bases(cls) if cls is not None else []
    recent_lines = lines[-RECENT_LINES:]
    signature = func.signature if func is not None else ""
    gatherer.receiver_types = receiver_types(signature, recent_lines, lang)
    if lang == "python" and func is not None and func.path == rel:
        for name, type_name in docstring_types(signature, lines[func.line :]).items():
            gatherer.receiver_types.setdefault(name, type_name)
    calls = call_assignments(recent_lines)
    uses = names_near(lines, after)
    cursor_receiver = _RECEIVER_AT_CURSOR.search(lines[-1])
    if cursor_receiver is not None:
        _type_from_far_above(gatherer, cursor_receiver.group(1), lines[:-RECENT_LINES], calls)
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
        # `self.stream.io_loop.` / `rhs.head.`: the class the last attribute holds, followed
        # link by link (its name alone may guess another class, or none)
        chain = chain_at_cursor(lines[-1]) if cursor_receiver is not None else []
        found = chain_type(gatherer, chain, [cls, *bases] if cls else []) if chain else None
        if found is not None:
            gatherer.receiver_types[chain[-1]] = found
    gatherer.line_words = LineWords(lines)
    if func is not None:
        gatherer.line_words.add(func.name, W_FUNCTION_WORDS)
    for name in comment_words(lines):
        gatherer.line_words.add(name, W_COMMENT_WORDS)
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
    _prefetch_containers(view, gatherer.out)
    if gatherer.cursor_members:
        hot = frozenset(gatherer.cursor_members)
    else:
        members = (
            c.definition.name for c in gatherer.out.candidates.values() if c.role == "member"
        )
        hot = frozenset(counts) | frozenset(uses) | frozenset(members)
    return CursorCandidates(gatherer.out, hot)


def _type_from_far_above(
    gatherer: Gatherer, receiver: str, far: list[str], calls: dict[str, str]
) -> None:
    """`uf.` where `uf = nx.utils.UnionFind()` (or `uf: UnionFind = ...`) is further up than
    the recent lines read for every local: in an enclosing function of a closure, or in
    another function naming the same kind of object alike. The nearest assignment wins;
    for the cursor's receiver only."""
    if (
        receiver in ("self", "this", "cls")  # the enclosing class: read elsewhere
        or receiver in gatherer.modules  # an imported module
        or receiver in calls
        or receiver in gatherer.receiver_types
    ):
        return
    named = [line for line in far if receiver in line]
    found = receiver_types("", named, gatherer.language_id).get(receiver)
    if found is not None:
        gatherer.receiver_types[receiver] = found
    else:
        called = call_assignments(named).get(receiver)
        if called is not None:
            calls[receiver] = called


def _prefetch_containers(view: IndexView, gathered: Gathered) -> None:
    """The classes of the member candidates, asked at once: a member's piece opens with its
    class's header (the builder looks the class up by name, one query per class else)."""
    view.prefetch(
        {
            d.container: NOT_MEMBERS
            for d in (c.definition for c in gathered.candidates.values())
            if d.container is not None and d.kind in MEMBER_PART_KINDS
        }
    )


_COMMENT = re.compile(r"^\s*(?:#|//)\s*(.*)$")
_CONTINUED = ("(", "[", "{", ",", "\\")


def comment_words(lines: list[str]) -> list[str]:
    """The words of the comment right above the statement the cursor (at the end of `lines`)
    is in: `# contains unsplittable type ignore` above `if (` / `rhs.head.|` says what the
    line is about to call. A statement goes on past lines ending in an open bracket or a
    comma; up to `COMMENT_LINES` comment lines count."""
    start = len(lines) - 1
    while start > 0 and lines[start - 1].rstrip().endswith(_CONTINUED):
        start -= 1
    found: list[str] = []
    for line in reversed(lines[max(0, start - COMMENT_LINES) : start]):
        match = _COMMENT.match(line)
        if match is None:
            break
        found.extend(_WORD.findall(match.group(1)))
    return found


def member_uses(lines: list[str], receiver: str) -> dict[str, int]:
    """How often the lines call each name on `receiver.` (`stream.write(` twice: 2). Only
    the lines naming the receiver are searched (a whole file is read: ~10x faster)."""
    pattern = re.compile(rf"(?<![\w$]){re.escape(receiver)}\s*\.\s*([A-Za-z_$][\w$]*)\s*\(")
    return Counter(pattern.findall("\n".join(line for line in lines if receiver in line)))


def word_counts(lines: list[str]) -> dict[str, int]:
    """How often each identifier (`_WORD`) occurs in the lines, no weighting. ASCII text is
    split at every other character instead (twice as fast as the regex): a run of word
    characters is an identifier once the digits it starts with are cut off."""
    text = "\n".join(lines)
    if not text.isascii():
        return Counter(_WORD.findall(text))
    counts = Counter(text.translate(_NOT_WORD_TO_SPACE).split())
    for run in [run for run in counts if run[0] in _DIGITS]:
        count = counts.pop(run)
        word = run.lstrip(_DIGITS)
        if word:
            counts[word] += count
    return counts


_DIGITS = "0123456789"
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$" + _DIGITS)
_NOT_WORD_TO_SPACE = str.maketrans({chr(c): " " for c in range(128) if chr(c) not in _WORD_CHARS})
