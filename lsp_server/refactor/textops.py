"""Text surgery for refactors: line endings, indentation, minimal line-diff edits, diffs.

Offsets are Python string indices into the document; no LSP positions here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_INDENT = re.compile(r"[ \t]*")


@dataclass(frozen=True)
class TextEdit:
    """Replace text[start:end] with new_text (offsets into the original text)."""

    start: int
    end: int
    new_text: str


def split_lines(text: str) -> list[str]:
    """Lines with their line breaks kept, split only at \\n, \\r\\n and \\r (as LSP does)."""
    return _LINE.findall(text)


def detect_eol(text: str) -> str:
    match = re.search(r"\r\n|\r|\n", text)
    return match.group(0) if match else "\n"


def with_eol(text: str, eol: str) -> str:
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    return normalized if eol == "\n" else normalized.replace("\n", eol)


def _common_indent(lines: Iterable[str]) -> str | None:
    common: str | None = None
    for line in lines:
        if not line.strip():
            continue
        indent = _INDENT.match(line).group(0)  # type: ignore[union-attr]
        if common is None:
            common = indent
            continue
        size = 0
        for a, b in zip(common, indent, strict=False):
            if a != b:
                break
            size += 1
        common = common[:size]
    return common


def _leading(line: str) -> str:
    return _INDENT.match(line).group(0)  # type: ignore[union-attr]


def _space_unit(indents: list[str]) -> int:
    """The smallest step of space indentation (4 when there is none to learn from)."""
    widths = sorted({len(i) for i in indents if i and "\t" not in i})
    steps = [b - a for a, b in zip([0, *widths], widths, strict=False) if b > a]
    return min(steps) if steps else 4


def _restyle(relative: str, tabs: bool, unit: int) -> str:
    """Convert a line's own (relative) indentation to tabs or to `unit`-space steps."""
    lead = _leading(relative)
    if tabs and " " in lead:
        width = lead.count("\t") * unit + lead.count(" ")
        lead = "\t" * (width // unit) + " " * (width % unit)
    elif not tabs and "\t" in lead:
        lead = lead.replace("\t", " " * unit)
    return lead + relative[len(_leading(relative)) :]


def reindent(new: str, original: str, starts_mid_line: bool) -> str:
    """Shift `new` so its common indentation is the original selection's, in its style.

    Models often answer with the code dedented to column 0, and with spaces where the file
    uses tabs; the buffer needs it back as it was. When the selection starts mid-line, the
    first line has no indentation of its own and is left out (and stripped of leading blanks).
    """
    orig_lines = original.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    new_lines = new.split("\n")
    skip = 1 if starts_mid_line else 0
    base = _common_indent(orig_lines[skip:])
    if base is None:
        base = "" if starts_mid_line else _leading(orig_lines[0])
    have = _common_indent(new_lines[skip:]) or ""
    if starts_mid_line and new_lines:
        new_lines[0] = new_lines[0].lstrip(" \t")
    orig_indents = [_leading(line) for line in orig_lines[skip:] if line.strip()]
    tabs = any("\t" in i for i in orig_indents)
    relative_indents = [_leading(line[len(have) :]) for line in new_lines[skip:] if line.strip()]
    unit = _space_unit(relative_indents if tabs else [i[len(base) :] for i in orig_indents])
    out = new_lines[:skip]
    for line in new_lines[skip:]:
        if not line.strip():
            out.append("")
            continue
        out.append(base + _restyle(line[len(have) :], tabs, unit))
    return "\n".join(out)


def fit_to_selection(new: str, original: str, starts_mid_line: bool, eol: str) -> str:
    """The model's code shaped like the selection: indentation, line breaks, final newline."""
    new = new.replace("\r\n", "\n").replace("\r", "\n")
    new = reindent(new, original, starts_mid_line)
    ends_with_break = original.endswith(("\n", "\r"))
    new = new.rstrip("\n")
    if ends_with_break:
        new += "\n"
    return with_eol(new, eol)


def line_edits(old: str, new: str, base: int = 0) -> list[TextEdit]:
    """The minimal line-level edits turning `old` into `new`, offsets shifted by `base`.

    Every edit lies inside [base, base + len(old)]: an edit computed from a selection can
    never touch text outside it.
    """
    a, b = split_lines(old), split_lines(new)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    edits: list[TextEdit] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        edits.append(TextEdit(base + starts[i1], base + starts[i2], "".join(b[j1:j2])))
    return edits


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start] + edit.new_text + text[edit.end :]
    return text


def unified_diff(old: str, new: str, name: str) -> str:
    lines = difflib.unified_diff(
        split_lines(old), split_lines(new), f"a/{name}", f"b/{name}", lineterm="\n"
    )
    out: list[str] = []
    for line in lines:
        out.append(
            line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
        )
    return "".join(out)
