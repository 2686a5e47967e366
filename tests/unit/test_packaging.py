"""The distribution: `python -m build` makes a wheel and an sdist that `twine check` accepts,
and the wheel alone (no source tree) runs `mistral-lsp --version` and loads its query files.

Offline by design: the build runs without isolation (setuptools from the test extra), and the
wheel is installed `--no-deps` into a fresh venv that sees this environment's site-packages
through a .pth file, so the dependencies come from here while `lsp_server` can only come from
the wheel (the check below proves which copy was imported).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURELIB = "import sysconfig; print(sysconfig.get_paths()['purelib'])"


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_"))}
    env["PIP_NO_INDEX"] = "1"  # never download
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done


def _source_copy(dest: Path) -> Path:
    """What the build reads, copied so that egg-info and build/ never land in the checkout."""
    src = dest / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "lsp_server", src / "lsp_server", ignore=shutil.ignore_patterns("__pycache__")
    )
    return src


def test_wheel_and_sdist_build_check_and_install(tmp_path: Path) -> None:
    pytest.importorskip("build")
    pytest.importorskip("twine")
    src = _source_copy(tmp_path)
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, src, cwd=src)
    wheels = list(dist.glob("mistral_lsp-*.whl"))
    sdists = list(dist.glob("mistral_lsp-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, os.listdir(dist)
    checked = _run(sys.executable, "-m", "twine", "check", "--strict", *wheels, *sdists)
    assert checked.stdout.count("PASSED") == 2, checked.stdout

    # Every query file and package datum of the source tree is in the wheel.
    data = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "lsp_server").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert any(name.endswith(".scm") for name in data)
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    assert data <= names, sorted(data - names)
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]

    # A fresh venv: the wheel without dependencies; the dependencies seen from this env.
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    bindir = target / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / ("python.exe" if os.name == "nt" else "python")
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        ).stdout.strip()
    )
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_deps_from_test_env.pth").write_text("\n".join(sorted(here)) + "\n")
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--no-index",
        wheels[0],
    )
    version = _run(bindir / "mistral-lsp", "--version", cwd=tmp_path)
    assert "0." in version.stdout + version.stderr
    probe = (
        "import lsp_server, importlib.resources as r, pathlib;"
        "print(pathlib.Path(lsp_server.__file__).resolve());"
        "q = r.files('lsp_server.index') / 'queries' / 'python.scm';"
        "print(len(q.read_text()))"
    )
    where, size = _run(python, "-c", probe, cwd=tmp_path).stdout.split()
    assert Path(where).is_relative_to(site.resolve()), where  # the wheel's copy, not the checkout
    assert int(size) > 0
