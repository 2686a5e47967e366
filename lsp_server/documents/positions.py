"""Position conversion between LSP (line, character in the negotiated encoding) and offsets.

The one place that knows LSP line breaks (\\n, \\r\\n, \\r — and nothing else, unlike
str.splitlines) and the three position encodings. Offsets are Python string indices
(code points). Out-of-range positions are clamped, never an exception: a position past the
end of a line means the end of that line, past the last line the end of the document.
"""

from __future__ import annotations

import re
from bisect import bisect_right

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
ENCODINGS: tuple[str, ...] = (UTF8, UTF16, UTF32)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as LSP counts them: broken at \\n, \\r\\n and \\r only."""
    return _LINE_BREAK.split(text)


def units(text: str, encoding: str) -> int:
    """Length of `text` in the code units of `encoding`."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _char_units(ch: str, encoding: str) -> int:
    cp = ord(ch)
    if encoding == UTF16:
        return 2 if cp > 0xFFFF else 1
    return 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4


def column_to_index(line: str, column: int, encoding: str) -> int:
    """Code-point index in `line` for a column in code units (inside a character: its start)."""
    if column <= 0:
        return 0
    if encoding == UTF32 or line.isascii():
        return min(column, len(line))
    used = 0
    for index, ch in enumerate(line):
        used += _char_units(ch, encoding)
        if used > column:
            return index
    return len(line)


class LineIndex:
    """Line starts of one text, for converting positions both ways."""

    __slots__ = ("text", "starts", "_ends")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self._ends: list[int] = []  # end of each line's content, before its line break
        for match in _LINE_BREAK.finditer(text):
            self._ends.append(match.start())
            self.starts.append(match.end())
        self._ends.append(len(text))

    @classmethod
    def _from_parts(cls, text: str, starts: list[int], ends: list[int]) -> LineIndex:
        index = cls.__new__(cls)
        index.text, index.starts, index._ends = text, starts, ends
        return index

    def replaced(self, start: int, end: int, new: str) -> LineIndex:
        """The index of this text with [start, end) replaced by `new`.

        Only the edited lines are scanned again (a keystroke in a 20 MB document would
        otherwise rescan all of it); the lines after them are shifted.
        """
        text = self.text[:start] + new + self.text[end:]
        delta = len(new) - (end - start)
        starts, ends = self.starts, self._ends
        # One line back: an inserted "\n" may join the "\r" that ended the previous line.
        first = max(0, bisect_right(starts, start) - 2)
        last = bisect_right(starts, end) - 1
        scan_from = starts[first]
        tail = last + 1 < len(starts)
        scan_to = starts[last + 1] + delta if tail else len(text)
        breaks = list(_LINE_BREAK.finditer(text, scan_from, scan_to))
        new_starts = starts[: first + 1] + [m.end() for m in breaks]
        new_ends = ends[:first] + [m.start() for m in breaks]
        if tail:
            new_starts += [s + delta for s in starts[last + 2 :]]
            new_ends += [e + delta for e in ends[last + 1 :]]
        else:
            new_ends.append(len(text))
        return LineIndex._from_parts(text, new_starts, new_ends)

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_text(self, line: int) -> str:
        """Content of a line without its line break ("" past the end)."""
        if not 0 <= line < len(self.starts):
            return ""
        return self.text[self.starts[line] : self._ends[line]]

    def offset(self, line: int, character: int, encoding: str) -> int:
        """String offset of an LSP position, clamped into the document."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start = self.starts[line]
        return start + column_to_index(self.line_text(line), character, encoding)

    def position(self, offset: int, encoding: str) -> tuple[int, int]:
        """LSP (line, character) of a string offset, clamped into the document."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        within = min(offset, self._ends[line]) - start
        return line, units(self.text[start : start + within], encoding)
