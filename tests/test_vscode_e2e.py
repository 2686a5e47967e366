"""The packaged VS Code extension in a real VS Code (code-server) driven by headless Chromium.

Runs editors/vscode/scripts/e2e.sh: the .vsix is installed into code-server, a Python file is
opened with the fake endpoint configured, the status bar item must reach "ready" and name the
endpoint, typing must show the endpoint's text as ghost text, and Tab must accept it. Skipped
with the reason when the tools are not installed (`editors/vscode/scripts/e2e.sh install`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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
def test_ghost_text_and_status_bar_in_code_server(tmp_path: Path) -> None:
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
    logs = result.stdout[-4000:] + result.stderr[-4000:]
    report_path = out / "report.json"
    assert report_path.exists(), logs
    report = json.loads(report_path.read_text())
    assert result.returncode == 0, f"{report.get('error')}\n{logs}\nartifacts: {out}"
    assert report["ok"] is True
    assert '"Hello, " + name' in report["ghostText"]
    assert "Mistral: ready" in report["tooltip"]
    assert "Endpoint: 127.0.0.1:" in report["tooltip"]
    requests = json.loads((out / "endpoint-requests.json").read_text())
    assert any(r["route"] == "fim" for r in requests)
