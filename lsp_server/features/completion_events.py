"""The completion funnel, counted locally in the audit trail: shown, accepted, partially
accepted — events without any text.

The editor tells the server when ghost text is displayed and how much of it was kept. The
notification names follow the Copilot language server's (prior art that plugins already
speak); acceptance arrives as the command attached to every suggestion.
"""

from __future__ import annotations

import logging
from typing import Any

from lsp_server.endpoint.audit import EventKind
from lsp_server.features.base import Feature, command, handler
from lsp_server.features.shared import ACCEPTED_COMMAND

log = logging.getLogger(__name__)

DID_SHOW = "textDocument/didShowCompletion"
DID_PARTIALLY_ACCEPT = "textDocument/didPartiallyAcceptCompletion"


def _field(params: Any, *names: str) -> Any:
    """A field of a notification's params, whether pygls structured them or not."""
    for name in names:
        value = params.get(name) if isinstance(params, dict) else getattr(params, name, None)
        if value is not None:
            return value
    return None


class CompletionEventsFeature(Feature):
    def _language(self, params: Any) -> str:
        item = _field(params, "item") or params
        language = _field(item, "languageId", "language_id", "language")
        if isinstance(language, str):
            return language
        uri = _field(_field(params, "textDocument", "text_document") or {}, "uri")
        doc = self.session.documents.get(uri) if isinstance(uri, str) else None
        return doc.language_id if doc is not None else "other"

    def _record(self, kind: EventKind, params: Any, accepted: int | None = None) -> None:
        endpoint = self.session.endpoint
        if endpoint is None:
            return
        request_id = _field(_field(params, "item") or params, "requestId", "request_id")
        endpoint.audit_log.write_event(
            kind,
            self._language(params),
            request_id if isinstance(request_id, str) else "",
            accepted,
        )

    @handler(DID_SHOW)
    def did_show(self, params: Any) -> None:
        self._record("shown", params)

    @handler(DID_PARTIALLY_ACCEPT)
    def did_partially_accept(self, params: Any) -> None:
        length = _field(params, "acceptedLength", "accepted_length")
        self._record("partially_accepted", params, int(length) if isinstance(length, int) else 0)

    @command(ACCEPTED_COMMAND)
    def accepted(self, *args: Any) -> None:
        """Attached to every AI suggestion: counted, and written as an event without text."""
        self.server.completions.counters.accepted += 1
        language = args[1] if len(args) > 1 and isinstance(args[1], str) else "other"
        self._record("accepted", {"languageId": language})
