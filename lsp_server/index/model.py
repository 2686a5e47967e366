"""Plain, immutable records the index hands out: definitions, imports, files, statistics.

Positions are 0-based; columns count Unicode code points (the server converts them to the
negotiated LSP position encoding). Paths are repository-relative posix paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .languages import LanguageId
    from .walk import SkipReason

#: The kinds of definition the index records (`Definition.kind`).
DefKind = Literal[
    "function",
    "method",
    "class",
    "interface",
    "struct",
    "enum",
    "type",
    "module",
    "variable",
    "constant",
    "field",
    "property",
    "namespace",
    "trait",
]


@dataclass(frozen=True, slots=True)
class Definition:
    """A named definition: its whole range, container, header text and first doc line.

    `line`..`end_column` span the whole definition (decorators excluded); `name_line` and
    `name_column` locate the name itself (useful as an LSP selection range).
    """

    name: str
    kind: DefKind
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    container: str | None
    signature: str
    doc: str | None
    name_line: int = -1
    name_column: int = -1


@dataclass(frozen=True, slots=True)
class Import:
    """One import as written, and the repository file it resolves to (None if external)."""

    module: str
    names: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...]
    line: int
    resolved: str | None


@dataclass(frozen=True, slots=True)
class FileRecord:
    path: str
    language: LanguageId
    sha256: str
    size: int
    mtime_ns: int
    definitions: tuple[Definition, ...]
    imports: tuple[Import, ...]
    references: frozenset[str]


@dataclass
class IndexStats:
    files: int
    symbols: int
    skipped: dict[SkipReason, int]
    seconds: float
    cached_files: int
    languages: dict[str, int]
    cancelled: bool = False
    parsed_files: int = 0
    removed_files: int = 0
