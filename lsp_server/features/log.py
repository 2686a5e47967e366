"""A logging bridge to `window/logMessage`, safe to use from worker threads."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from lsprotocol import types
from pygls.lsp.server import LanguageServer

_LEVELS = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
    logging.DEBUG: types.MessageType.Log,
}


class LspLogHandler(logging.Handler):
    def __init__(self, server: LanguageServer, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._server = server
        self._loop = loop
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
            kind = _LEVELS.get(record.levelno, types.MessageType.Log)
            params = types.LogMessageParams(type=kind, message=message)
            self._loop.call_soon_threadsafe(self._send, params)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)

    def _send(self, params: types.LogMessageParams) -> None:
        writer = self._server.protocol.writer
        if writer is None or getattr(writer, "gone", False):
            return  # no client (any more): the log file has the record
        # The client went away while we wrote: normal at quit.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ValueError):
            self._server.window_log_message(params)
