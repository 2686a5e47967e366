"""The pygls server and its wiring: one Session, the features registered on top of it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from lsp_server import SERVER_NAME, __version__
from lsp_server.completion import CompletionEngine
from lsp_server.session import Session
from lsp_server.status import Status

log = logging.getLogger(__name__)
STATUS_NOTIFICATION = "mistral/status"


class MistralProtocol(LanguageServerProtocol):
    """Leaves document text to our DocumentStore instead of pygls' workspace copy.

    pygls would keep a second copy split with str.splitlines (which also breaks lines at
    \\x0c, \\x1c, \\u2028 …, unlike LSP); one exact copy is cheaper and correct.
    """

    def _user(self, method: str, params: Any) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        yield from self._user(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        yield from self._user(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        yield from self._user(types.TEXT_DOCUMENT_DID_CLOSE, params)


class MistralLanguageServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SERVER_NAME, __version__, protocol_cls=MistralProtocol)
        self.session = Session(on_status=self._status_changed)
        self.completions = CompletionEngine(self.session)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.verbosity = 0

    def _status_changed(self, status: Status) -> None:
        """Called from any thread; the notification goes out on the event loop."""
        if self.loop is None or self.protocol.writer is None:
            return
        self.loop.call_soon_threadsafe(self.notify_status, status)

    def notify_status(self, status: Status | None = None) -> None:
        status = status or self.session.current_status()
        self.protocol.notify(STATUS_NOTIFICATION, status.to_json())

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors in notifications are logged, not thrown at the user as pop-ups."""
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error)

    def show(self, message: str, level: types.MessageType = types.MessageType.Warning) -> None:
        self.window_show_message(types.ShowMessageParams(type=level, message=message))


def build_server() -> MistralLanguageServer:
    from lsp_server import features

    server = MistralLanguageServer()
    features.register_all(server)
    return server
