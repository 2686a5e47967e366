"""Repository index: tree-sitter symbols, imports and references, cached in SQLite.

Entry point: `RepoIndex` (see repo_index.py). Knows nothing of LSP or HTTP.
"""

from .model import Definition, FileRecord, Import, IndexStats
from .protocol import IndexReader
from .repo_index import IndexOptions, RepoIndex, options_from_settings

__all__ = [
    "Definition",
    "FileRecord",
    "Import",
    "IndexOptions",
    "IndexReader",
    "IndexStats",
    "RepoIndex",
    "options_from_settings",
]
