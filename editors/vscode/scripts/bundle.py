"""Bundle the server and its dependencies into the extension, per VS Code target platform.

    python scripts/bundle.py --target linux-x64 [--python 3.11 3.12 3.13] [--out bundled/libs]

Follows ruff-vscode and Microsoft's vscode-python-tools-extension-template (their noxfile's
`_install_bundle` runs `pip install -t ./bundled/libs --no-cache-dir --implementation py
--no-deps --upgrade -r requirements.txt`, and `bundled/tool/lsp_server.py` puts `bundled/libs`
first on sys.path before importing the server). Differences, and why:

- Our dependencies are compiled (tree-sitter, pydantic-core for the Mistral SDK), so the wheels
  are chosen with pip's `--platform/--python-version/--only-binary=:all:` for the target, and one
  directory is made per supported Python minor version (`py3.12/`). Top-level packages that are
  byte-identical for every version (all pure-Python ones, and the abi3 grammar wheels) are moved
  to `common/`, so the .vsix carries them once.
- `mistral-common` (the exact tokenizer, ~80 MB unpacked with numpy) is left out: the server
  falls back to its calibrated estimate. Users who want it run `importStrategy`-style
  `mistral.server.source = "environment"`.
- No `__pycache__`, no console scripts (`bin/`): nothing machine-specific, nothing stale.

pip only downloads wheels from the package index you configured; nothing runs at build time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

EXTENSION = Path(__file__).resolve().parent.parent
ROOT = EXTENSION.parent.parent

# vsce --target → pip --platform tags (newest first; pip accepts any of them).
PLATFORMS: dict[str, list[str]] = {
    "linux-x64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "linux-arm64": ["manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"],
    "darwin-arm64": ["macosx_11_0_arm64"],
    "darwin-x64": ["macosx_10_12_x86_64", "macosx_10_9_x86_64"],
    "win32-x64": ["win_amd64"],
}
DEFAULT_PYTHONS = ("3.11", "3.12", "3.13")
LEFT_OUT = ("mistral-common",)
COMMON = "common"


def dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps: list[str] = project["dependencies"]
    return [d.replace(" ", "") for d in deps if not d.startswith(LEFT_OUT)]


def pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    subprocess.run(cmd, check=True)


def build_wheel(work: Path) -> Path:
    out = work / "wheel"
    pip("wheel", "--no-deps", "-w", str(out), str(ROOT))
    return next(out.glob("mistral_lsp-*.whl"))


def install(target: str, python: str, wheel: Path, dest: Path) -> None:
    tags = [f"--platform={p}" for p in PLATFORMS[target]]
    common = [
        "install",
        "--target",
        str(dest),
        "--no-compile",
        "--only-binary=:all:",
        "--implementation=cp",
        f"--python-version={python}",
        *tags,
    ]
    pip(*common, *dependencies())
    pip(*common, "--no-deps", str(wheel))


def prune(tree: Path) -> None:
    """No bytecode, console scripts, libraries' own test suites (their sample tokens also trip
    vsce's secret scan) or type stubs: nothing the server runs."""
    junk = [*tree.rglob("__pycache__"), tree / "bin"]
    junk += [d for d in tree.glob("*/**/tests") if d.is_dir()]
    for path in junk:
        if path.exists():
            shutil.rmtree(path)
    for pattern in ("*.pyc", "*.pyi"):
        for f in tree.rglob(pattern):
            f.unlink()


def digest(entry: Path) -> str:
    h = hashlib.sha256()
    files = sorted(p for p in entry.rglob("*") if p.is_file()) if entry.is_dir() else [entry]
    for f in files:
        h.update(f.relative_to(entry.parent).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def share_identical(out: Path, versions: list[str]) -> None:
    """Move top-level entries that are identical in every version's tree to `common/`.

    With one version there is nothing to share: everything stays in its own folder (an empty
    `py3.X/` would not even be packaged, and the launcher would find no server for it).
    """
    dirs = [out / f"py{v}" for v in versions]
    common = out / COMMON
    common.mkdir()
    if len(dirs) < 2:
        return
    for entry in sorted(dirs[0].iterdir()):
        copies = [d / entry.name for d in dirs]
        if all(c.exists() for c in copies) and len({digest(c) for c in copies}) == 1:
            entry.rename(common / entry.name)
            for c in copies[1:]:
                shutil.rmtree(c) if c.is_dir() else c.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, choices=sorted(PLATFORMS))
    parser.add_argument("--python", nargs="+", default=list(DEFAULT_PYTHONS), metavar="X.Y")
    parser.add_argument("--out", type=Path, default=EXTENSION / "bundled" / "libs")
    args = parser.parse_args()
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(Path(tmp))
        for version in args.python:
            print(f"bundle: {args.target} Python {version}", file=sys.stderr)
            install(args.target, version, wheel, out / f"py{version}")
            prune(out / f"py{version}")
    share_identical(out, args.python)
    manifest = {"target": args.target, "pythons": args.python, "left_out": list(LEFT_OUT)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
