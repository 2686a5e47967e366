"""workspace/symbol and textDocument/documentSymbol, answered from the index."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server.documents import UTF32, path_to_uri, uri_to_path
from lsp_server.documents.positions import split_lines, units
from lsp_server.features.base import Feature, handler
from lsp_server.features.shared import SYMBOL_KINDS
from lsp_server.index.model import Definition

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

MAX_WORKSPACE_SYMBOLS = 200


def _column(line_text: str | None, column: int, encoding: str) -> int:
    if line_text is None or encoding == UTF32:
        return column
    return units(line_text[:column], encoding)


def definition_range(
    server: MistralLanguageServer, definition: Definition, root_uri_path: str
) -> types.Range:
    """The definition's range in the client's encoding (open text if open, else disk)."""
    encoding = server.session.documents.encoding
    uri = path_to_uri(Path(root_uri_path) / definition.path)
    doc = server.session.documents.get(uri)
    start_line: str | None = None
    end_line: str | None = None
    if doc is not None:
        start_line = doc.lines.line_text(definition.line)
        end_line = doc.lines.line_text(definition.end_line)
    elif encoding != UTF32:
        lines = _read_lines(root_uri_path, definition.path)
        start_line = lines[definition.line] if definition.line < len(lines) else None
        end_line = lines[definition.end_line] if definition.end_line < len(lines) else None
    return types.Range(
        start=types.Position(definition.line, _column(start_line, definition.column, encoding)),
        end=types.Position(definition.end_line, _column(end_line, definition.end_column, encoding)),
    )


def _read_lines(root: str, rel: str) -> list[str]:
    try:
        with open(f"{root}/{rel}", encoding="utf-8", errors="replace", newline="") as handle:
            return split_lines(handle.read())
    except OSError:
        return []


class SymbolsFeature(Feature):
    @handler(types.WORKSPACE_SYMBOL)
    def workspace_symbol(
        self, params: types.WorkspaceSymbolParams
    ) -> list[types.SymbolInformation]:
        results: list[types.SymbolInformation] = []
        for root, index in list(self.session.indexes.items()):
            for d in index.search(params.query, limit=MAX_WORKSPACE_SYMBOLS):
                location = types.Location(
                    uri=path_to_uri(root / d.path),
                    range=definition_range(self.server, d, str(root)),
                )
                results.append(
                    types.SymbolInformation(
                        name=d.name,
                        kind=SYMBOL_KINDS.get(d.kind, types.SymbolKind.Variable),
                        location=location,
                        container_name=d.container,
                    )
                )
        return results[:MAX_WORKSPACE_SYMBOLS]

    @handler(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(self, params: types.DocumentSymbolParams) -> list[types.SymbolInformation]:
        path = uri_to_path(params.text_document.uri)
        index = self.session.index_for(path) if path is not None else None
        if path is None or index is None:
            return []
        root = str(index.root)
        return [
            types.SymbolInformation(
                name=d.name,
                kind=SYMBOL_KINDS.get(d.kind, types.SymbolKind.Variable),
                location=types.Location(
                    uri=params.text_document.uri, range=definition_range(self.server, d, root)
                ),
                container_name=d.container,
            )
            for d in index.file_definitions(path)
        ]
