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
import os
import re
import select
import selectors
import stat
import threading
import time
from collections.abc import Callable, Generator
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
#: When the message being handled arrived (time.monotonic): a handler started late, behind a
#: busy loop, still counts its wait (a completion's debounce) from the client's keystroke.
RECEIVED_AT: ContextVar[float | None] = ContextVar("mistral_received_at", default=None)
# A header anywhere in a line: after a broken message the next header still resynchronises.
_CONTENT_LENGTH = re.compile(rb"Content-Length:[ \t]*(\d{1,10})[ \t]*\r?\n?$", re.IGNORECASE)
MAX_MESSAGE_BYTES = 512 * 1024 * 1024
# Work queued with `after_answer` runs once an answer is written, or after this long.
AFTER_ANSWER_LATEST_S = 0.2
_ALWAYS_ALLOWED = frozenset({types.INITIALIZE, types.EXIT})


class MistralProtocol(LanguageServerProtocol):
    """pygls' protocol with the workarounds below."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_received = False
        self.inbox: MessageInbox | None = None  # set when the loop reads stdin itself
        self._after_answer: list[Callable[[], None]] = []
        self._after_answer_timer: asyncio.TimerHandle | None = None

    def after_answer(self, work: Callable[[], None]) -> None:
        """Run `work` right after the next answer is written (or AFTER_ANSWER_LATEST_S from
        now if none is): bookkeeping the user should not wait for, such as the audit record
        of a completion that has been received. Outside a running loop it runs at once."""
        self._after_answer.append(work)
        if self._after_answer_timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.run_after_answer()
            return
        self._after_answer_timer = loop.call_later(AFTER_ANSWER_LATEST_S, self.run_after_answer)

    def run_after_answer(self) -> None:
        """Run the queued work now (an answer was written, the time is up, or the end)."""
        if self._after_answer_timer is not None:
            self._after_answer_timer.cancel()
            self._after_answer_timer = None
        work, self._after_answer = self._after_answer, []
        for item in work:
            try:
                item()
            except Exception:  # noqa: BLE001 - bookkeeping must not break the server
                log.exception("work after an answer failed")

    def _send_handler_result(self, future: Any, *, msg_id: Any) -> None:
        """pygls' answer to a request, then the work that waited for it (`after_answer`)."""
        super()._send_handler_result(future, msg_id=msg_id)
        if self._after_answer:
            self.run_after_answer()

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

    def handle_body(self, body: bytes, received_at: float | None = None) -> None:
        """Parse and dispatch one message body; a bad one never stops the server (pygls'
        own reader lets a structuring error escape and end the loop). `received_at`
        (default: now) is what the handler reads from RECEIVED_AT."""
        token = RECEIVED_AT.set(time.monotonic() if received_at is None else received_at)
        try:
            self._handle_body(body)
        finally:
            RECEIVED_AT.reset(token)

    def _handle_body(self, body: bytes) -> None:
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
    """pygls' `start_io`, with the framing of `Framer`, read on the event loop when stdin is
    a pipe or socket of its own (see `MessageInbox`), else by pygls' reader thread."""
    stop = threading.Event()
    server._stop_event = stop
    server.protocol.set_writer(ClientWriter(stdout))
    protocol = server.protocol
    assert isinstance(protocol, MistralProtocol)
    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(_read_all(stop, (stdin, stdout), protocol, server))
    except (BrokenPipeError, ConnectionResetError):
        # A client going away is normal (an editor quit or restarted its server).
        log.info("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        # A signal while stdin is still open: pygls' shutdown would wait forever for the
        # thread blocked reading it. Leave that thread behind; the process is ending.
        stop.set()
        server.thread_pool.shutdown(wait=False, cancel_futures=True)
        return
    finally:
        asyncio.set_event_loop(None)
    server.shutdown()  # type: ignore[no-untyped-call]  # pygls leaves it unannotated


class PreciseEpollSelector(selectors.EpollSelector):
    """epoll whose waits end on time to the microsecond, not up to a millisecond late.

    epoll_wait takes whole milliseconds and the standard selector rounds a timeout up, so
    every timer of the loop fired 0-1 ms late (0.6 ms median measured on the loop here): a
    completion's debounce among them, on the user's wait. select() takes microseconds, and
    the epoll descriptor is readable whenever an event is pending: the wait is a select on
    it, then epoll collects what is ready without waiting. If select refuses the descriptor
    (past FD_SETSIZE), the rounded-up wait is kept.
    """

    def __init__(self) -> None:
        super().__init__()
        self._precise = True

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout > 0 and self._precise:
            try:
                select.select([self.fileno()], [], [], timeout)
            except (OSError, ValueError):
                self._precise = False
            else:
                return super().select(0)
        return super().select(timeout)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The server's event loop: on epoll (Linux), one whose timers fire on time."""
    if hasattr(selectors, "EpollSelector"):
        loop: asyncio.AbstractEventLoop = asyncio.SelectorEventLoop(PreciseEpollSelector())
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop


async def _read_all(
    stop: threading.Event,
    stdio: tuple[BinaryIO, BinaryIO],
    protocol: MistralProtocol,
    server: LanguageServer,
) -> None:
    stdin, stdout = stdio
    if _loop_can_read(stdin, stdout):
        inbox = MessageInbox(protocol)
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.connect_read_pipe(lambda: inbox, stdin)
        except (OSError, ValueError) as exc:
            log.info("reading stdin on a thread (%s)", exc)
        else:
            protocol.inbox = inbox
            try:
                await inbox.closed
            finally:
                protocol.inbox = None
                transport.close()
                protocol.run_after_answer()
            return
    try:
        await read_messages(stop, StdinAsyncReader(stdin, server.thread_pool), protocol)
    finally:
        protocol.run_after_answer()


def _loop_can_read(stdin: BinaryIO, stdout: BinaryIO) -> bool:
    """Whether the event loop may read stdin itself: a POSIX pipe or socket that is not also
    stdout (reading sets it non-blocking, which a shared tty or socket would impose on our
    writes too). Files, ttys and Windows handles keep pygls' reader thread."""
    if os.name != "posix":
        return False
    try:
        fd = stdin.fileno()
        info = os.fstat(fd)
    except (AttributeError, OSError, ValueError):
        return False  # not a real file (a test's BytesIO)
    if not (stat.S_ISFIFO(info.st_mode) or stat.S_ISSOCK(info.st_mode)):
        return False
    try:
        out = os.fstat(stdout.fileno())
    except (AttributeError, OSError, ValueError):
        return True
    return (out.st_dev, out.st_ino) != (info.st_dev, info.st_ino)


class Framer:
    """`Content-Length` framing over a byte stream, more forgiving than pygls'.

    pygls' own loop only accepts a header at the very start of a line, so one bad header or
    a wrong length glues the next header to the previous body, and every later message is
    lost. Here a header is recognised at the end of any line, and a bad message is skipped.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._length: int | None = None  # of the body announced by the last header
        self._in_body = False

    @property
    def holding(self) -> bool:
        """Whether part of a message was received and not yet handed out."""
        return bool(self._buffer)

    def body_remaining(self) -> int:
        """Bytes still missing from the body being read (0 when reading headers)."""
        return max(0, (self._length or 0) - len(self._buffer)) if self._in_body else 0

    def feed(self, data: bytes) -> list[bytes]:
        """The bodies that `data` completes, in order."""
        self._buffer += data
        bodies: list[bytes] = []
        while True:
            if self._in_body:
                assert self._length is not None
                if len(self._buffer) < self._length:
                    return bodies
                bodies.append(bytes(self._buffer[: self._length]))
                del self._buffer[: self._length]
                self._length, self._in_body = None, False
                continue
            end = self._buffer.find(b"\n")
            if end < 0:
                return bodies
            line = bytes(self._buffer[: end + 1])
            del self._buffer[: end + 1]
            self._header_line(line)

    def _header_line(self, line: bytes) -> None:
        if not line.strip():
            # a blank line ends the headers; without a usable one, what follows is skipped
            self._in_body = self._length is not None
            return
        if (match := _CONTENT_LENGTH.search(line)) is not None:
            size = int(match.group(1))
            self._length = size if size <= MAX_MESSAGE_BYTES else None
            if self._length is None:
                log.warning("ignored a message of %d bytes", size)


class MessageInbox(asyncio.Protocol):
    """Messages read on the event loop itself, each handled as soon as its last byte is in.

    With pygls' reader thread a message took three thread hops (header, blank line, body)
    to reach the loop, and a keystroke the client had already sent could sit unread while a
    completion for the previous one was answered (a stale ghost text). Here the loop's own
    selector sees the bytes, and `unread` tells a handler that the client sent something
    not handled yet (`catch_up` lets the loop take it in first).
    """

    def __init__(self, protocol: MistralProtocol) -> None:
        self._protocol = protocol
        self._framer = Framer()
        self._fd: int | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        pipe = transport.get_extra_info("pipe")
        self._fd = pipe.fileno() if pipe is not None else None

    def data_received(self, data: bytes) -> None:
        received_at = time.monotonic()
        for body in self._framer.feed(data):
            self._protocol.handle_body(body, received_at)

    def eof_received(self) -> bool | None:
        self._done()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._done()

    def _done(self) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def unread(self) -> bool:
        """Whether the client sent bytes not handled yet (in the pipe, or part of a message)."""
        if self._framer.holding:
            return True
        if self._fd is None or self.closed.done():
            return False
        try:
            return bool(select.select([self._fd], [], [], 0)[0])
        except (OSError, ValueError):
            return False

    async def catch_up(self, rounds: int = 16) -> bool:
        """Let the loop read and handle what the client already sent; True if there was some.

        A few loop turns at most: a message still being written is not waited for."""
        waited = False
        for _ in range(rounds):
            if not self.unread():
                break
            waited = True
            await asyncio.sleep(0)
        return waited


async def read_messages(
    stop: threading.Event, reader: StdinAsyncReader, protocol: MistralProtocol
) -> None:
    """Read `Content-Length` framed messages until EOF (pygls' reader thread)."""
    framer = Framer()
    while not stop.is_set():
        wanted = framer.body_remaining()
        data = await (reader.readexactly(wanted) if wanted else reader.readline())
        if not data:
            return
        for body in framer.feed(data):
            protocol.handle_body(body)


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
