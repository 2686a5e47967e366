"""The server as an editor sees it: initialize, encodings, sync, status, config, folders, exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from fixtures.fake_mistral import FakeMistral
from lsp_server import __version__
from tests.lsp_harness import (
    PROFILES,
    TEST_API_KEY,
    endpoint_options,
    isolated_env,
    open_document,
    policy_file,
    wait_for_state,
    wait_until,
)


@pytest.mark.parametrize("profile", PROFILES)
async def test_initialize_advertises_features(launch, workspace: Path, env, profile: str) -> None:
    client = await launch(root=workspace, env=env, profile=profile)
    result = client.init_result
    caps = result.capabilities
    assert result.server_info.name == "mistral-lsp"
    assert result.server_info.version == __version__
    offered = (
        (client.capabilities.general.position_encodings or ["utf-16"])
        if client.capabilities.general
        else ["utf-16"]
    )
    assert caps.position_encoding == offered[0]  # the client's first preference we support
    sync = caps.text_document_sync
    assert sync.change == types.TextDocumentSyncKind.Incremental and sync.open_close
    assert caps.inline_completion_provider is not None
    assert caps.completion_provider is not None
    assert caps.workspace_symbol_provider and caps.document_symbol_provider
    assert caps.workspace.workspace_folders.supported


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (["utf-8"], "utf-8"),
        (["utf-32", "utf-16"], "utf-32"),
        (["utf-16"], "utf-16"),
        ([], "utf-16"),
    ],
)
async def test_position_encoding_negotiation(launch, workspace, env, offered, chosen) -> None:
    client = await launch(root=workspace, env=env, position_encodings=offered)
    assert client.init_result.capabilities.position_encoding == chosen


async def _server_text(client, uri: str) -> str:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="mistral.debug.documentText", arguments=[uri])
    )
    return result["text"] if isinstance(result, dict) else result.text


def _units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def _position(text: str, offset: int, encoding: str) -> types.Position:
    before = text[:offset].replace("\r\n", "\n").replace("\r", "\n")
    line = before.count("\n")
    column_text = before[before.rfind("\n") + 1 :]
    return types.Position(line=line, character=_units(column_text, encoding))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
async def test_incremental_sync_with_multibyte_text(launch, workspace, env, encoding) -> None:
    client = await launch(root=workspace, env=env, position_encodings=[encoding])
    text = "emoji = '😀👍🏽'\r\ncafe\u0301 = 1\rnext = 'ä'\nlast"
    path = workspace / "m.py"
    uri = open_document(client, path, text)
    edits = [  # (start, end, new text) as offsets into the oracle text at that moment
        (10, 11, "🎉"),  # replace the second half of a surrogate-pair emoji region
        (len("emoji = '"), len("emoji = '") + 2, "x"),
        (17, 17, "é\r\n"),  # insert a CRLF after the first line's end
        (0, 0, "# 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\n"),
    ]
    oracle = text
    version = 1
    for start, end, new in edits:
        version += 1
        change = types.TextDocumentContentChangePartial(
            range=types.Range(
                start=_position(oracle, start, encoding), end=_position(oracle, end, encoding)
            ),
            text=new,
        )
        oracle = oracle[:start] + new + oracle[end:]
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )
        assert await _server_text(client, uri) == oracle
    # several changes in one notification, the last one at the very end of the document
    changes = [
        types.TextDocumentContentChangePartial(
            range=types.Range(
                start=_position(oracle, 0, encoding), end=_position(oracle, 2, encoding)
            ),
            text="#!",
        )
    ]
    oracle = "#!" + oracle[2:]
    end = _position(oracle, len(oracle), encoding)
    changes.append(
        types.TextDocumentContentChangePartial(range=types.Range(start=end, end=end), text="\n👋")
    )
    oracle += "\n👋"
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version + 1),
            content_changes=changes,
        )
    )
    assert await _server_text(client, uri) == oracle


async def test_status_offline_without_key(launch, workspace, tmp_path) -> None:
    env = isolated_env(tmp_path, api_key=None)
    client = await launch(root=workspace, env=env)
    status = await wait_for_state(client, "offline")
    assert "key" in status["message"].lower()
    assert status["endpoint"] == "https://api.eu.mistral.ai"


async def test_status_ready_with_endpoint_and_no_secret(launch, workspace, env, fake) -> None:
    client = await launch(root=workspace, env=env, init_options=endpoint_options(fake.url))
    status = await wait_for_state(client, "ready")
    assert status["endpoint"] == fake.origin
    assert status["model"] == "codestral-latest"
    for seen in client.statuses:
        assert TEST_API_KEY not in str(seen)
    assert {"starting"} <= {s["state"] for s in client.statuses}


async def test_invalid_setting_is_shown_and_default_used(launch, workspace, env, fake) -> None:
    options = endpoint_options(fake.url, completion={"maxTokens": "lots", "multiline": "maybe"})
    client = await launch(root=workspace, env=env, init_options=options)
    await wait_for_state(client, "ready")
    assert await wait_until(lambda: len(client.messages) >= 2)
    shown = " ".join(m.message for m in client.messages)
    assert "completion.max_tokens" in shown and "editor" in shown and "integer" in shown
    assert "completion.multiline" in shown and "one of" in shown


async def test_workspace_file_cannot_set_endpoint(launch, workspace, env, fake) -> None:
    with FakeMistral() as attacker:
        (workspace / ".mistral-lsp.toml").write_text(
            f'[endpoint]\npreset = "custom"\nurl = "{attacker.url}"\n'
        )
        client = await launch(root=workspace, env=env)
        status = await wait_for_state(client, "ready", "offline")
        assert status["endpoint"] == "https://api.eu.mistral.ai"
        assert await wait_until(lambda: bool(client.messages))
        assert any("endpoint.url" in m.message for m in client.messages)
        assert attacker.requests == []


async def test_locked_endpoint_survives_did_change_configuration(
    launch, workspace, env, fake
) -> None:
    policy_file(env).write_text(
        f'[endpoint]\npreset = "custom"\nurl = "{fake.url}"\n'
        f'[policy]\nlocked = ["endpoint"]\nallowed_origins = ["{fake.origin}"]\n'
    )
    client = await launch(root=workspace, env=env)
    await wait_for_state(client, "ready")
    with FakeMistral() as attacker:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"mistral": {"endpoint": {"preset": "custom", "url": attacker.url}}}
            )
        )
        assert await wait_until(lambda: any("locked" in m.message for m in client.messages))
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="mistral.status", arguments=[])
        )
        assert result["endpoint"] == fake.origin
        assert attacker.requests == []


async def test_endpoint_outside_allowed_origins_is_refused(launch, workspace, env, fake) -> None:
    policy_file(env).write_text(
        '[policy]\nallowed_origins = ["https://mistral.internal.example"]\n'
    )
    client = await launch(root=workspace, env=env, init_options=endpoint_options(fake.url))
    status = await wait_for_state(client, "error")
    assert "allowed" in status["message"].lower()
    assert fake.requests == []


async def test_configuration_pull(launch, workspace, env, fake) -> None:
    client = await launch(
        root=workspace,
        env=env,
        profile="visual_studio_code",
        configuration={
            "mistral": endpoint_options(fake.url, models={"completion": "pulled-model"})
        },
    )
    status = await wait_for_state(client, "ready")
    assert status["model"] == "pulled-model"


async def test_workspace_folders_added_and_removed(launch, tmp_path, env) -> None:
    first = tmp_path / "one"
    second = tmp_path / "two"
    for folder, name in ((first, "alpha_function"), (second, "beta_function")):
        folder.mkdir()
        (folder / "mod.py").write_text(f"def {name}():\n    return 1\n")
    client = await launch(root=first, env=env, profile="visual_studio_code")

    async def names(query: str) -> set[str]:
        found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
        return {s.name for s in found or []}

    assert await wait_until_async(lambda: names("alpha"), {"alpha_function"})
    client.workspace_did_change_workspace_folders(
        types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=second.as_uri(), name="two")],
                removed=[types.WorkspaceFolder(uri=first.as_uri(), name="one")],
            )
        )
    )
    assert await wait_until_async(lambda: names("beta"), {"beta_function"})
    assert await names("alpha") == set()


async def wait_until_async(produce, expected, timeout: float = 20.0) -> bool:
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await produce() == expected:
            return True
        await asyncio.sleep(0.1)
    return await produce() == expected


async def test_shutdown_and_exit_cleanly(launch, workspace, env) -> None:
    client = await launch(root=workspace, env=env)
    await client.shutdown_async(None)
    client.exit(None)
    code = await client._server.wait()
    assert code == 0
