"""Commands about the assistant itself: acceptance counting, toggling, status, a debug probe."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from pygls.lsp.server import LanguageServer

from lsp_server.features.inline_completion import ACCEPTED_COMMAND

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)
TOGGLE_COMMAND = "mistral.toggleCompletions"
STATUS_COMMAND = "mistral.status"
DOCUMENT_TEXT_COMMAND = "mistral.debug.documentText"


def register(server: MistralLanguageServer) -> None:
    """pygls evaluates command handlers' type hints at run time: `ls` gets a runtime name."""
    session = server.session
    engine = server.completions

    @server.command(ACCEPTED_COMMAND)
    def accepted(ls: LanguageServer, *args: Any) -> None:
        """Counted locally; nothing is sent anywhere."""
        engine.counters.accepted += 1

    @server.command(TOGGLE_COMMAND)
    def toggle(ls: LanguageServer, *args: Any) -> dict[str, bool]:
        enabled = not session.settings.completion.enabled
        completion = {**session.editor_settings.get("completion", {}), "enabled": enabled}
        problems = session.configure(editor={**session.editor_settings, "completion": completion})
        for problem in problems:
            log.warning("%s", problem)
        return {"enabled": session.settings.completion.enabled}

    @server.command(STATUS_COMMAND)
    def status(ls: LanguageServer, *args: Any) -> dict[str, Any]:
        # Task and handler counts let soak tests see leaks from outside the process.
        return {
            **session.current_status().to_json(),
            "counters": vars(engine.counters),
            "tasks": len(asyncio.all_tasks()),
            "handlers": len(ls.protocol._request_futures),
        }

    @server.command(DOCUMENT_TEXT_COMMAND)
    def document_text(ls: LanguageServer, uri: str, *args: Any) -> dict[str, Any] | None:
        """The server's copy of an open document: the oracle for sync tests."""
        doc = session.documents.get(uri)
        return None if doc is None else {"version": doc.version, "text": doc.text}
