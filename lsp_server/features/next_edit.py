"""Next-edit suggestions over LSP: `textDocument/copilotInlineEdit` (the shape copilot-lsp and
sidekick.nvim consume) and its alias `mistral/nextEdit`, plus the shown/accepted/dismissed
events of the audit funnel.

Params: `{textDocument: {uri, version}, position}`. Result: `{edits: [{range, text,
textDocument: {uri, version}, command}]}`, nearest edit first; `command` is run by the client
on accept. A request for a version the server no longer has is answered with no edits.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsp_server.endpoint.audit import EventKind
from lsp_server.features.base import Feature, command, handler
from lsp_server.features.convert import range_between
from lsp_server.next_edit import NextEditService

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)

COPILOT_INLINE_EDIT = "textDocument/copilotInlineEdit"
NEXT_EDIT = "mistral/nextEdit"
DID_SHOW_INLINE_EDIT = "textDocument/didShowInlineEdit"
ACCEPTED = "mistral.nextEditAccepted"
DISMISSED = "mistral.nextEditDismissed"


def _get(value: Any, *names: str) -> Any:
    """A field of params whether pygls structured them or left a dict."""
    for name in names:
        found = value.get(name) if isinstance(value, dict) else getattr(value, name, None)
        if found is not None:
            return found
    return None


class NextEditFeature(Feature):
    def __init__(self, server: MistralLanguageServer) -> None:
        super().__init__(server)
        self.service = NextEditService(self.session)
        self._languages: dict[str, str] = {}  # request id -> language, for the events

    @handler(COPILOT_INLINE_EDIT)
    async def copilot_inline_edit(self, params: Any) -> dict[str, Any]:
        return await self._answer(params)

    @handler(NEXT_EDIT)
    async def next_edit(self, params: Any) -> dict[str, Any]:
        return await self._answer(params)

    async def _answer(self, params: Any) -> dict[str, Any]:
        item = _get(params, "textDocument", "text_document")
        uri = _get(item, "uri")
        version = _get(item, "version")
        position = _get(params, "position")
        doc = self.session.documents.get(uri) if isinstance(uri, str) else None
        if doc is None or position is None:
            return {"edits": []}
        if isinstance(version, int) and version != doc.version:
            return {"edits": []}  # the client is behind or ahead: its edits would not fit
        encoding = self.session.documents.encoding
        line, character = _get(position, "line"), _get(position, "character")
        cursor = doc.offset(int(line or 0), int(character or 0), encoding)
        result = await self.service.suggest(doc.uri, doc.path, doc.language_id, cursor)
        if result is None or not result.edits or result.text != doc.text:
            return {"edits": []}
        self._languages[result.request_id] = doc.language_id
        while len(self._languages) > 64:
            self._languages.pop(next(iter(self._languages)))
        edits = []
        for edit in result.edits:
            rng = range_between(doc, edit.start, edit.end, encoding)
            edits.append(
                {
                    "range": {
                        "start": {"line": rng.start.line, "character": rng.start.character},
                        "end": {"line": rng.end.line, "character": rng.end.character},
                    },
                    "text": edit.new_text,
                    "textDocument": {"uri": doc.uri, "version": doc.version},
                    "command": {
                        "title": "Mistral: next edit accepted",
                        "command": ACCEPTED,
                        "arguments": [result.request_id, doc.language_id],
                    },
                }
            )
        return {"edits": edits}

    def _record(self, kind: EventKind, request_id: Any) -> None:
        endpoint = self.session.endpoint
        if endpoint is None:
            return
        rid = request_id if isinstance(request_id, str) else ""
        endpoint.audit_log.write_event(kind, self._languages.get(rid, "other"), rid)

    @handler(DID_SHOW_INLINE_EDIT)
    def did_show(self, params: Any) -> None:
        """copilot-lsp sends `{item: {command}}`; the command's first argument is our id."""
        cmd = _get(_get(params, "item") or {}, "command") or {}
        args = _get(cmd, "arguments") or []
        self._record("next_edit_shown", args[0] if args else "")

    @command(ACCEPTED)
    def accepted(self, *args: Any) -> None:
        self._record("next_edit_accepted", args[0] if args else "")

    @command(DISMISSED)
    def dismissed(self, *args: Any) -> None:
        self._record("next_edit_dismissed", args[0] if args else "")
