"""Document synchronisation: open, incremental change, close, save — each published as a
DocumentEvent to whoever subscribed (index, completions, ignore rules)."""

from __future__ import annotations

import logging

from lsprotocol import types

from lsp_server.documents import DocumentEvent, EventKind, TextChange
from lsp_server.features.base import Feature, handler

log = logging.getLogger(__name__)


def _to_change(change: types.TextDocumentContentChangeEvent) -> TextChange:
    if isinstance(change, types.TextDocumentContentChangePartial):
        r = change.range
        return TextChange(
            change.text, (r.start.line, r.start.character), (r.end.line, r.end.character)
        )
    return TextChange(change.text)


class SyncFeature(Feature):
    def _publish(self, kind: EventKind, uri: str) -> None:
        document = self.session.documents.get(uri)
        self.session.events.publish(DocumentEvent(kind, uri, document))

    @handler(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        self.session.documents.open(item.uri, item.language_id, item.version, item.text)
        self._publish("open", item.uri)

    @handler(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        changes = [_to_change(c) for c in params.content_changes]
        if self.session.documents.change(uri, params.text_document.version, changes) is None:
            log.warning("didChange for a document that is not open: %s", uri)
            return
        self._publish("change", uri)

    @handler(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        document = self.session.documents.close(uri)
        self.session.events.publish(DocumentEvent("close", uri, document))

    @handler(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(self, params: types.DidSaveTextDocumentParams) -> None:
        self._publish("save", params.text_document.uri)
