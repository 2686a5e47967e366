"""Starting the real server over stdio the way an editor does, in an isolated environment."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client

SERVER_CMD = [sys.executable, "-m", "lsp_server", "serve", "-vv"]
TEST_API_KEY = "test-key-Zq8vN3xR7mW2pL5tK9yB"
PROFILES = ("neovim", "visual_studio_code")
_SCRUBBED_PREFIXES = ("XDG_", "MISTRAL_", "HTTP_", "HTTPS_", "ALL_PROXY", "NO_PROXY", "SSL")


def isolated_env(tmp: Path, *, api_key: str | None = TEST_API_KEY, **extra: str) -> dict[str, str]:
    """An environment where no user config, cache, policy or proxy of this machine leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_SCRUBBED_PREFIXES)}
    for name, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_DIRS", "site"),
    ):
        path = tmp / "xdg" / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["HOME"] = str(tmp / "home")
    (tmp / "home").mkdir(exist_ok=True)
    if api_key is not None:
        env["MISTRAL_API_KEY"] = api_key
    env.update(extra)
    return env


def policy_file(env: dict[str, str]) -> Path:
    path = Path(env["XDG_CONFIG_DIRS"]) / "mistral-lsp" / "policy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def user_config_file(env: dict[str, str]) -> Path:
    path = Path(env["XDG_CONFIG_HOME"]) / "mistral-lsp" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def endpoint_options(url: str, **sections: Any) -> dict[str, Any]:
    """initializationOptions pointing the server at a fake endpoint (editor layer)."""
    options: dict[str, Any] = {
        "endpoint": {"preset": "custom", "url": url},
        "completion": {"debounceMs": 0},
    }
    for section, values in sections.items():
        options.setdefault(section, {}).update(values)
    return options


async def start_server(
    *,
    root: Path,
    env: dict[str, str],
    profile: str = "neovim",
    init_options: dict[str, Any] | None = None,
    position_encodings: list[str] | None = None,
    configuration: dict[str, Any] | None = None,
    capabilities: types.ClientCapabilities | None = None,
) -> LanguageClient:
    client = make_test_lsp_client()
    statuses: list[dict[str, Any]] = []

    @client.feature("mistral/status")
    def on_status(_client: LanguageClient, params: Any) -> None:
        statuses.append(_plain(params))

    client.statuses = statuses  # type: ignore[attr-defined]
    if configuration is not None:
        client.set_configuration(configuration)
    await client.start_io(*SERVER_CMD, env=env)
    caps = capabilities or client_capabilities(profile)
    if position_encodings is not None:
        caps.general = caps.general or types.GeneralClientCapabilities()
        caps.general.position_encodings = position_encodings
    uri = root.as_uri()
    client.init_result = await client.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=caps,
            root_uri=uri,
            workspace_folders=[types.WorkspaceFolder(uri=uri, name=root.name)],
            initialization_options=init_options,
        )
    )
    return client


def _plain(params: Any) -> dict[str, Any]:
    if isinstance(params, dict):
        return params
    return {k: getattr(params, k) for k in ("state", "message", "endpoint", "model")}


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


async def wait_for_state(client: LanguageClient, *states: str, timeout: float = 20.0) -> dict:
    statuses = client.statuses  # type: ignore[attr-defined]
    ok = await wait_until(lambda: bool(statuses) and statuses[-1]["state"] in states, timeout)
    assert ok, f"status never became {states}; saw {statuses}"
    return statuses[-1]


def open_document(
    client: LanguageClient, path: Path, text: str | None = None, language_id: str = "python"
) -> str:
    uri = path.as_uri()
    content = path.read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language_id, version=1, text=content
            )
        )
    )
    return uri


async def stop_server(client: LanguageClient) -> None:
    """shutdown + exit; a server that does not exit within seconds is killed (and the test
    that expects a clean exit checks the exit code itself)."""
    server = client._server
    try:
        if server is not None and server.returncode is None:
            await asyncio.wait_for(client.shutdown_session(), 10)
            await asyncio.wait_for(server.wait(), 10)
    except TimeoutError:
        if server is not None and server.returncode is None:
            server.kill()
    finally:
        await client.stop()
