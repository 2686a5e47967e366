"""Plain, immutable records the index hands out: definitions, imports, files, statistics.

Positions are 0-based; columns count Unicode code points (the server converts them to the
negotiated LSP position encoding). Paths are repository-relative posix paths.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

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


class Definition(NamedTuple):
    """A named definition: its whole range, container, header text and first doc line.

    `line`..`end_column` span the whole definition (decorators excluded); `name_line` and
    `name_column` locate the name itself (useful as an LSP selection range).

    A tuple: a cold context assembly makes ~1,000 of these from index rows, and hashes and
    compares many; a tuple is made, hashed and compared in C (a frozen dataclass's
    generated methods build a tuple of the fields for each).
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


#: A Definition from an index row of its twelve columns (`store.DEF_COLUMNS`), made in C
#: (a cold assembly reads ~500 rows).
definition_from_row: Callable[[tuple[Any, ...]], Definition] = functools.partial(
    tuple.__new__, Definition
)


#: A name's definitions fall in three disjoint parts that the context asks for separately:
#: a bare name wants the top-level ones (and nested classes or functions), `x.name` the
#: members; `__init__` has a thousand methods and hardly any top-level definition.
TOP = "top"  # no container
MEMBERS = "members"  # a method, field or property of a container
NESTED = "nested"  # anything else inside a container (a nested class, function, variable)
PARTS = frozenset((TOP, MEMBERS, NESTED))
#: where a class (or a function) can be: never among the members
NOT_MEMBERS = frozenset((TOP, NESTED))
#: everything inside a container
CONTAINED = frozenset((MEMBERS, NESTED))
#: one part alone (what a top-level lookup, a member lookup ... needs)
ONLY_TOP = frozenset((TOP,))
ONLY_MEMBERS = frozenset((MEMBERS,))
ONLY_NESTED = frozenset((NESTED,))
MEMBER_PART_KINDS = frozenset(("method", "field", "property"))


def part_of(definition: Definition) -> str:
    """Which of `PARTS` a definition belongs to."""
    if definition.container is None:
        return TOP
    return MEMBERS if definition.kind in MEMBER_PART_KINDS else NESTED


class Import(NamedTuple):
    """One import as written, and the repository file it resolves to (None if external).
    A tuple: an assembly hashes a file's imports as the key of what they bind."""

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
