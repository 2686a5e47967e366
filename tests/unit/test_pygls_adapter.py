"""The pygls internals that lsp_server/pygls_adapter.py relies on still exist with the shapes it
uses. When a pygls upgrade changes one, this fails and names it, instead of the server quietly
leaking futures, losing framing or missing cancellations."""

from __future__ import annotations

import asyncio
import inspect
import json
import select
import selectors
import socket
import time
from typing import Any

import pytest
from lsprotocol import types
from pygls.io_ import StdinAsyncReader
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.protocol.json_rpc import JsonRPCProtocol

from lsp_server.pygls_adapter import (
    RECEIVED_AT,
    Framer,
    MessageInbox,
    MistralProtocol,
    PreciseEpollSelector,
    link_request_cancellation,
    new_event_loop,
    pending_handlers,
    shutdown_requested,
)


class _Writer:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        body = data.split(b"\r\n\r\n", 1)[1]
        self.messages.append(json.loads(body))


def _server() -> tuple[LanguageServer, _Writer]:
    server = LanguageServer("t", "0", protocol_cls=MistralProtocol)
    writer = _Writer()
    server.protocol.set_writer(writer)  # type: ignore[arg-type]
    return server, writer


def test_private_names_exist_with_the_shapes_used() -> None:
    server, _ = _server()
    protocol = server.protocol
    assert isinstance(protocol._request_futures, dict)
    assert isinstance(protocol._shutdown, bool)
    assert protocol.msg_id is None  # a property read outside any handler
    assert isinstance(server._stop_event, object)
    params = list(inspect.signature(JsonRPCProtocol._execute_handler).parameters)
    assert params == ["self", "msg_id", "handler", "callback", "args", "kwargs"]
    assert list(inspect.signature(JsonRPCProtocol._send_response).parameters)[:4] == [
        "self",
        "msg_id",
        "result",
        "error",
    ]
    assert callable(JsonRPCProtocol._send_handler_result)
    for name in ("readline", "readexactly"):  # awaitables read_messages awaits
        assert callable(getattr(StdinAsyncReader, name)), name
    # The built-in handlers MistralProtocol overrides: same names, still generators.
    for name in (
        "lsp_text_document__did_open",
        "lsp_text_document__did_change",
        "lsp_text_document__did_close",
        "lsp_workspace__execute_command",
    ):
        assert inspect.isgeneratorfunction(getattr(LanguageServerProtocol, name)), name
    assert callable(lsp_method)


async def test_a_notification_leaves_no_future_behind() -> None:
    """pygls keeps a future per handled notification; the adapter forgets it."""
    server, _ = _server()

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def saved(params: types.DidSaveTextDocumentParams) -> None:
        pass

    protocol = server.protocol
    assert isinstance(protocol, MistralProtocol)
    protocol.handle_body(
        json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
        ).encode()
    )
    for _ in range(5):
        protocol.handle_body(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": types.TEXT_DOCUMENT_DID_SAVE,
                    "params": {"textDocument": {"uri": "file:///x.py"}},
                }
            ).encode()
        )
    for _ in range(20):
        await asyncio.sleep(0)
    assert pending_handlers(server) == 0

    # Control: pygls' own protocol keeps the future of every async notification handler.
    async def noted() -> None:
        pass

    for protocol_cls, kept in ((LanguageServerProtocol, 5), (MistralProtocol, 0)):
        plain = LanguageServer("t", "0", protocol_cls=protocol_cls)
        for i in range(5):
            plain.protocol._execute_handler(f"n{i}", noted, lambda _f: None, (), None)
        for _ in range(20):
            await asyncio.sleep(0)
        assert len(plain.protocol._request_futures) == kept, protocol_cls


def test_requests_before_initialize_and_after_shutdown_get_answers() -> None:
    server, writer = _server()
    protocol = server.protocol
    assert isinstance(protocol, MistralProtocol)
    protocol.handle_body(b'{"jsonrpc": "2.0", "id": 7, "method": "shutdown"}')
    assert writer.messages[-1]["id"] == 7 and writer.messages[-1]["error"]["code"] == -32002
    protocol.handle_body(b'{"jsonrpc": "2.0", "id": 8, "method": "nope", "params": []}')
    assert writer.messages[-1]["id"] == 8
    assert not shutdown_requested(server)


def test_cancelling_the_request_cancels_the_linked_task() -> None:
    async def scenario() -> bool:
        server, _ = _server()
        protocol = server.protocol
        loop = asyncio.get_running_loop()
        outer: asyncio.Future[Any] = loop.create_future()
        protocol._request_futures["req-1"] = outer
        inner = asyncio.ensure_future(asyncio.sleep(10))
        token = protocol._ctx_msg_id.set("req-1")
        try:
            link_request_cancellation(server, inner)
        finally:
            protocol._ctx_msg_id.reset(token)
        outer.cancel()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return inner.cancelled()

    assert asyncio.run(scenario())


@pytest.mark.parametrize("broken", [b"Content-Length: 5\r\n\r\n{bad}", b"garbage\r\n"])
async def test_a_broken_message_does_not_lose_the_next(broken: bytes) -> None:
    from lsp_server.pygls_adapter import read_messages

    server, writer = _server()
    protocol = server.protocol
    assert isinstance(protocol, MistralProtocol)
    good = b'{"jsonrpc": "2.0", "id": 3, "method": "shutdown"}'
    data = broken + b"Content-Length: %d\r\n\r\n" % len(good) + good

    class Reader:
        def __init__(self, payload: bytes) -> None:
            self._lines = payload.splitlines(keepends=True)
            self._rest = payload

        async def readline(self) -> bytes:
            idx = self._rest.find(b"\n")
            if idx < 0:
                line, self._rest = self._rest, b""
            else:
                line, self._rest = self._rest[: idx + 1], self._rest[idx + 1 :]
            return line

        async def readexactly(self, n: int) -> bytes:
            chunk, self._rest = self._rest[:n], self._rest[n:]
            return chunk

    import threading

    await read_messages(threading.Event(), Reader(data), protocol)  # type: ignore[arg-type]
    assert any(m.get("id") == 3 for m in writer.messages)
    # The same stream read on the event loop, in arbitrary pieces (here one byte at a time).
    framer = Framer()
    bodies = [body for i in range(len(data)) for body in framer.feed(data[i : i + 1])]
    assert bodies[-1] == good and not framer.holding


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def test_the_inbox_tells_what_the_client_sent_and_was_not_handled_yet() -> None:
    """A handler about to answer can see a message still in the pipe or half read (the next
    keystroke), and let the loop take it in first."""
    import os

    server, writer = _server()
    protocol = server.protocol
    assert isinstance(protocol, MistralProtocol)
    read_fd, write_fd = os.pipe()
    loop = asyncio.get_running_loop()
    inbox = MessageInbox(protocol)
    with open(read_fd, "rb", buffering=0) as pipe:
        transport, _ = await loop.connect_read_pipe(lambda: inbox, pipe)
        try:
            assert not inbox.unread() and not await inbox.catch_up()
            message = _frame({"jsonrpc": "2.0", "id": 5, "method": "shutdown"})
            os.write(write_fd, message[:10])
            assert inbox.unread()  # in the pipe, the loop has not run since
            await inbox.catch_up()
            assert inbox.unread() and writer.messages == []  # half a message read: held
            os.write(write_fd, message[10:])
            assert await inbox.catch_up()
            assert [m["id"] for m in writer.messages] == [5] and not inbox.unread()
            os.close(write_fd)
            await asyncio.wait_for(inbox.closed, 5)  # end of input ends the reading
        finally:
            transport.close()


def test_the_loop_reads_stdin_itself_only_from_a_pipe_of_its_own(tmp_path: Any) -> None:
    """A pipe or socket (what editors give) is read on the event loop; a regular file, a
    test's BytesIO, or a stdin that is also stdout (reading sets it non-blocking) keep
    pygls' reader thread."""
    import io
    import os

    from lsp_server.pygls_adapter import _loop_can_read

    read_fd, write_fd = os.pipe()
    out_read_fd, out_fd = os.pipe()  # stdout: another pipe (one pipe's ends share an inode)
    regular = tmp_path / "input"
    regular.write_bytes(b"")
    with (
        open(read_fd, "rb", buffering=0) as pipe,
        open(write_fd, "wb", buffering=0),
        open(out_fd, "wb", buffering=0) as out,
        open(out_read_fd, "rb", buffering=0),
        open(regular, "rb") as plain_file,
    ):
        assert _loop_can_read(pipe, out)  # type: ignore[arg-type]
        assert not _loop_can_read(pipe, pipe)  # type: ignore[arg-type]
        assert not _loop_can_read(plain_file, out)  # type: ignore[arg-type]
        assert not _loop_can_read(io.BytesIO(), out)  # type: ignore[arg-type]


async def test_a_handler_knows_when_its_message_arrived() -> None:
    """An async handler started late (behind a busy loop) still reads its message's arrival,
    which the completion debounce counts from; without one given, it is the time handled."""
    server, writer = _server()
    seen: list[float | None] = []

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams) -> None:
        seen.append(RECEIVED_AT.get())

    protocol = server.protocol
    assert isinstance(protocol, MistralProtocol)
    protocol.handle_body(
        json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
        ).encode()
    )
    hover_request = {
        "jsonrpc": "2.0",
        "method": types.TEXT_DOCUMENT_HOVER,
        "params": {
            "textDocument": {"uri": "file:///x.py"},
            "position": {"line": 0, "character": 0},
        },
    }
    protocol.handle_body(json.dumps({**hover_request, "id": 2}).encode(), received_at=12.5)
    before = time.monotonic()
    protocol.handle_body(json.dumps({**hover_request, "id": 3}).encode())
    for _ in range(20):
        await asyncio.sleep(0)
    assert seen[0] == 12.5
    assert seen[1] is not None and seen[1] >= before
    assert RECEIVED_AT.get() is None  # not left set outside the message's handling


async def test_work_after_an_answer_runs_once_it_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`after_answer` work queued while a request is handled runs after its answer is on
    the wire; queued with no answer coming, it still runs (AFTER_ANSWER_LATEST_S later)."""
    server, writer = _server()
    protocol = server.protocol
    assert isinstance(protocol, MistralProtocol)
    answers_when_run: list[int] = []

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(params: types.HoverParams) -> None:
        protocol.after_answer(lambda: answers_when_run.append(len(writer.messages)))

    protocol.handle_body(
        json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
        ).encode()
    )
    answered = len(writer.messages)
    protocol.handle_body(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": types.TEXT_DOCUMENT_HOVER,
                "params": {
                    "textDocument": {"uri": "file:///x.py"},
                    "position": {"line": 0, "character": 0},
                },
            }
        ).encode()
    )
    for _ in range(20):
        await asyncio.sleep(0)
    assert writer.messages[-1]["id"] == 2
    assert answers_when_run == [answered + 1]  # after the hover's answer, not before

    monkeypatch.setattr("lsp_server.pygls_adapter.AFTER_ANSWER_LATEST_S", 0.0)
    ran: list[bool] = []
    protocol.after_answer(lambda: ran.append(True))
    for _ in range(5):
        await asyncio.sleep(0)
    assert ran == [True]


@pytest.mark.skipif(not hasattr(selectors, "EpollSelector"), reason="epoll is Linux-only")
@pytest.mark.parametrize("select_works", [True, False])
def test_the_precise_selector_reports_what_is_ready(
    monkeypatch: pytest.MonkeyPatch, select_works: bool
) -> None:
    """Waiting through select() on the epoll descriptor loses no event; when select refuses
    the descriptor, the plain epoll wait takes over."""
    if not select_works:

        def refuse(*_args: Any) -> Any:
            raise ValueError("filedescriptor out of range in select()")

        monkeypatch.setattr(select, "select", refuse)
    left, right = socket.socketpair()
    with PreciseEpollSelector() as selector, left, right:
        selector.register(left, selectors.EVENT_READ, "left")
        assert selector.select(0.001) == []  # nothing ready: the wait times out empty
        right.send(b"x")
        ready = selector.select(5.0)
        assert [(key.data, events) for key, events in ready] == [("left", selectors.EVENT_READ)]


def test_the_server_loop_runs_timers_and_readers() -> None:
    """The loop `serve_stdio` runs (new_event_loop) serves sleeps and socket reads."""

    async def scenario() -> bytes:
        reader, writer = await asyncio.open_connection(sock=left)
        right.send(b"ping")
        await asyncio.sleep(0.001)
        data = await reader.read(4)
        writer.close()
        return data

    left, right = socket.socketpair()
    try:
        with right, asyncio.Runner(loop_factory=new_event_loop) as runner:
            assert runner.run(scenario()) == b"ping"
    finally:
        asyncio.set_event_loop(None)
