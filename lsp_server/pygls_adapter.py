"""Every use of a private pygls name, in one place, each with the behaviour it works around.

pygls 2.1 leaves a few things to its users that a server people rely on cannot leave out:
framing that survives a broken message, LSP's rules before `initialize` and after `shutdown`,
a future it keeps for every notification, the request a command belongs to. The workarounds
below reach into pygls internals (`_request_futures`, `_send_response`, `_shutdown`,
`_execute_handler`, `msg_id`, the `lsp_*` method names); `tests/unit/test_pygls_adapter.py`
checks those internals still exist with the shapes used here, so an upgrade that changes them
fails loudly instead of silently bringing the bugs back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
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

log = logging.getLogger(__name__)

#: The ExecuteCommandParams of the command being handled: pygls hands command handlers only
#: the arguments, and long-running commands need the request's workDoneToken.
CURRENT_COMMAND: ContextVar[types.ExecuteCommandParams | None] = ContextVar(
    "mistral_current_command", default=None
)
# A header anywhere in a line: after a broken message the next header still resynchronises.
_CONTENT_LENGTH = re.compile(rb"Content-Length:[ \t]*(\d{1,10})[ \t]*\r?\n?$", re.IGNORECASE)
MAX_MESSAGE_BYTES = 512 * 1024 * 1024
_ALWAYS_ALLOWED = frozenset({types.INITIALIZE, types.EXIT})


class MistralProtocol(LanguageServerProtocol):
    """pygls' protocol with the workarounds below."""

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
            error: JsonRpcException | None = None
            if not self.initialize_received:
                error = JsonRpcServerNotInitialized("the server is not initialized yet")
                if msg_id is None:
                    return  # a notification before initialize is dropped
            elif self._shutdown and msg_id is not None:
                error = JsonRpcInvalidRequest("the server is shutting down")
            if error is not None and msg_id is not None:
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
        """Parse and dispatch one message body; a bad one never stops the server (pygls'
        own reader lets a structuring error escape and end the loop)."""
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

    # pygls keeps its own copy of every document, split with str.splitlines (which also
    # breaks lines at \x0c, \x1c, \u2028 …, unlike LSP); our DocumentStore keeps the one exact
    # copy, so these built-in handlers only pass the notification on to ours.

    def _user(self, method: str, params: Any) -> Generator[Any, Any, None]:
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(
        self, params: types.DidOpenTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user(types.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user(types.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(
        self, params: types.DidCloseTextDocumentParams
    ) -> Generator[Any, Any, None]:
        yield from self._user(types.TEXT_DOCUMENT_DID_CLOSE, params)

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(
        self, params: types.ExecuteCommandParams
    ) -> Generator[Any, Any, Any]:
        """Remember the command's params (see CURRENT_COMMAND) for the handler it runs."""
        CURRENT_COMMAND.set(params)
        return (yield from super().lsp_workspace__execute_command(params))


class ClientWriter(StdoutWriter):
    """pygls' stdout writer, for a client that may go away at any moment.

    An editor quitting or restarting its server closes the pipe; pygls' `_send_data` logs a
    BrokenPipeError at ERROR with a traceback and re-raises it (into whatever handler or
    logging callback was writing). A client going away is normal: say so once at INFO and
    drop what is still written. `tests/lsp/test_noise.py` kills a client and reads the log.
    """

    def __init__(self, stdout: BinaryIO) -> None:
        super().__init__(stdout)
        self.gone = False

    def _went_away(self, exc: BaseException) -> None:
        if not self.gone:
            self.gone = True
            log.info("the client closed the connection (%s); shutting down", type(exc).__name__)

    def write(self, data: bytes) -> None:
        if self.gone:
            return
        try:
            super().write(data)
        except (BrokenPipeError, ConnectionResetError) as exc:
            self._went_away(exc)
        except ValueError as exc:  # "write to closed file": the pipe is already closed
            self._went_away(exc)

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ValueError):
            super().close()  # type: ignore[no-untyped-call]  # flushing a dead pipe


def serve_stdio(server: LanguageServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """pygls' `start_io`, with the framing of `read_messages`."""
    stop = threading.Event()
    server._stop_event = stop
    reader = StdinAsyncReader(stdin, server.thread_pool)
    server.protocol.set_writer(ClientWriter(stdout))
    protocol = server.protocol
    assert isinstance(protocol, MistralProtocol)
    try:
        asyncio.run(read_messages(stop, reader, protocol))
    except (BrokenPipeError, ConnectionResetError):
        # A client going away is normal (an editor quit or restarted its server).
        log.info("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        # A signal while stdin is still open: pygls' shutdown would wait forever for the
        # thread blocked reading it. Leave that thread behind; the process is ending.
        stop.set()
        server.thread_pool.shutdown(wait=False, cancel_futures=True)
        return
    server.shutdown()  # type: ignore[no-untyped-call]  # pygls leaves it unannotated


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


def pending_handlers(server: LanguageServer) -> int:
    """How many handler futures pygls tracks (soak and storm tests see leaks from outside)."""
    return len(server.protocol._request_futures)


def shutdown_requested(server: LanguageServer) -> bool:
    """Whether `shutdown` came before `exit` (the exit code depends on it)."""
    return bool(server.protocol._shutdown)


def link_request_cancellation(server: LanguageServer, task: asyncio.Task[Any]) -> None:
    """Make `$/cancelRequest` of the current request cancel `task` (and so the HTTP stream).

    pygls runs workspace/executeCommand as a generator whose outer future is what a
    cancelRequest cancels; the coroutine running the command would otherwise go on.
    """
    protocol = server.protocol
    msg_id = protocol.msg_id
    futures = protocol._request_futures
    outer = futures.get(msg_id) if msg_id is not None else None
    if outer is None:
        return

    def cancelled(f: Any) -> None:
        if f.cancelled() and not task.done():
            task.cancel()

    outer.add_done_callback(cancelled)
