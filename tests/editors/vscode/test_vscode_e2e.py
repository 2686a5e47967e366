"""The packaged VS Code extension in a real VS Code (code-server) driven by headless Chromium.

Runs editors/vscode/scripts/e2e.sh: the .vsix is installed into code-server and a Python file is
opened with the fake endpoint configured. Trusted: the status bar item reaches "ready" and names
the endpoint, its menu opens, typing shows the endpoint's text as ghost text and Tab accepts it,
"Refactor selection…" from the light bulb asks for an instruction and applies the answer,
"Explain" shows the answer. Restricted Mode: the item says why, and nothing reaches the
endpoint. A missing interpreter: a notification says so and offers the fix. Skipped with the
reason when the tools are absent (`e2e.sh install`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

EXTENSION = ROOT / "editors" / "vscode"
E2E = EXTENSION / "scripts" / "e2e.sh"
E2E_HOME = Path(os.environ.get("MISTRAL_E2E_HOME", Path.home() / ".cache" / "mistral-lsp-e2e"))
CODE_SERVER = E2E_HOME / "code-server-4.139.1" / ".installed"
INSTALL = "editors/vscode/scripts/e2e.sh install"
PLAYWRIGHT = E2E_HOME / "tools" / "node_modules" / "playwright-core"


def missing_tools() -> str | None:
    if shutil.which("npm") is None:
        return "npm is not installed"
    if not (EXTENSION / "node_modules").is_dir():
        return "editors/vscode/node_modules is absent: run editors/vscode/scripts/ci.sh"
    if not Path(os.environ.get("CHROMIUM", "/usr/bin/chromium")).exists():
        return f"Debian's chromium is not installed: run {INSTALL}"
    if not CODE_SERVER.exists() or not PLAYWRIGHT.is_dir():
        return f"code-server or playwright not in {E2E_HOME}: run {INSTALL}"
    return None


@pytest.mark.slow
@pytest.mark.skipif(missing_tools() is not None, reason=str(missing_tools()))
def test_extension_in_code_server(tmp_path: Path) -> None:
    out = tmp_path / "e2e"
    env = {**os.environ, "PYTHON": sys.executable}
    result = subprocess.run(
        [str(E2E), "run", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    logs = result.stdout[-6000:] + result.stderr[-4000:]
    reports = {}
    for scenario in ("trusted", "untrusted", "missing"):
        path = out / scenario / "report.json"
        assert path.exists(), f"{scenario}: no report\n{logs}"
        reports[scenario] = json.loads(path.read_text())
    errors = {name: r.get("error") for name, r in reports.items() if not r["ok"]}
    # what the editor showed and what the extension and the server logged, for a failure
    # seen only on a CI machine whose artifacts are gone
    seen = {name: reports[name].get("ui") for name in errors}
    server_logs = "".join(
        f"\n--- {name}/{log.name} (end)\n{log.read_text(errors='replace')[-3000:]}"
        for name in errors
        for log in sorted((out / name).glob("*Mistral*.log"))
    )
    assert result.returncode == 0, f"{errors}\n{seen}\n{logs}{server_logs}\nartifacts: {out}"

    trusted = reports["trusted"]
    assert '"Hello, " + name' in trusted["ghostText"]
    assert "Mistral: ready" in trusted["tooltip"]
    assert "Endpoint: 127.0.0.1:" in trusted["tooltip"]
    assert any("Restart server" in row for row in trusted["menu"])
    steps = [step["name"] for step in trusted["steps"]]
    assert {
        "API key set",
        "accepted",
        "instruction prompt",
        "refactored",
        "explanation shown",
        "typed with completions off",
        "completions back on",
    } <= set(steps)
    requests = json.loads((out / "trusted" / "endpoint-requests.json").read_text())
    assert any(r["route"] == "fim" for r in requests)
    assert any(r["route"] == "chat" and r["instruction"] for r in requests)
    assert all(r["key_ok"] for r in requests), "the key set in VS Code did not reach the endpoint"

    untrusted = reports["untrusted"]
    assert "Restricted Mode" in untrusted["tooltip"]
    assert json.loads((out / "untrusted" / "endpoint-requests.json").read_text()) == []

    missing = reports["missing"]
    # The interpreter named in mistral.server.python does not exist: the message names it.
    assert any(
        ("was not found" in n or ("needs Python" in n and "/nonexistent/bin/python3" in n))
        and "Open settings" in n
        for n in missing["notifications"]
    ), missing["notifications"]
