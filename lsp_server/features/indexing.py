"""Background indexing with work-done progress the user can cancel."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING

from lsp_server.features.progress import WorkDoneProgress

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
        session = self._server.session
        loop = asyncio.get_running_loop()
        progress = WorkDoneProgress(self._server, "mistral-index")
        await progress.begin("Mistral: indexing", percentage=0, on_cancel=cancel.set)
        last = 0.0

        def report(done: int, total: int) -> None:
            """Called from the indexing thread."""
            nonlocal last
            now = time.monotonic()
            if not progress.active or (now - last < _REPORT_EVERY_S and done < total):
                return
            last = now
            pct = int(100 * done / total) if total else 100
            loop.call_soon_threadsafe(progress.report, f"{done}/{total} files", pct)

        message = "done"
        try:
            stats = await loop.run_in_executor(None, session.build_indexes, report, cancel)
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
            progress.end(message)
