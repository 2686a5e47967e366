"""Putting an answer's lines at the document's indentation, in the document's style.

Models dedent code to column 0, indent with four spaces where the file uses tabs or two
spaces, or keep the indentation of a context line they copied. Indentation is read as a
number of levels in the answer's own unit and written back in the file's unit, shifted by
the offset that lines known to be the same in both (anchors) show.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_INDENT = re.compile(r"[ \t]*")


def leading(line: str) -> str:
    match = _INDENT.match(line)
    return match.group(0) if match else ""


@dataclass(frozen=True)
class Style:
    """Tabs or spaces, and how many columns one level is."""

    tabs: bool
    unit: int

    def levels(self, line: str) -> float:
        lead = leading(line)
        columns = lead.count("\t") * self.unit + lead.count(" ")
        return columns / self.unit

    def write(self, levels: float) -> str:
        levels = max(0.0, levels)
        whole = int(levels + 1e-9)
        spaces = round((levels - whole) * self.unit)
        if self.tabs:
            return "\t" * whole + " " * spaces
        return " " * (whole * self.unit + spaces)


def style_of(lines: Iterable[str], default_unit: int = 4) -> Style:
    """The indentation style of some lines: tabs when most indented lines start with one,
    the unit the most common step between a line and a more indented next line."""
    indents = [leading(line) for line in lines if line.strip()]
    tabbed = sum(1 for i in indents if i.startswith("\t"))
    spaced = sum(1 for i in indents if i.startswith(" "))
    tabs = tabbed > spaced
    if tabs:
        return Style(True, 4)
    widths = [len(i.expandtabs(4)) for i in indents]
    steps: Counter[int] = Counter(b - a for a, b in zip(widths, widths[1:], strict=False) if b > a)
    small = {s: c for s, c in steps.items() if 1 < s <= 8}
    if not small:
        return Style(False, default_unit)
    best = max(small.items(), key=lambda item: (item[1], -item[0]))[0]
    return Style(False, best)


def _steps(runs: Iterable[list[str]]) -> Counter[int]:
    steps: Counter[int] = Counter()
    for run in runs:
        widths = [len(leading(line).expandtabs(4)) for line in run if line.strip()]
        steps.update(b - a for a, b in zip(widths, widths[1:], strict=False) if b > a)
    return steps


def answer_style(runs: list[list[str]], document: Style, pairs: list[tuple[str, str]]) -> Style:
    """The answer's indentation style, from runs of lines the model wrote consecutively.

    A few lines say little about the unit: a step the model repeated is the best evidence,
    then how many lines known equal in both agree on one offset, then the file's own unit.
    """
    learned = style_of([line for run in runs for line in run], default_unit=document.unit)
    if learned.tabs or learned.unit == document.unit:
        return learned
    file_unit = Style(False, document.unit)

    def agreement(style: Style) -> int:
        offsets = Counter(round(document.levels(d) - style.levels(a), 3) for a, d in pairs)
        return max(offsets.values(), default=0)

    steps = _steps(runs)[learned.unit]
    if steps >= 2 or (steps == 1 and agreement(learned) >= agreement(file_unit)):
        return learned
    if agreement(learned) > agreement(file_unit):
        return learned
    return file_unit


def common_levels(lines: Iterable[str], style: Style) -> float | None:
    found = [style.levels(line) for line in lines if line.strip()]
    return min(found) if found else None


def shift(
    lines: list[str], answer: Style, document: Style, offset: float, keep: set[int] | None = None
) -> list[str]:
    """Each line re-indented: answer levels + offset, written in the document's style.
    Lines whose index is in `keep` are the document's own and left as they are."""
    out: list[str] = []
    for index, line in enumerate(lines):
        if keep and index in keep:
            out.append(line)
        elif not line.strip():
            out.append("")
        else:
            lead = leading(line)
            columns = lead.count("\t") * answer.unit + lead.count(" ")
            levels, extra = divmod(columns, answer.unit)
            out.append(document.write(levels + offset) + " " * extra + line[len(lead) :])
    return out


def offset_from(pairs: Iterable[tuple[str, str]], answer: Style, document: Style) -> float | None:
    """The most common level offset over (answer line, document line) pairs known equal; on
    a tie the first pair's (the top of a block sets the level of what it holds)."""
    counts: Counter[float] = Counter(
        round(document.levels(d) - answer.levels(a), 3) for a, d in pairs if a.strip()
    )
    if not counts:
        return None
    return max(counts.items(), key=lambda item: item[1])[0]
