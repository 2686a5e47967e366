"""Noise: a client going away is not an error, and the status counts every endpoint request."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from fixtures.fake_mistral import FakeMistral, Reply
from tests.lsp_harness import isolated_env, open_document
from tests.refactor_helpers import SAMPLE, by_title, code_actions, find_line, line_range, start
from tests.refactor_helpers import write_sample as write_cart

TOTAL_RANGE = line_range(
    SAMPLE, find_line(SAMPLE, "def total"), find_line(SAMPLE, "return result * (1 + TAX)")
)


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _read_message(stream: Any) -> dict[str, Any]:
    length = 0
    while True:
        line = stream.readline()
        assert line, "the server closed stdout"
        if not line.strip():
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))  # type: ignore[no-any-return]


def test_a_client_going_away_is_logged_at_info_without_a_traceback(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    log_file = tmp_path / "server.log"
    root = tmp_path / "ws"
    root.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lsp_server", "serve", "-v", "--log-file", str(log_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    init = {"processId": None, "rootUri": root.as_uri(), "capabilities": {}}
    proc.stdin.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init}))
    proc.stdin.flush()
    while _read_message(proc.stdout).get("id") != 1:
        pass
    proc.stdin.write(_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    # The editor quits: its end of the server's stdout closes first, then the server still
    # has things to say (the answer to a request, log messages), then stdin closes.
    proc.stdout.close()
    status = {"command": "mistral.status", "arguments": []}
    for n in range(2, 5):
        message = {"jsonrpc": "2.0", "id": n, "method": "workspace/executeCommand"}
        proc.stdin.write(_frame({**message, "params": status}))
    proc.stdin.flush()
    time.sleep(1.0)
    proc.stdin.close()
    try:
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    log = log_file.read_text()
    assert "client closed the connection" in log or "connection to the client is lost" in log
    assert "Traceback" not in log, log
    assert not [line for line in log.splitlines() if "ERROR" in line], log
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 0, stderr


async def test_status_counts_every_endpoint_request(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "neovim-noresolve")
    uri = open_document(client, write_cart(workspace))
    before = await client.workspace_execute_command_async(_status())
    assert before["counters"]["endpoint_requests"] == 0
    fake.script("chat", Reply(text="`total` adds the prices and the tax."))
    fake.script("chat", Reply(text="It sums."))
    fake.script("chat", Reply(text="It sums, then taxes."))
    actions = await code_actions(client, uri, TOTAL_RANGE)
    for title in ("Mistral: Explain",) * 3:
        command = by_title(actions, title).command
        assert command is not None
        await client.workspace_execute_command_async(
            _status(command.command, list(command.arguments or []))
        )
    after = await client.workspace_execute_command_async(_status())
    counters = after["counters"]
    assert len(fake.requests_for("chat")) == 3
    assert counters["endpoint_requests"] == 3, counters
    assert counters["endpoint_chat"] == 3 and counters["completion_requests"] == 0, counters


def _status(command: str = "mistral.status", arguments: list[Any] | None = None) -> Any:
    from lsprotocol import types

    return types.ExecuteCommandParams(command=command, arguments=arguments or [])
