"""Source lines of repository files, read lazily and cached (LRU, invalidated by mtime).

Used to show a definition's header exactly as written: the index's signature starts at
the definition node, which leaves out `export`, `export default`, Go's `type`, or Java
modifiers that sit on the same line before it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from lsp_server.index.model import Definition

_CAPACITY = 96
_MAX_BYTES = 2_000_000
_MAX_HEADER = 240
#: Python definitions with a body (elided when shown, unless written on one line).
_BODY_KINDS = frozenset(("class", "function", "method"))

_lock = threading.Lock()
_cache: OrderedDict[str, tuple[int, int, list[str]]] = OrderedDict()


def file_lines(path: Path) -> list[str] | None:
    key = os.fspath(path)
    try:
        stat = os.stat(key)
    except OSError:
        return None
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stat.st_mtime_ns and hit[1] == stat.st_size:
            _cache.move_to_end(key)
            return hit[2]
    if stat.st_size > _MAX_BYTES:
        return None
    try:
        with open(key, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().split("\n")
    except OSError:
        return None
    with _lock:
        _cache[key] = (stat.st_mtime_ns, stat.st_size, lines)
        while len(_cache) > _CAPACITY:
            _cache.popitem(last=False)
    return lines


class SourceLines:
    """Lines of repository files; `overlay` holds texts newer than the disk (the open file)."""

    def __init__(self, root: Path | None, overlay: dict[str, list[str]] | None = None) -> None:
        self.root = os.fspath(root) if root is not None else None
        self.overlay: dict[str, list[str] | None] = dict(overlay or {})

    def line(self, rel: str, number: int) -> str | None:
        if rel in self.overlay:
            lines = self.overlay[rel]
        else:
            if self.root is None:
                return None
            lines = self.overlay[rel] = file_lines(Path(os.path.join(self.root, rel)))
        if lines is None or not 0 <= number < len(lines):
            return None
        return lines[number]

    def with_header(self, definition: Definition) -> Definition:
        """The definition with its signature's first line as written in the source."""
        if definition.path.endswith((".py", ".pyi")):
            return self._python_one_liner(definition)
        signature = definition.signature.strip()
        first, sep, rest = signature.partition("\n")
        first = first.strip()
        source = self.line(definition.path, definition.line)
        if source is None or not first:
            return definition
        source = source.strip()
        if source == first or first not in source or len(source) > _MAX_HEADER:
            return definition
        if not source.startswith(first) and not source.endswith(first):
            # keep it only if what precedes the header is modifiers, not other code
            head = source[: source.index(first)]
            if any(c in head for c in "=;(){}"):
                return definition
        return definition._replace(signature=source + sep + rest)

    def _python_one_liner(self, definition: Definition) -> Definition:
        """A Python header starts its line (decorators are separate); a definition written
        on one line (`class Missing(KeyError): pass`) is shown whole, as written: the line
        is hardly longer than its header, and an elided body would misquote it."""
        if definition.line != definition.end_line or definition.kind not in _BODY_KINDS:
            return definition
        source = self.line(definition.path, definition.line)
        if source is None:
            return definition
        source = source.strip()
        signature = definition.signature
        if len(source) > _MAX_HEADER or source == signature or not source.startswith(signature):
            return definition
        return definition._replace(signature=source)
