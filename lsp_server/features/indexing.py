"""Background indexing with work-done progress the user can cancel."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server.features.capabilities import supports

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)
_REPORT_EVERY_S = 0.2


class IndexRunner:
    """At most one indexing run at a time; a new run cancels the one in flight."""

    def __init__(self, server: MistralLanguageServer) -> None:
        self._server = server
        self._cancel: threading.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.cancel()
        if not self._server.session.indexes:
            return
        self._cancel = threading.Event()
        self._server.session.mark_indexing()
        self._task = asyncio.ensure_future(self._run(self._cancel))

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self, cancel: threading.Event) -> None:
        server = self._server
        loop = asyncio.get_running_loop()
        token: str | None = None
        if supports(server, "window.work_done_progress"):
            token = f"mistral-index-{uuid.uuid4().hex[:8]}"
            try:
                await server.work_done_progress.create_async(token)
            except Exception:  # noqa: BLE001 - a client may refuse progress; index anyway
                token = None
        if token is not None:
            server.work_done_progress.begin(
                token,
                types.WorkDoneProgressBegin(
                    title="Mistral: indexing", cancellable=True, percentage=0
                ),
            )
            server.work_done_progress.tokens[token].add_done_callback(lambda _f: cancel.set())
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if token is None or (now - last < _REPORT_EVERY_S and done < total):
                return
            last = now
            pct = int(100 * done / total) if total else 100
            value = types.WorkDoneProgressReport(message=f"{done}/{total} files", percentage=pct)
            loop.call_soon_threadsafe(server.work_done_progress.report, token, value)

        message = "done"
        try:
            stats = await loop.run_in_executor(None, server.session.build_indexes, progress, cancel)
            files = sum(s.files for s in stats)
            seconds = sum(s.seconds for s in stats)
            message = f"{files} files in {seconds:.1f}s" + (
                " (cancelled)" if cancel.is_set() else ""
            )
            log.info("index: %s", message)
        except Exception as exc:  # noqa: BLE001 - indexing failure must not take the server down
            log.exception("indexing failed")
            message = f"indexing failed: {exc}"
        finally:
            if token is not None:
                server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
                server.work_done_progress.tokens.pop(token, None)
