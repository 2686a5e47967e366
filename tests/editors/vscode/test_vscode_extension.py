"""The VS Code extension's own checks, run from pytest so one command covers the whole project.

Each step is an npm script in editors/vscode (see scripts/ci.sh, which also installs the
dependencies with `npm ci`). Skipped, with the reason, when node or node_modules is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.paths import ROOT

EXTENSION = ROOT / "editors" / "vscode"
NPM = shutil.which("npm")

pytestmark = [
    pytest.mark.skipif(NPM is None, reason="npm is not installed (Node >= 20 needed)"),
    pytest.mark.skipif(
        not (EXTENSION / "node_modules").is_dir(),
        reason="editors/vscode/node_modules is absent: "
        "run editors/vscode/scripts/ci.sh --install-only",
    ),
]


def run_script(name: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    assert NPM is not None
    result = subprocess.run(
        [NPM, "run", "--silent", name, *(["--", *args] if args else [])],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"npm run {name} failed:\n{result.stdout}\n{result.stderr}"
    return result


def test_unit_tests_pass() -> None:
    result = run_script("test", "--reporter=json", "--outputFile=.vitest-report.json")
    report = json.loads((EXTENSION / ".vitest-report.json").read_text())
    (EXTENSION / ".vitest-report.json").unlink()
    assert report["success"], result.stdout
    assert report["numFailedTests"] == 0
    assert report["numPassedTests"] >= 40, "fewer extension unit tests ran than exist"


def test_typecheck_strict() -> None:
    tsconfig = json.loads((EXTENSION / "tsconfig.json").read_text())
    assert tsconfig["compilerOptions"]["strict"] is True
    run_script("typecheck")


@pytest.fixture(scope="module")
def vsix() -> Path:
    run_script("package")
    path = EXTENSION / "dist" / "mistral-lsp.vsix"
    assert path.is_file()
    return path


def test_vsix_contains_bundle_and_manifest(vsix: Path) -> None:
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("extension/package.json"))
        bundle = archive.read("extension/dist/extension.js").decode()
    expected = {"extension/dist/extension.js", "extension/package.json", "extension/LICENSE.txt"}
    assert expected <= names
    assert not any(n.startswith("extension/node_modules/") for n in names), "bundle, not deps"
    assert not any(n.startswith("extension/src/") for n in names)
    assert manifest["main"] == "./dist/extension.js"
    # The client library is bundled, and vscode stays external.
    assert "textDocument/inlineCompletion" in bundle
    assert 'require("vscode")' in bundle


def test_vsix_ships_the_server_bundle_without_junk(vsix: Path) -> None:
    """With bundled/libs built (scripts/bundle.py, as ci.sh does), the .vsix carries the server
    and its launcher, and no bytecode, caches, test suites or sources; its size stays reasonable."""
    with zipfile.ZipFile(vsix) as archive:
        names = archive.namelist()
    junk = [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/tests/" in n]
    assert junk == [], junk[:10]
    assert not any(
        n.startswith("extension/test/") or n.startswith("extension/scripts/") for n in names
    )
    if not (EXTENSION / "bundled" / "libs" / "manifest.json").is_file():
        pytest.skip("no bundle built here (editors/vscode/scripts/bundle.py)")
    assert "extension/bundled/tool/serve.py" in names
    server = [n for n in names if "/lsp_server/" in n and n.startswith("extension/bundled/libs/")]
    assert server, "the server package is not in the bundle"
    assert any(n.startswith("extension/bundled/libs/py3.") for n in names)
    assert vsix.stat().st_size < 40 * 1024 * 1024, f"{vsix.stat().st_size / 1e6:.1f} MB"
