"""What the context package needs from an index: `IndexReader`, implemented by `RepoIndex`
(and `BatchedIndexReader`, the narrower and batched questions it also answers).

The context package reads the index and nothing else: a structural type keeps it from
depending on `RepoIndex` (and its SQLite store, workers and tree-sitter) and lets tests
hand it a small fake.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

from .model import Definition, Import


class IndexReader(Protocol):
    """The read-only queries of a repository index (see `RepoIndex` for their meaning).

    Paths passed in are absolute or repository-relative; paths handed out are
    repository-relative posix paths.
    """

    @property
    def root(self) -> Path:
        """The workspace root, symlinks resolved."""
        ...

    def relative(self, path: Path | str) -> str | None:
        """Repository-relative posix path of a path or file URI; None if outside the root."""
        ...

    def definitions(self, name: str) -> list[Definition]:
        """Definitions named `name`, in every indexed file and open document."""
        ...

    def snapshot(self) -> AbstractContextManager[None]:
        """Answers given inside come from one state of the index."""
        ...

    def file_definitions(self, path: Path | str) -> list[Definition]:
        """Definitions of one file, in source order."""
        ...

    def members(self, container: str) -> list[Definition]:
        """Definitions whose container is `container`."""
        ...

    def imports_of(self, path: Path | str) -> list[Import]:
        """Imports of one file, with the repository file each resolves to."""
        ...

    def aliased_imports(self) -> list[tuple[str, Import]]:
        """(importer, import) for every indexed import that binds an alias (`as x`)."""
        ...

    def files(self) -> list[str]:
        """Every indexed file and open document, sorted."""
        ...


@runtime_checkable
class BatchedIndexReader(Protocol):
    """The narrower and batched questions `RepoIndex` answers too: a name's definitions by
    part (`model.PARTS`: only the rows a caller filters for leave the index), and many
    names, files or aliases at once. A reader without them is asked `IndexReader`'s whole
    questions, and the context filters the answers itself."""

    def definitions_in(self, name: str, parts: Iterable[str]) -> list[Definition]: ...

    def definitions_named(self, names: Iterable[str], parts: Iterable[str]) -> list[Definition]: ...

    def top_level_definitions(self, path: str) -> list[Definition]: ...

    def imports_aliased_as(self, alias: str) -> list[tuple[str, Import]]: ...

    def members_in(self, container: str, path: str) -> list[Definition]: ...

    def member_counts(self, names: Iterable[str]) -> dict[str, int]: ...

    def members_named(self, name: str, containers: Iterable[str]) -> list[Definition]: ...

    def top_level_definitions_of(self, paths: Iterable[str]) -> dict[str, list[Definition]]: ...

    def imports_of_files(self, paths: Iterable[str]) -> dict[str, list[Import]]: ...

    def definitions(self, name: str, in_files: Iterable[str] | None = None) -> list[Definition]: ...
