"""Next-edit suggestions through the real server: the edit that follows a rename, nothing for
an excluded file, and nothing sent while the user keeps typing."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from lsprotocol import types

from fixtures.fake_mistral import FakeMistral
from tests.lsp_harness import endpoint_options, open_document, wait_for_state

SOURCE = "def area(width, height):\n    return width * height\n\n\nprint(area(2, 3))\n"
RENAMED = SOURCE.replace("area(width,", "area(w,")


def window_of(body: dict[str, Any]) -> str:
    """The window the server asked the model to rewrite (the last fenced block)."""
    prompt = body["messages"][-1]["content"]
    blocks = re.findall(r"```[a-z]*\n(.*?)\n```", prompt, re.DOTALL)
    return str(blocks[-1]).replace("<|cursor|>", "")


def rename_width(body: dict[str, Any]) -> str:
    return "```python\n" + window_of(body).replace("width", "w") + "\n```"


async def start(launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral, **extra: Any):
    options = endpoint_options(fake.url, nextEdit={"debounceMs": extra.pop("debounce", 50)})
    for section, values in extra.items():
        options.setdefault(section, {}).update(values)
    client = await launch(root=workspace, env=env, init_options=options)
    await wait_for_state(client, "ready")
    return client


def change(client: Any, uri: str, version: int, old: str, new: str) -> None:
    """Send `new` as one incremental change of `old` (the differing middle only)."""
    start = 0
    while old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old, end_new = end_old - 1, end_new - 1

    def pos(offset: int) -> types.Position:
        line = old.count("\n", 0, offset)
        return types.Position(line, offset - (old.rfind("\n", 0, offset) + 1))

    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(pos(start), pos(end_old)), text=new[start:end_new]
                )
            ],
        )
    )


def plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


async def ask(client: Any, uri: str, version: int, line: int, character: int) -> list[dict]:
    params = {
        "textDocument": {"uri": uri, "version": version},
        "position": {"line": line, "character": character},
    }
    result = await client.protocol.send_request_async("textDocument/copilotInlineEdit", params)
    return list(plain(result)["edits"])


async def test_a_renamed_parameter_yields_the_edit_in_the_body(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake)
    path = workspace / "geometry.py"
    path.write_text(SOURCE)
    uri = open_document(client, path)
    fake.chat_responder = rename_width
    change(client, uri, 2, SOURCE, RENAMED)
    edits = await ask(client, uri, 2, 0, 10)
    assert len(fake.requests_for("chat")) == 1
    assert [(e["range"], e["text"]) for e in edits] == [
        (
            {"start": {"line": 1, "character": 11}, "end": {"line": 1, "character": 16}},
            "w",
        )
    ]
    assert edits[0]["textDocument"] == {"uri": uri, "version": 2}
    assert edits[0]["command"]["command"] == "mistral.nextEditAccepted"
    prompt = fake.requests_for("chat")[0].body["messages"][-1]["content"]
    assert "-def area(width, height):" in prompt and "+def area(w, height):" in prompt


async def test_an_excluded_file_sends_nothing_while_a_control_file_does(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, privacy={"exclude": ["secret_*.py"]})
    fake.chat_responder = rename_width
    for name, expected_requests in (("secret_geometry.py", 0), ("geometry.py", 1)):
        path = workspace / name
        path.write_text(SOURCE)
        uri = open_document(client, path)
        change(client, uri, 2, SOURCE, RENAMED)
        edits = await ask(client, uri, 2, 0, 10)
        assert len(fake.requests_for("chat")) == expected_requests, name
        assert bool(edits) == bool(expected_requests), name


async def test_typing_cancels_and_nothing_is_sent_until_the_pause(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, debounce=400)
    path = workspace / "geometry.py"
    path.write_text(SOURCE)
    uri = open_document(client, path)
    fake.chat_responder = rename_width
    typed = [SOURCE.replace("area(width,", f"area({'w' + 'x' * i},") for i in range(4)]
    change(client, uri, 2, SOURCE, typed[0])
    pending = asyncio.ensure_future(ask(client, uri, 2, 0, 10))
    for i in range(1, 4):  # keep typing, faster than the debounce
        await asyncio.sleep(0.1)
        change(client, uri, 2 + i, typed[i - 1], typed[i])
    assert await pending == []  # superseded by the keystrokes
    assert fake.requests_for("chat") == []
    change(client, uri, 6, typed[3], RENAMED)
    edits = await ask(client, uri, 6, 0, 10)
    assert len(fake.requests_for("chat")) == 1
    assert [e["text"] for e in edits] == ["w"]
