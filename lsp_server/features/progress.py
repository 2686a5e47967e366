"""Work-done progress the user can cancel: one helper for indexing and refactors."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)


class WorkDoneProgress:
    """One progress bar: the client's token when the request carried one, else a new one when
    the client supports `window/workDoneProgress`; without either every call does nothing.
    Cancelling it in the editor calls `on_cancel`."""

    def __init__(
        self, server: LanguageServer, prefix: str, token: types.ProgressToken | None = None
    ) -> None:
        self._server = server
        self._prefix = prefix
        self._token = token
        self._active = False

    async def begin(
        self,
        title: str,
        message: str | None = None,
        percentage: int | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> None:
        server = self._server
        caps = server.client_capabilities
        if self._token is None and get_capability(caps, "window.work_done_progress", False):
            token = f"{self._prefix}-{uuid.uuid4().hex[:12]}"
            try:
                await asyncio.wait_for(server.work_done_progress.create_async(token), 5)
                self._token = token
            except Exception as exc:  # noqa: BLE001 - progress is a nicety, never a failure
                log.info("could not create progress: %s", exc)
        if self._token is None:
            return
        server.work_done_progress.begin(
            self._token,
            types.WorkDoneProgressBegin(
                title=title, cancellable=True, message=message, percentage=percentage
            ),
        )
        self._active = True
        future: Future[Any] | None = server.work_done_progress.tokens.get(self._token)
        if future is not None and on_cancel is not None:

            def cancelled(f: Future[Any]) -> None:
                if f.cancelled():
                    on_cancel()

            future.add_done_callback(cancelled)

    @property
    def active(self) -> bool:
        return self._active

    def report(self, message: str, percentage: int | None = None) -> None:
        if self._active and self._token is not None:
            value = types.WorkDoneProgressReport(message=message, percentage=percentage)
            self._server.work_done_progress.report(self._token, value)

    def end(self, message: str) -> None:
        if not self._active or self._token is None:
            return
        self._active = False
        progress = self._server.work_done_progress
        progress.end(self._token, types.WorkDoneProgressEnd(message=message))
        progress.tokens.pop(self._token, None)
