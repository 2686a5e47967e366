"""Document synchronisation: open, incremental change, close, save."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server.documents import TextChange, uri_to_path
from lsp_server.index.ignore_watch import is_ignore_file

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)


def _to_change(change: types.TextDocumentContentChangeEvent) -> TextChange:
    if isinstance(change, types.TextDocumentContentChangePartial):
        r = change.range
        return TextChange(
            change.text, (r.start.line, r.start.character), (r.end.line, r.end.character)
        )
    return TextChange(change.text)


def register(server: MistralLanguageServer) -> None:
    session = server.session
    recent = server.completions.recent
    oversized: set[str] = set()  # open documents too large to re-parse on every keystroke

    def rules_touched(uri: str, on_disk: bool) -> None:
        """An ignore file opened, edited, saved or closed in the editor: exclusions are
        refreshed now, whatever file watching the client offers (Neovim offers none)."""
        doc = session.documents.get(uri)
        path = doc.path if doc is not None else uri_to_path(uri)
        if path is not None and is_ignore_file(path):
            server.ignore_files_changed([path], on_disk=on_disk)  # type: ignore[attr-defined]

    def reindex(uri: str) -> None:
        doc = session.documents.get(uri)
        if doc is None or doc.path is None:
            return
        if not session.is_excluded(doc.path):
            recent.touch(doc.path, doc.text)
        index = session.index_for(doc.path)
        if index is None:
            return
        if len(doc.text) > session.settings.index.max_file_kb * 1024:
            # The index skips such files on disk too; parsing one here would hold the event
            # loop for seconds on every keystroke (a 20 MB document: ~3 s each).
            if uri not in oversized:
                oversized.add(uri)
                log.info("not indexing %s while open: larger than index.max_file_kb", doc.path)
                index.close_text(doc.path)
            return
        oversized.discard(uri)
        try:
            index.update_text(doc.path, doc.text)
        except Exception:  # noqa: BLE001 - a parse failure must not lose the edit
            log.exception("index update failed for %s", doc.path)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MistralLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        session.documents.open(item.uri, item.language_id, item.version, item.text)
        rules_touched(item.uri, on_disk=False)
        reindex(item.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MistralLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        changes = [_to_change(c) for c in params.content_changes]
        if session.documents.change(uri, params.text_document.version, changes) is None:
            log.warning("didChange for a document that is not open: %s", uri)
            return
        rules_touched(uri, on_disk=False)
        reindex(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MistralLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        rules_touched(params.text_document.uri, on_disk=False)
        doc = session.documents.close(params.text_document.uri)
        oversized.discard(params.text_document.uri)
        server.completions.forget(params.text_document.uri)
        if doc is not None and doc.path is not None:
            recent.forget(doc.path)
        if doc is not None and doc.path is not None and (idx := session.index_for(doc.path)):
            idx.close_text(doc.path)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MistralLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        rules_touched(params.text_document.uri, on_disk=True)
        doc = session.documents.get(params.text_document.uri)
        if doc is not None and doc.path is not None and (idx := session.index_for(doc.path)):
            idx.refresh_path(doc.path)
