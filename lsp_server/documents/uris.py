"""file: URIs to paths and back; anything else is not a file we can read or index."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, unquote, urlparse


def uri_to_path(uri: str) -> Path | None:
    """The local path of a file: URI, or None for any other scheme or a malformed URI."""
    try:
        parsed = urlparse(uri)
    except ValueError:
        return None
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return None
    path = unquote(parsed.path)
    if not path.startswith("/") or "\x00" in path:
        return None
    return Path(path)


def path_to_uri(path: Path) -> str:
    return "file://" + quote(str(path.absolute()))
