"""A Session for one file from the command line: the same services an editor window gets."""

from __future__ import annotations

import sys
from pathlib import Path

from lsp_server.session import Session

ROOT_MARKERS = (
    ".git",
    ".mistral-lsp.toml",
    "pyproject.toml",
    "package.json",
    "go.mod",
    "Cargo.toml",
)


def find_root(path: Path) -> Path:
    """The nearest folder above `path` with a repository marker (else its folder)."""
    for folder in path.parents:
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return path.parent


def session_for(path: Path, root: str | None) -> Session:
    """Configured for the file's workspace, problems on stderr, index built (cache reused)."""
    session = Session()
    workspace = Path(root).resolve() if root else find_root(path)
    for problem in session.configure([workspace], {}):
        print(str(problem), file=sys.stderr)
    session.build_indexes()
    return session
