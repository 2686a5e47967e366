"""Cancellation storms and two servers on one workspace.

A storm: 1,000 inline-completion requests over a few documents, most cancelled at a random
moment with $/cancelRequest. Every request must get exactly one response (a result or
RequestCancelled), the logs must show no InvalidStateError, unretrieved task exception or
traceback, and the fake endpoint must see every stream either finished or closed.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from fixtures.fake_mistral import FakeMistral, Reply
from tests.hardening_support import alarms, log_lines, status, write_files
from tests.lsp_harness import endpoint_options, wait_for_state

STORM = 1000
DOCUMENTS = 8


async def _capture_stderr(client: Any) -> list[str]:
    """Take the server's stderr over from pytest-lsp's forwarder, keeping every line."""
    lines: list[str] = []
    forwarder = client._stderr_forwarder
    if forwarder is not None:
        forwarder.cancel()
    stream = client._server.stderr

    async def pump() -> None:
        while line := await stream.readline():
            lines.append(line.decode("utf-8", "replace"))

    client._hardening_stderr = asyncio.ensure_future(pump())
    return lines


def _count_responses(client: Any) -> Counter:
    """Wrap the client's response handler to count responses per request id."""
    seen: Counter = Counter()
    original = client.protocol._handle_response

    def counting(msg_id: Any, result: Any = None, error: Any = None) -> None:
        seen[str(msg_id)] += 1
        original(msg_id, result, error)

    client.protocol._handle_response = counting
    return seen


async def test_cancellation_storm(launch, workspace: Path, env, fake: FakeMistral) -> None:
    fake.fim_responder = lambda body: "result_value + 1"
    fake.script("fim", *[_drip() for _ in range(STORM)])
    client = await launch(
        root=workspace,
        env=env,
        profile="visual_studio_code",
        # A short debounce: some cancellations land while a request sleeps in it.
        init_options=endpoint_options(fake.url, completion={"debounceMs": 5}),
    )
    stderr = await _capture_stderr(client)
    await wait_for_state(client, "ready")
    responses = _count_responses(client)
    uris = []
    for n in range(DOCUMENTS):
        uri = (workspace / f"storm{n}.py").as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=f"def f{n}(a):\n    return \n"
                )
            )
        )
        uris.append(uri)

    rng = random.Random(8)
    futures: dict[str, asyncio.Future[Any]] = {}
    cancels: list[asyncio.Task[None]] = []

    async def cancel_later(msg_id: str, delay: float) -> None:
        await asyncio.sleep(delay)
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))

    versions = dict.fromkeys(uris, 1)
    kinds = [types.InlineCompletionTriggerKind.Invoked, types.InlineCompletionTriggerKind.Automatic]
    for i in range(STORM):
        msg_id = f"storm-{i}-{uuid.uuid4().hex[:6]}"
        uri = rng.choice(uris)
        if rng.random() < 0.2:  # the user types: the edit supersedes what is in flight
            versions[uri] += 1
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(
                        uri=uri, version=versions[uri]
                    ),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(
                                start=types.Position(line=1, character=11),
                                end=types.Position(line=1, character=12),
                            ),
                            text=rng.choice(["", "x", "y"]),
                        )
                    ],
                )
            )
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=rng.choice([4, 11, 12])),
            context=types.InlineCompletionContext(trigger_kind=rng.choice(kinds)),
        )
        futures[msg_id] = asyncio.ensure_future(
            client.protocol.send_request_async(
                types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
            )
        )
        if rng.random() < 0.8:
            cancels.append(asyncio.ensure_future(cancel_later(msg_id, rng.uniform(0, 0.15))))
        if i % 2 == 0:
            # Paced so that some requests reach the endpoint: the server reads each message
            # as it arrives, so a request sent in the same burst as the next one for its
            # document is superseded before it asks anything.
            await asyncio.sleep(rng.uniform(0, 0.006))

    done, pending = await asyncio.wait(futures.values(), timeout=120)
    assert not pending, f"{len(pending)} of {STORM} requests never got a response"
    await asyncio.gather(*cancels)
    outcomes: Counter = Counter()
    for future in done:
        exc = future.exception()
        if exc is None:
            outcomes["result"] += 1
        elif isinstance(exc, JsonRpcRequestCancelled):
            outcomes["cancelled"] += 1
        else:
            outcomes[f"{type(exc).__name__}: {exc}"] += 1
    assert set(outcomes) <= {"result", "cancelled"}, outcomes
    assert outcomes["cancelled"] > 0 and outcomes["result"] > 0, outcomes

    # Exactly one response per request (a late duplicate would show up here).
    await asyncio.sleep(0.5)
    assert set(responses) == set(futures), "responses for unknown ids"
    assert max(responses.values()) == 1, [k for k, v in responses.items() if v > 1][:5]

    # The server is still fine, tracks no handler but this status request (a notification's
    # future used to stay filed forever: a leak per keystroke), and every stream at the fake
    # ended or was closed.
    after = await status(client)
    assert after["state"] == "ready"
    assert after["handlers"] <= 2, after["handlers"]
    assert fake.wait_for(lambda: fake.active == 0, 10)
    fim = fake.requests_for("fim")
    assert fim and all(r.completed or r.closed_early for r in fim)

    # Whether the storm's cancellations land mid-answer depends on timing; this one does,
    # by construction: cancelled once the fake is streaming, the answer's stream is closed.
    fake.clear()
    fake.script("fim", Reply(chunks=40, delay_s=0.05))
    versions[uris[0]] += 1
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(
                uri=uris[0], version=versions[uris[0]]
            ),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(text="def last(a):\n    ")
            ],
        )
    )
    last = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uris[0]),
                position=types.Position(line=1, character=4),
                context=types.InlineCompletionContext(trigger_kind=kinds[0]),
            ),
            msg_id="last",
        )
    )
    assert await asyncio.to_thread(fake.wait_for, lambda: fake.active == 1, 30)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="last"))
    await asyncio.wait([last], timeout=30)
    assert last.done() and isinstance(last.exception(), (JsonRpcRequestCancelled, type(None)))
    assert await asyncio.to_thread(fake.wait_for, lambda: fake.closed_streams == 1, 30)

    await asyncio.sleep(0.3)
    problems = alarms("".join(stderr)) + alarms("\n".join(log_lines(client)))
    assert not problems, problems[:10]


def _drip() -> Reply:
    """A short streamed answer: long enough for cancellations to land mid-stream."""
    return Reply(chunks=4, delay_s=0.03)


async def test_two_servers_share_one_index_cache(launch, workspace: Path, env) -> None:
    """Both index the same workspace at once, with the same cache directory, and agree."""
    write_files(workspace, 400, "def shared_function():\n    return 1\n")
    for i in range(50):
        (workspace / f"mod{i}.py").write_text(f"def unique_name_{i}(a):\n    return a\n")
    first, second = await asyncio.gather(
        launch(root=workspace, env=env), launch(root=workspace, env=env)
    )

    async def indexed(client: Any) -> bool:
        async def check() -> bool:
            now = await status(client)
            return "indexed" in now["message"]

        for _ in range(600):
            if await check():
                return True
            await asyncio.sleep(0.1)
        return False

    assert all(await asyncio.gather(indexed(first), indexed(second)))

    async def names(client: Any, query: str) -> set[str]:
        result = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
        return {s.name for s in result or []}

    for i in (0, 17, 49):
        assert f"unique_name_{i}" in await names(first, f"unique_name_{i}")
        assert f"unique_name_{i}" in await names(second, f"unique_name_{i}")
    # Edit on disk, tell one server; the other still answers from an intact cache.
    (workspace / "mod3.py").write_text("def renamed_three(a):\n    return a\n")
    first.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(
                    uri=(workspace / "mod3.py").as_uri(), type=types.FileChangeType.Changed
                )
            ]
        )
    )
    for _ in range(50):
        if "renamed_three" in await names(first, "renamed_three"):
            break
        await asyncio.sleep(0.1)
    assert "renamed_three" in await names(first, "renamed_three")
    assert "unique_name_5" in await names(second, "unique_name_5")

    caches = list(Path(env["XDG_CACHE_HOME"]).rglob("*.sqlite*")) + list(
        Path(env["XDG_CACHE_HOME"]).rglob("*.db")
    )
    databases = [p for p in caches if p.suffix in (".sqlite", ".sqlite3", ".db")]
    assert databases, list(Path(env["XDG_CACHE_HOME"]).rglob("*"))
    for db in databases:
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
