"""`mistral.configReport`, which the VS Code extension calls to show the *effective* endpoint and
model and the layer each came from (in code-server, User-level machine settings are ignored by
VS Code, so the editor's own view can be wrong): the real server over stdio."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.lsp_harness import TEST_API_KEY, endpoint_options


async def _report(client) -> dict:
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="mistral.configReport", arguments=[])
    )
    assert isinstance(result, dict), result
    return result


async def test_rows_name_the_layer_and_never_the_key(launch, workspace: Path, env) -> None:
    user = Path(env["XDG_CONFIG_HOME"]) / "mistral-lsp" / "config.toml"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('[models]\nchat = "from-user-file"\n')
    options = endpoint_options("https://mistral.internal.example")
    client = await launch(root=workspace, env=env, init_options=options)
    report = await _report(client)
    rows = report["settings"]
    assert rows["endpoint.url"] == {"value": "https://mistral.internal.example", "source": "editor"}
    assert rows["endpoint.preset"]["source"] == "editor"
    assert rows["models.chat"] == {"value": "from-user-file", "source": "user"}
    assert rows["models.completion"]["source"] == "default"
    assert report["endpoint_url"] == "https://mistral.internal.example"
    assert report["endpoint.api_key"] == {
        "set": True,
        "from": "environment variable MISTRAL_API_KEY",
    }
    assert TEST_API_KEY not in repr(report)


async def test_no_editor_settings_shows_the_user_file_values(launch, workspace: Path, env) -> None:
    """The code-server case: the editor sent nothing for the endpoint; the report shows the
    endpoint from config.toml, not the editor's defaults."""
    user = Path(env["XDG_CONFIG_HOME"]) / "mistral-lsp" / "config.toml"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('[endpoint]\npreset = "custom"\nurl = "https://on-prem.example"\n')
    client = await launch(root=workspace, env=env, init_options={})
    rows = (await _report(client))["settings"]
    assert rows["endpoint.preset"] == {"value": "custom", "source": "user"}
    assert rows["endpoint.url"] == {"value": "https://on-prem.example", "source": "user"}
