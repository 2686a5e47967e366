"""A workspace of 100,000 files: indexing stays in the background and can be cancelled."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.hardening_support import status, write_files
from tests.lsp_harness import wait_until

FILES = 100_000


def _progress_values(client: Any, token: Any) -> list[Any]:
    return [getattr(p, "value", p) for p in client.progress_reports.get(token, [])]


def _kinds(values: list[Any]) -> list[str]:
    return [
        getattr(v, "kind", None) or (v.get("kind") if isinstance(v, dict) else "") for v in values
    ]


async def test_hundred_thousand_files_index_in_background_and_cancel(
    launch, workspace: Path, env
) -> None:
    write_files(workspace, FILES, "def f():\n    pass\n")
    (workspace / "open_me.py").write_text("def g(a):\n    return \n")
    client = await launch(root=workspace, env=env, profile="visual_studio_code")

    assert await wait_until(lambda: bool(client.progress_reports), 30), "no indexing progress"
    token = next(iter(client.progress_reports))
    assert await wait_until(lambda: "report" in _kinds(_progress_values(client, token)), 30)

    # While indexing runs, the server keeps answering quickly.
    uri = (workspace / "open_me.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text="def g(a):\n    return \n"
            )
        )
    )
    for _ in range(5):
        started = time.monotonic()
        answer = await asyncio.wait_for(status(client), 5)
        assert time.monotonic() - started < 2, "status took too long during indexing"
        assert answer["state"] in ("indexing", "offline", "ready")
        symbols = await asyncio.wait_for(
            client.text_document_document_symbol_async(
                types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
            ),
            5,
        )
        assert symbols is not None
        await asyncio.sleep(0.1)
    assert "end" not in _kinds(_progress_values(client, token)), "indexing finished too soon"

    # The user cancels the progress: indexing stops, well before all files are done.
    cancelled_at = time.monotonic()
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    assert await wait_until(lambda: "end" in _kinds(_progress_values(client, token)), 20)
    assert time.monotonic() - cancelled_at < 15
    end = _progress_values(client, token)[-1]
    message = getattr(end, "message", "") or ""
    assert "cancelled" in message, message
    indexed = int(message.split()[0])
    assert indexed < FILES, message
    assert (await asyncio.wait_for(status(client), 5))["state"] != "indexing"
