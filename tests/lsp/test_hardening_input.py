"""Hostile and broken input: every case gets an error response or is ignored, and the server
keeps answering (each test ends with a follow-up request).

Most cases share one server (module scope, driven from a background loop) to keep CI time
low; the raw-bytes cases talk to their own server process without a JSON-RPC library.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from fixtures.fake_mistral import FakeMistral
from tests.hardening_support import (
    ThreadedServer,
    document_text,
    frame,
    rpc,
    status,
    still_answers,
)
from tests.lsp_harness import (
    SERVER_CMD,
    endpoint_options,
    isolated_env,
    policy_file,
    user_config_file,
    wait_until,
)

pytestmark = pytest.mark.filterwarnings("ignore::pytest_lsp.checks.LspSpecificationWarning")

FORMFEED_SOURCE = "\x0c\nclass K:\n    def f\U00020000x(self):\n        pass\n"
NESTING = 150_000  # `[` * n: well past the parser's time limit on this machine class
BIG_MB = 20


# ----------------------------------------------------------------------------- raw bytes


class RawServer:
    """The server process spoken to with hand-made bytes; answers collected by id."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.answers: dict[Any, dict[str, Any]] = {}
        self.other: list[dict[str, Any]] = []
        self._task = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, env: dict[str, str]) -> RawServer:
        proc = await asyncio.create_subprocess_exec(
            *SERVER_CMD,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )
        return cls(proc)

    async def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            line = await out.readline()
            if not line:
                return
            if not line.lower().startswith(b"content-length:"):
                continue
            length = int(line.split(b":", 1)[1])
            while (await out.readline()).strip():
                pass
            message = json.loads(await out.readexactly(length))
            if "id" in message and "method" not in message:
                self.answers[message["id"]] = message
            else:
                self.other.append(message)

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)

    def request(self, msg_id: int, method: str, params: Any) -> None:
        self.send(rpc({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}))

    def status_request(self, msg_id: int) -> None:
        params = {"command": "mistral.status", "arguments": []}
        self.request(msg_id, "workspace/executeCommand", params)

    async def answer(self, msg_id: Any, timeout: float = 15) -> dict[str, Any]:
        ok = await wait_until(lambda: msg_id in self.answers, timeout)
        assert ok, f"no answer to request {msg_id!r}; got {sorted(map(str, self.answers))}"
        return self.answers[msg_id]

    async def close(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()
        self._task.cancel()


async def test_raw_bytes_before_and_after_initialize(tmp_path: Path) -> None:
    server = await RawServer.start(isolated_env(tmp_path, api_key=None))
    try:
        doc = {"textDocument": {"uri": (tmp_path / "a.py").as_uri()}}
        # A request before initialize: ServerNotInitialized; a notification: dropped.
        server.request(1, "textDocument/documentSymbol", doc)
        server.send(rpc({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": doc}))
        assert (await server.answer(1))["error"]["code"] == -32002
        server.request(2, "initialize", {"capabilities": {}, "rootUri": tmp_path.as_uri()})
        assert "capabilities" in (await server.answer(2))["result"]
        server.send(rpc({"jsonrpc": "2.0", "method": "initialized", "params": {}}))

        server.send(frame(b'{"jsonrpc": "2.0", "id": 3, "method": '))  # not JSON
        for body in (b"[1, 2]", b'"text"', b"42", b"null", b"{}", b'{"id": 4}'):
            server.send(frame(body))  # JSON, but not a JSON-RPC message
        # A request with params of the wrong types: InvalidParams, not silence.
        bad = {"textDocument": {"uri": 5}, "position": "here"}
        server.request(5, "textDocument/completion", bad)
        server.request(6, "mistral/noSuchMethod", {})
        server.send(rpc({"jsonrpc": "2.0", "method": "mistral/noSuchNotification"}))
        server.send(rpc({"jsonrpc": "2.0", "method": "$/noSuchNotification", "params": {}}))
        server.status_request(7)
        assert (await server.answer(5))["error"]["code"] == -32602
        assert (await server.answer(6))["error"]["code"] == -32601
        assert "state" in (await server.answer(7))["result"]
        assert 3 not in server.answers and 4 not in server.answers

        # Broken framing: a header that is not a number, a length shorter than the body.
        # The message itself is lost; the ones after it are not.
        server.send(b"Content-Length: many\r\n\r\n{}")
        server.status_request(8)
        server.send(b"Content-Length: 3\r\n\r\n{}}}}")
        server.status_request(9)
        server.send(b"X-Nonsense: 1\r\n\r\n")
        server.status_request(10)
        for msg_id in (8, 9, 10):
            assert "state" in (await server.answer(msg_id))["result"]

        # After shutdown, requests are refused (InvalidRequest) and exit ends the process.
        server.request(11, "shutdown", None)
        assert (await server.answer(11))["result"] is None
        server.status_request(12)
        assert (await server.answer(12))["error"]["code"] == -32600
        server.send(rpc({"jsonrpc": "2.0", "method": "exit"}))
        assert await asyncio.wait_for(server.proc.wait(), 15) == 0
    finally:
        await server.close()


# ----------------------------------------------------------------------------- one server


@pytest.fixture(scope="module")
def fake_endpoint() -> Iterator[FakeMistral]:
    with FakeMistral() as fake:
        fake.default_fim = "value"
        yield fake


@pytest.fixture(scope="module")
def hostile(
    tmp_path_factory: pytest.TempPathFactory, fake_endpoint: FakeMistral
) -> Iterator[tuple[ThreadedServer, Path]]:
    tmp = tmp_path_factory.mktemp("hostile")
    root = tmp / "ws"
    root.mkdir()
    (root / "good.py").write_text("def findable_symbol():\n    return 1\n")
    (root / "bad_utf8.py").write_bytes(b"def invalid_utf8_marker():\n    return '\xff\xfe\xc3'\n")
    (root / "nested.py").write_text("x = " + "[" * NESTING + "]" * NESTING + "\n")
    (root / "nested_marker.py").write_text("def after_nested():\n    pass\n")
    (root / "blob.py").write_bytes(os.urandom(4096))
    # A form feed before the definition: a line break for str.splitlines, not for LSP.
    (root / "formfeed.py").write_text(FORMFEED_SOURCE, encoding="utf-8")
    (root / ".mistral-lsp.toml").write_text("[completion\nenabled = = true\n")
    env = isolated_env(tmp)
    user_config_file(env).write_text('endpoint = "unterminated\n')
    with ThreadedServer(
        root=root,
        env=env,
        profile="neovim",
        init_options=endpoint_options(fake_endpoint.url),
    ) as server:
        yield server, root


def _open(server: ThreadedServer, uri: str, text: str, language_id: str = "python") -> None:
    client = server.client
    assert client is not None

    async def go() -> None:
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language_id, version=1, text=text
                )
            )
        )

    server.call(go, timeout=120)


def _close(server: ThreadedServer, uri: str) -> None:
    client = server.client
    assert client is not None

    async def go() -> None:
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    server.call(go)


def _pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def _completion(server: ThreadedServer, uri: str, pos: types.Position, timeout: float = 30) -> Any:
    client = server.client
    assert client is not None
    params = types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=pos,
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
    )
    return server.run(client.text_document_completion_async(params), timeout)


def _inline(server: ThreadedServer, uri: str, pos: types.Position, timeout: float = 30) -> Any:
    client = server.client
    assert client is not None
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=pos,
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked
        ),
    )
    return server.run(client.text_document_inline_completion_async(params), timeout)


def _symbols(server: ThreadedServer, uri: str, timeout: float = 30) -> Any:
    client = server.client
    assert client is not None
    params = types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    return server.run(client.text_document_document_symbol_async(params), timeout)


def _workspace_symbols(server: ThreadedServer, query: str) -> list[str]:
    client = server.client
    assert client is not None
    params = types.WorkspaceSymbolParams(query=query)
    result = server.run(client.workspace_symbol_async(params))
    return [s.name for s in result or []]


def _alive(server: ThreadedServer, timeout: float = 10) -> None:
    assert server.client is not None
    server.run(still_answers(server.client, timeout), timeout + 5)


def _indexed(server: ThreadedServer) -> None:
    """Wait until the first index build has finished ("ready (indexed N files)")."""
    client = server.client
    assert client is not None

    async def wait() -> bool:
        for _ in range(900):
            now = await status(client)
            if now["state"] == "ready" and "indexed" in now["message"]:
                return True
            await asyncio.sleep(0.1)
        return False

    assert server.run(wait(), 100)


def test_invalid_toml_is_reported_and_defaults_used(hostile) -> None:
    server, _root = hostile
    client = server.client
    assert client is not None
    assert server.run(wait_until(lambda: len(client.messages) >= 2, 15), 20)
    shown = "\n".join(m.message for m in client.messages)
    assert ".mistral-lsp.toml" in shown and "config.toml" in shown
    assert server.run(status(client))["state"] in ("ready", "indexing")


def test_positions_beyond_line_and_document(hostile) -> None:
    server, root = hostile
    uri = (root / "short.py").as_uri()
    _open(server, uri, "def f(a):\n    return \n")
    for pos in (_pos(1, 10_000), _pos(500, 3), _pos(2**31 - 1, 2**31 - 1), _pos(0, 2**31 - 1)):
        result = _completion(server, uri, pos)
        assert result is None or isinstance(result, types.CompletionList)
        inline = _inline(server, uri, pos)
        for item in inline.items if inline else []:
            assert item.range is None or item.range.start.line <= 2
    _close(server, uri)
    _alive(server)


def test_non_file_and_unknown_uris(hostile) -> None:
    server, root = hostile
    client = server.client
    assert client is not None
    for uri in ("untitled:Untitled-1", "https://example.com/a.py", "git:/a.py?ref=HEAD"):
        _open(server, uri, "def f(a):\n    return \n")
        assert server.run(document_text(client, uri))["text"].startswith("def f")
        result = _completion(server, uri, _pos(1, 11))
        assert result is None or isinstance(result, types.CompletionList)
        _inline(server, uri, _pos(1, 11))
        assert _symbols(server, uri) in ([], None)
        _close(server, uri)
    never_opened = (root / "never_opened.py").as_uri()
    assert _completion(server, never_opened, _pos(0, 0)) is None
    assert _inline(server, never_opened, _pos(0, 0)) is None
    assert server.run(document_text(client, never_opened)) is None

    async def stray_notifications() -> None:
        ident = types.VersionedTextDocumentIdentifier(uri=never_opened, version=3)
        change = types.TextDocumentContentChangeWholeDocument(text="x")
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(text_document=ident, content_changes=[change])
        )
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri="not a uri at all")
            )
        )

    server.call(stray_notifications)
    assert server.run(document_text(client, never_opened)) is None
    _alive(server)


def test_unknown_methods(hostile) -> None:
    server, _root = hostile
    client = server.client
    assert client is not None

    async def go() -> str:
        client.protocol.notify("mistral/noSuchNotification", {"x": 1})
        try:
            await client.protocol.send_request_async("mistral/noSuchRequest", {"x": 1})
        except Exception as exc:  # noqa: BLE001 - the error's text names the code
            return f"{type(exc).__name__}: {exc}"
        return "answered"

    assert "MethodNotFound" in server.run(go()) or "Not Found" in server.run(go())
    _alive(server)


def test_twenty_megabyte_document(hostile) -> None:
    server, root = hostile
    uri = (root / "huge.py").as_uri()
    block = "".join(f"def function_{i}(a, b):\n    return a + b * {i}\n\n" for i in range(200))
    text = block * (BIG_MB * 1024 * 1024 // len(block)) + "def tail(x):\n    return \n"
    lines = text.count("\n")
    _open(server, uri, text)
    _alive(server, timeout=30)
    client = server.client
    assert client is not None
    for version in range(2, 6):  # typing in it: each keystroke must not hold the server
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=_pos(lines - 1, 11), end=_pos(lines - 1, 11)), text="x"
        )
        params = types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change],
        )

        async def keystroke(params: types.DidChangeTextDocumentParams = params) -> float:
            started = time.monotonic()
            client.text_document_did_change(params)
            await status(client)
            return time.monotonic() - started

        assert server.run(keystroke()) < 2.0, "a keystroke in a 20 MB document took > 2 s"
    started = time.monotonic()
    result = _completion(server, uri, _pos(lines - 1, 11), timeout=60)
    assert result is not None
    symbols = _symbols(server, uri, timeout=60)
    assert symbols is not None
    _alive(server)
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"completion + symbols on a {BIG_MB} MB document took {elapsed:.1f}s"
    _close(server, uri)
    _alive(server)


def test_binary_file_opened_as_text(hostile) -> None:
    server, root = hostile
    client = server.client
    assert client is not None
    path = root / "blob.py"
    text = path.read_bytes().decode("latin-1")  # every byte, NULs included
    uri = path.as_uri()
    _open(server, uri, text)
    assert server.run(document_text(client, uri))["text"] == text
    _completion(server, uri, _pos(3, 5))
    _inline(server, uri, _pos(0, 1))
    _symbols(server, uri)
    _close(server, uri)
    _alive(server)


def test_invalid_utf8_on_disk_is_skipped(hostile) -> None:
    server, _root = hostile
    _indexed(server)
    assert "findable_symbol" in _workspace_symbols(server, "findable_symbol")
    assert _workspace_symbols(server, "invalid_utf8_marker") == []
    _alive(server)


def test_deeply_nested_code_is_bounded(hostile) -> None:
    server, root = hostile
    _indexed(server)  # the nested file on disk did not stop the index build
    assert "after_nested" in _workspace_symbols(server, "after_nested")
    uri = (root / "nested_open.py").as_uri()
    started = time.monotonic()
    _open(server, uri, "x = " + "[" * NESTING + "]" * NESTING + "\ndef g():\n    return \n")
    _symbols(server, uri, timeout=60)
    _completion(server, uri, _pos(1, 11), timeout=60)
    _alive(server)
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"deeply nested code held the server for {elapsed:.1f}s"
    _close(server, uri)


def test_an_edit_deep_inside_nested_code_is_fast(hostile) -> None:
    server, root = hostile
    client = server.client
    assert client is not None
    depth = 15_000
    uri = (root / "deep_edit.py").as_uri()
    _open(server, uri, "x = " + "[\n" * depth + "]\n" * depth + "def g():\n    return \n")
    _alive(server, timeout=30)
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=_pos(depth, 0), end=_pos(depth, 0)), text="1"
    )

    async def keystroke() -> float:
        started = time.monotonic()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[change],
            )
        )
        await status(client)
        return time.monotonic() - started

    try:
        elapsed = server.run(keystroke(), 120)
    finally:
        _close(server, uri)
    assert elapsed < 1.0, f"one keystroke deep inside nested code held the server {elapsed:.1f}s"


def test_language_without_grammar(hostile) -> None:
    server, root = hostile
    uri = (root / "notes.zzz").as_uri()
    _open(server, uri, "frobnicate the widget\n  then ", language_id="zzz-lang")
    result = _completion(server, uri, _pos(1, 7))
    assert result is None or isinstance(result, types.CompletionList)
    _inline(server, uri, _pos(1, 7))
    assert _symbols(server, uri) in ([], None)
    _close(server, uri)
    _alive(server)


def test_symbol_columns_on_disk_ignore_form_feeds(hostile) -> None:
    server, _root = hostile
    _indexed(server)
    client = server.client
    assert client is not None
    name = "f\U00020000x"
    result = server.run(client.workspace_symbol_async(types.WorkspaceSymbolParams(query=name)))
    (found,) = [s for s in result if s.name == name]
    # The method spans "    def f𠀀x(self):" to the end of "        pass" (utf-16).
    assert found.location.range.start == _pos(2, 4)
    assert found.location.range.end == _pos(3, 12)


async def test_broken_policy_file_fails_closed(launch, workspace: Path, env, fake) -> None:
    policy_file(env).write_text(
        '[policy]\nallowed_origins = ["https://mistral.internal.example"\nlocked = ["endpoint"]\n'
    )
    client = await launch(root=workspace, env=env, init_options=endpoint_options(fake.url))
    uri = (workspace / "p.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text="def f(a):\n    return \n"
            )
        )
    )
    await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=_pos(1, 11),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    assert await wait_until(lambda: any("policy" in m.message for m in client.messages))
    assert fake.requests == []
    assert (await status(client))["state"] == "error"


def test_the_parser_time_limit_stops_a_pathological_parse() -> None:
    """The limit the index relies on for such files really stops tree-sitter, and quickly."""
    from lsp_server.index.languages import ParseTimeout, language_for_path, parse_bytes

    spec = language_for_path("nested.py")
    assert spec is not None
    data = ("x = " + "[" * NESTING + "]" * NESTING + "\n").encode()
    started = time.monotonic()
    with pytest.raises(ParseTimeout):
        parse_bytes(data, spec, timeout_s=0.05)
    assert time.monotonic() - started < 1.0
    parse_bytes(b"def ok():\n    pass\n", spec, timeout_s=0.05)  # the parser is usable again


def test_time_limited_parse_does_not_keep_the_source_alive() -> None:
    import gc
    import sys

    from lsp_server.index.languages import language_for_path, parse_bytes

    spec = language_for_path("leak.py")
    assert spec is not None
    data = b"def f(a):\n    return a + 1\n" * 1000
    before = sys.getrefcount(data)
    for _ in range(5):
        parse_bytes(data, spec)
    gc.collect()
    assert sys.getrefcount(data) == before, "parse_bytes() keeps references to the source"
