"""lsprotocol ↔ plain values, for features that hand positions to LSP-free services."""

from __future__ import annotations

from lsprotocol import types

from lsp_server.documents import UTF8, UTF16, UTF32, Document

_ENCODINGS: dict[object, str] = {
    types.PositionEncodingKind.Utf8: UTF8,
    types.PositionEncodingKind.Utf16: UTF16,
    types.PositionEncodingKind.Utf32: UTF32,
}


def encoding_name(kind: object) -> str:
    return _ENCODINGS.get(kind, UTF16)


def offset_of(doc: Document, position: types.Position, encoding: str) -> int:
    return doc.offset(position.line, position.character, encoding)


def position_at(doc: Document, offset: int, encoding: str) -> types.Position:
    line, character = doc.position(offset, encoding)
    return types.Position(line=line, character=character)


def range_between(doc: Document, start: int, end: int, encoding: str) -> types.Range:
    return types.Range(start=position_at(doc, start, encoding), end=position_at(doc, end, encoding))
