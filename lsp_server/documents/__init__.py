"""Open documents and position conversion (no LSP types: plain tuples)."""

from lsp_server.documents.events import DocumentEvent, DocumentEvents, EventKind
from lsp_server.documents.positions import ENCODINGS, UTF8, UTF16, UTF32, LineIndex
from lsp_server.documents.store import Document, DocumentStore, TextChange
from lsp_server.documents.uri_paths import UriOrigin, classify_uri, uri_excluded
from lsp_server.documents.uris import path_to_uri, uri_to_path

__all__ = [
    "ENCODINGS",
    "UTF8",
    "UTF16",
    "UTF32",
    "Document",
    "DocumentEvent",
    "DocumentEvents",
    "EventKind",
    "DocumentStore",
    "LineIndex",
    "TextChange",
    "UriOrigin",
    "classify_uri",
    "path_to_uri",
    "uri_excluded",
    "uri_to_path",
]
