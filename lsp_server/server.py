"""The pygls server and its wiring: one Session, the features registered on top of it."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
import threading
from collections.abc import Generator
from contextvars import ContextVar
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.io_ import StdinAsyncReader, StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from lsp_server import SERVER_NAME, __version__
from lsp_server.completion import CompletionEngine
from lsp_server.session import Session
from lsp_server.status import Status

log = logging.getLogger(__name__)
STATUS_NOTIFICATION = "mistral/status"
#: The ExecuteCommandParams of the command being handled: pygls hands command handlers only
#: the arguments, and long-running commands need the request's workDoneToken.
CURRENT_COMMAND: ContextVar[types.ExecuteCommandParams | None] = ContextVar(
    "mistral_current_command", default=None
)
# Expected refusals (stale document, refused answer, cancelled) are answers, not crashes.
EXPECTED_ERROR_CODES = (-32803, -32800)
# A header anywhere in a line: after a broken message the next header still resynchronises.
_CONTENT_LENGTH = re.compile(rb"Content-Length:[ \t]*(\d{1,10})[ \t]*\r?\n?$", re.IGNORECASE)
MAX_MESSAGE_BYTES = 512 * 1024 * 1024
_ALWAYS_ALLOWED = frozenset({types.INITIALIZE, types.EXIT})


class MistralProtocol(LanguageServerProtocol):
    """Leaves document text to our DocumentStore instead of pygls' workspace copy.

    pygls would keep a second copy split with str.splitlines (which also breaks lines at
    \\x0c, \\x1c, \\u2028 …, unlike LSP); one exact copy is cheaper and correct.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_received = False

    def handle_message(self, message: Any) -> None:
        """LSP's rules pygls leaves out, so that no request ever waits for an answer forever.

        Before `initialize`: requests get ServerNotInitialized, notifications are dropped.
        After `shutdown`: requests get InvalidRequest. Anything that is not a JSON-RPC message
        is logged and ignored.
        """
        method = getattr(message, "method", None)
        msg_id = getattr(message, "id", None)
        if getattr(message, "jsonrpc", None) is None:
            self.reject_raw(message, JsonRpcInvalidRequest("not a JSON-RPC message"))
            return
        if method == types.INITIALIZE:
            self.initialize_received = True
        elif method is not None and method not in _ALWAYS_ALLOWED:
            if not self.initialize_received:
                if msg_id is not None:
                    error = JsonRpcServerNotInitialized("the server is not initialized yet")
                    self._send_response(msg_id, None, error.to_response_error())
                return
            if self._shutdown and msg_id is not None:
                error = JsonRpcInvalidRequest("the server is shutting down")
                self._send_response(msg_id, None, error.to_response_error())
                return
        super().handle_message(message)

    def reject_raw(self, data: Any, error: JsonRpcException) -> None:
        """A message we could not take: answer it when it is a request, else log and drop it."""
        if isinstance(data, dict) and "method" in data and isinstance(data.get("id"), int | str):
            log.warning("rejected request %r: %s", data.get("method"), error)
            self._send_response(data["id"], None, error.to_response_error())
        else:
            log.warning("ignored a malformed message: %s", error)

    def handle_body(self, body: bytes) -> None:
        """Parse and dispatch one message body; a bad one never stops the server."""
        try:
            message = json.loads(body, object_hook=self.structure_message)
        except Exception as exc:  # noqa: BLE001 - bad JSON, or params of the wrong shape
            try:
                data = json.loads(body)
            except ValueError:
                log.warning("ignored a message that is not JSON (%d bytes)", len(body))
                return
            error = exc if isinstance(exc, JsonRpcException) else JsonRpcInvalidParams()
            self.reject_raw(data, error)
            return
        try:
            self.handle_message(message)
        except Exception:  # noqa: BLE001
            log.exception("could not handle a message")

    def _execute_handler(
        self,
        msg_id: Any,
        handler: Any,
        callback: Any,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        """pygls files the future of every handler run under `_request_futures`, but only a
        request's answer takes it out again: each notification (every keystroke's didChange)
        and each step of a generator handler left a future behind for good."""
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        if getattr(callback, "func", None) == self._send_handler_result:
            return  # a request: removed when its response is sent
        future = self._request_futures.get(msg_id)
        if future is not None:
            future.add_done_callback(lambda _f: self._forget_later(msg_id))

    def _forget_later(self, msg_id: Any) -> None:
        """Not at once: pygls' shutdown cancels futures while iterating over this dict."""
        try:
            asyncio.get_running_loop().call_soon(self._request_futures.pop, msg_id, None)
        except RuntimeError:  # no loop running (a worker thread): nothing iterates right now
            self._request_futures.pop(msg_id, None)

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

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams):
        CURRENT_COMMAND.set(params)
        return (yield from super().lsp_workspace__execute_command(params))


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
        """Errors are logged, not thrown at the user as pop-ups; expected refusals quietly."""
        if getattr(error, "code", None) in EXPECTED_ERROR_CODES:
            log.info("request refused: %s", error)
            return
        log.error("internal error (%s): %s", getattr(source, "__name__", source), error)

    def show(self, message: str, level: types.MessageType = types.MessageType.Warning) -> None:
        self.window_show_message(types.ShowMessageParams(type=level, message=message))

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls' stdio loop, with framing that survives a broken message (see read_messages)."""
        self._stop_event = threading.Event()
        reader = StdinAsyncReader(stdin or sys.stdin.buffer, self.thread_pool)
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(read_messages(self._stop_event, reader, self.protocol))
        except BrokenPipeError:
            log.error("the connection to the client is lost; shutting down")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()


async def read_messages(
    stop: threading.Event, reader: StdinAsyncReader, protocol: MistralProtocol
) -> None:
    """Read `Content-Length` framed messages until EOF.

    pygls' own loop only accepts a header at the very start of a line, so one bad header or a
    wrong length glues the next header to the previous body, and every later message is lost.
    Here a header is recognised at the end of any line, and a bad message is skipped.
    """
    length: int | None = None
    while not stop.is_set():
        line = await reader.readline()
        if not line:
            return
        if not line.strip():
            if length is None:
                continue  # a blank line without a usable header: skip what follows
            body = await reader.readexactly(length)
            if len(body) < length:
                return
            length = None
            protocol.handle_body(body)
            continue
        if (match := _CONTENT_LENGTH.search(line)) is not None:
            size = int(match.group(1))
            length = size if size <= MAX_MESSAGE_BYTES else None
            if length is None:
                log.warning("ignored a message of %d bytes", size)


def build_server() -> MistralLanguageServer:
    from lsp_server import features

    server = MistralLanguageServer()
    features.register_all(server)
    return server
