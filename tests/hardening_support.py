"""Shared pieces of the hardening tests (no tests here).

`ThreadedServer` runs one real server, driven by a pytest-lsp client, on an event loop in a
background thread, so that synchronous hypothesis tests can reuse a single server for
hundreds of examples instead of starting one per example.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp_harness import start_server, stop_server

T = TypeVar("T")

# What must never show in a server's stderr or window/logMessage.
LOG_ALARMS = re.compile(r"InvalidStateError|Task exception was never retrieved|Traceback")


class ThreadedServer:
    """A real server on a private event loop thread; `run(coro)` awaits on that loop."""

    def __init__(self, **start_kwargs: Any) -> None:
        self._kwargs = start_kwargs
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.client: LanguageClient | None = None

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        self.client = self.run(start_server(**self._kwargs), timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.client is not None:
                self.run(stop_server(self.client), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], Awaitable[T]], timeout: float = 30) -> T:
        async def wrapper() -> T:
            return await fn()

        return self.run(wrapper(), timeout)


async def document_text(client: LanguageClient, uri: str) -> dict[str, Any] | None:
    """The server's copy of an open document, through the debug command."""
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="mistral.debug.documentText", arguments=[uri])
    )
    if result is None or isinstance(result, dict):
        return result
    return {"version": result.version, "text": result.text}


async def status(client: LanguageClient) -> dict[str, Any]:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="mistral.status", arguments=[])
    )
    assert isinstance(result, dict), result
    return result


async def still_answers(client: LanguageClient, timeout: float = 10) -> None:
    """A follow-up request the server must answer: proof it is alive and responsive."""
    result = await asyncio.wait_for(status(client), timeout)
    assert "state" in result


def log_lines(client: LanguageClient) -> list[str]:
    return [m.message for m in client.log_messages]


def alarms(text: str) -> list[str]:
    return [line for line in text.splitlines() if LOG_ALARMS.search(line)]


def frame(body: bytes) -> bytes:
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def rpc(obj: Any) -> bytes:
    return frame(json.dumps(obj).encode())


def write_files(root: Path, count: int, text: str = "") -> None:
    """Create `count` tiny files quickly (1,000 per directory)."""
    data = text.encode()
    for start in range(0, count, 1000):
        folder = root / f"d{start // 1000:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(start, min(count, start + 1000)):
            with open(folder / f"f{i}.py", "wb") as fh:
                if data:
                    fh.write(data)
