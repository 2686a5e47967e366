"""Commands about the assistant itself: toggling, status, a debug probe."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from lsp_server.features.base import Feature, command
from lsp_server.features.shared import (
    DOCUMENT_TEXT_COMMAND,
    STATUS_COMMAND,
    TOGGLE_COMMAND,
)
from lsp_server.pygls_adapter import pending_handlers

log = logging.getLogger(__name__)


class AssistantCommandsFeature(Feature):
    @command(TOGGLE_COMMAND)
    def toggle(self, *args: Any) -> dict[str, bool]:
        session = self.session
        enabled = not session.settings.completion.enabled
        completion = {**session.editor_settings.get("completion", {}), "enabled": enabled}
        problems = session.configure(editor={**session.editor_settings, "completion": completion})
        for problem in problems:
            log.warning("%s", problem)
        return {"enabled": session.settings.completion.enabled}

    @command(STATUS_COMMAND)
    def status(self, *args: Any) -> dict[str, Any]:
        # Task and handler counts let soak tests see leaks from outside the process.
        return {
            **self.session.current_status().to_json(),
            "counters": self._counters(),
            "tasks": len(asyncio.all_tasks()),
            "handlers": pending_handlers(self.server),
        }

    def _counters(self) -> dict[str, Any]:
        """The completion engine's counters, and every endpoint request of this window by kind
        (refactors, explanations and model lookups too; `completion_requests` are the FIMs the
        completion engine sent)."""
        counters: dict[str, Any] = dict(vars(self.server.completions.counters))
        counters["completion_requests"] = counters.pop("endpoint_requests", 0)
        endpoint = self.session.endpoint
        by_kind = dict(endpoint.requests) if endpoint is not None else {}
        counters["endpoint_requests"] = sum(by_kind.values())
        for kind, count in sorted(by_kind.items()):
            counters[f"endpoint_{kind}"] = count
        return counters

    @command(DOCUMENT_TEXT_COMMAND)
    def document_text(self, uri: str, *args: Any) -> dict[str, Any] | None:
        """The server's copy of an open document: the oracle for sync tests."""
        doc = self.session.documents.get(uri)
        return None if doc is None else {"version": doc.version, "text": doc.text}
