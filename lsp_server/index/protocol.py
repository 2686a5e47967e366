"""What the context package needs from an index: `IndexReader`, implemented by `RepoIndex`.

The context package reads the index and nothing else: a structural type keeps it from
depending on `RepoIndex` (and its SQLite store, workers and tree-sitter) and lets tests
hand it a small fake.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

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
