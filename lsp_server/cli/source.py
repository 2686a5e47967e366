"""Where a subcommand's text comes from: a file, or stdin when the file is `-`."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

STDIN = "-"


class UsageError(Exception):
    """Bad input from the user: printed as one line on stderr, exit status 2."""


@dataclass(frozen=True)
class Source:
    path: Path
    text: str
    from_stdin: bool


def read_source(file: str, stdin_filename: str | None, prog: str) -> Source:
    """The text and the path it stands for (stdin's name decides language and project root)."""
    if file == STDIN:
        name = Path(stdin_filename or "stdin.txt")
        data = sys.stdin.buffer.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"{prog}: stdin is not UTF-8 text ({exc.reason})") from None
        return Source(name.expanduser().resolve(), text, True)
    path = Path(file).expanduser().resolve()
    if not path.is_file():
        raise UsageError(f"{prog}: no such file: {file}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{prog}: {file} is not UTF-8 text ({exc.reason})") from None
    return Source(path, text, False)


def display_path(path: Path, cwd: Path | None = None, root: Path | None = None) -> str:
    """`path` as the user would type it here: relative to the current directory when inside
    it (so a diff applies where it is printed), else to the project `root`, else absolute."""
    here = (cwd or Path.cwd()).resolve()
    for base in (here, root):
        if base is not None and path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return path.as_posix()


def check_position(text: str, line: int, column: int, what: str) -> None:
    """LINE and COL count from 1; COL may be one past the line's end (the cursor after it)."""
    lines = text.split("\n")  # after a final newline, an empty last line as editors show it
    count = len(lines)
    if not 1 <= line <= count:
        raise UsageError(f"{what}: line {line} is outside the file (1-{count})")
    width = len(lines[line - 1].rstrip("\r"))
    if not 1 <= column <= width + 1:
        raise UsageError(f"{what}: column {column} is outside line {line} (1-{width + 1})")
