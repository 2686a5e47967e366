"""The pygls server and its wiring: one Session, the features registered on top of it."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Callable
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lsp_server import SERVER_NAME, __version__
from lsp_server.completion import CompletionEngine
from lsp_server.context.gc_pause import raise_young_threshold
from lsp_server.features.indexing import IndexRunner
from lsp_server.pygls_adapter import MistralProtocol, serve_stdio
from lsp_server.refactor import RefactorService
from lsp_server.session import Session
from lsp_server.status import Status

log = logging.getLogger(__name__)
STATUS_NOTIFICATION = "mistral/status"
# Expected refusals (stale document, refused answer, cancelled) are answers, not crashes.
EXPECTED_ERROR_CODES = (-32803, -32800)


class MistralLanguageServer(LanguageServer):
    """The server and the services its features share; the features themselves live in
    `lsp_server.features`, registered by `build_server`."""

    def __init__(self) -> None:
        super().__init__(SERVER_NAME, __version__, protocol_cls=MistralProtocol)
        self.session = Session(on_status=self._status_changed, serving=True)
        self.completions = CompletionEngine(
            self.session, catch_up=self._catch_up, after_answer=self._after_answer
        )
        self.refactors = RefactorService(self.session)
        self.indexer = IndexRunner(self)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.verbosity = 0

    async def _catch_up(self) -> bool:
        """Let the loop read what the client already sent (see MessageInbox.catch_up)."""
        inbox = getattr(self.protocol, "inbox", None)
        return inbox is not None and await inbox.catch_up()

    def _after_answer(self, work: Callable[[], None]) -> None:
        """Run `work` once the answer being prepared is written (see MistralProtocol)."""
        protocol = self.protocol
        if isinstance(protocol, MistralProtocol):
            protocol.after_answer(work)
        else:
            work()

    def _status_changed(self, status: Status) -> None:
        """Called from any thread; the notification goes out on the event loop."""
        if self.loop is None or self.protocol.writer is None:
            return
        if status.state == "ready":
            self.loop.call_soon_threadsafe(settle_heap)
        self.loop.call_soon_threadsafe(self.notify_status, status)

    def notify_status(self, status: Status | None = None) -> None:
        status = status or self.session.current_status()
        self.protocol.notify(STATUS_NOTIFICATION, status.to_json())

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors are logged, not thrown at the user as pop-ups; expected refusals quietly."""
        if getattr(error, "code", None) in EXPECTED_ERROR_CODES:
            log.info("request refused: %s", error)
            return
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error)

    def show(self, message: str, level: types.MessageType = types.MessageType.Warning) -> None:
        self.window_show_message(types.ShowMessageParams(type=level, message=message))

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls' stdio loop, with framing that survives a broken message."""
        serve_stdio(self, stdin or sys.stdin.buffer, stdout or sys.stdout.buffer)


_heap_settled = False


def settle_heap() -> None:
    """Move what start-up and indexing left on the heap out of the garbage collector's sight,
    once per process (later turns to "ready", after a rebuild or an endpoint back online, would
    freeze whatever cyclic garbage is waiting for a collection too, for good).

    Python's full collections walk every tracked object: with the index's and the
    tokenizer's data on the heap one took ~130 ms, on whatever keystroke it fell. Frozen
    objects are still freed by reference counting; only cycles among them would stay. No
    collection here (a `gc.collect()` first stalled the loop right when the index turned
    ready); `tokens.warm_up` freezes again after its load.
    """
    global _heap_settled
    if not _heap_settled:
        _heap_settled = True
        gc.freeze()
        raise_young_threshold()  # see context.gc_pause


def build_server() -> MistralLanguageServer:
    from lsp_server import features

    server = MistralLanguageServer()
    features.register_all(server)
    return server
