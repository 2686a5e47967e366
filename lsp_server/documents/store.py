"""Open documents: the editor's text, kept exact under incremental edits in any encoding."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lsp_server.documents.positions import UTF16, LineIndex
from lsp_server.documents.uris import uri_to_path

Position = tuple[int, int]


@dataclass(frozen=True)
class TextChange:
    """One content change; `start`/`end` are None for a full-text replacement."""

    text: str
    start: Position | None = None
    end: Position | None = None


@dataclass
class Document:
    uri: str
    language_id: str
    version: int
    text: str
    path: Path | None = None
    _lines: LineIndex | None = field(default=None, repr=False)

    @property
    def lines(self) -> LineIndex:
        if self._lines is None or self._lines.text is not self.text:
            self._lines = LineIndex(self.text)
        return self._lines

    def offset(self, line: int, character: int, encoding: str) -> int:
        return self.lines.offset(line, character, encoding)

    def position(self, offset: int, encoding: str) -> Position:
        return self.lines.position(offset, encoding)


class DocumentStore:
    """Documents the editor has open, by URI. Unknown URIs are answered with None."""

    def __init__(self, encoding: str = UTF16) -> None:
        self.encoding = encoding
        self._docs: dict[str, Document] = {}

    def open(self, uri: str, language_id: str, version: int, text: str) -> Document:
        doc = Document(uri, language_id, version, text, uri_to_path(uri))
        self._docs[uri] = doc
        return doc

    def change(self, uri: str, version: int, changes: list[TextChange]) -> Document | None:
        """Apply changes in order, each against the text left by the previous one."""
        doc = self._docs.get(uri)
        if doc is None:
            return None
        for change in changes:
            if change.start is None or change.end is None:
                doc.text = change.text
                continue
            lines = doc.lines
            start = lines.offset(*change.start, self.encoding)
            end = lines.offset(*change.end, self.encoding)
            if end < start:
                start, end = end, start
            doc._lines = lines.replaced(start, end, change.text)
            doc.text = doc._lines.text
        doc.version = version
        return doc

    def close(self, uri: str) -> Document | None:
        return self._docs.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def all(self) -> list[Document]:
        return list(self._docs.values())
