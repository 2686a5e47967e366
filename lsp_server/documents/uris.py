"""file: URIs to paths and back; anything else is not a file we can read or index.

Which workspace path other schemes show (for exclusion) is decided in `uri_paths`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from lsp_server.documents.uri_paths import local_path


def uri_to_path(uri: str) -> Path | None:
    """The local path of a file: URI, or None for any other scheme or a malformed URI."""
    return local_path(uri)


def path_to_uri(path: Path) -> str:
    return "file://" + quote(str(path.absolute()))
