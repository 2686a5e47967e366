"""Where configuration files live and how they are read (the only reader of config files)."""

from __future__ import annotations

import hashlib
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "mistral-lsp"
WORKSPACE_FILE = ".mistral-lsp.toml"


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


POLICY_FILE = "policy.toml"
# Where IT drops policies on Linux whatever the session's XDG_CONFIG_DIRS says: Ubuntu
# desktops set "/etc/xdg/xdg-ubuntu:/etc/xdg", other sessions may leave /etc/xdg out.
LINUX_SYSTEM_CONFIG_DIR = "/etc/xdg"


def policy_paths() -> list[Path]:
    """Every policy file location, highest priority first.

    platformdirs returns only the first XDG_CONFIG_DIRS entry unless asked for all; on macOS
    and Windows this is the machine-wide config directory. On Linux /etc/xdg always counts.
    """
    dirs = platformdirs.site_config_dir(APP_NAME, appauthor=False, multipath=True).split(os.pathsep)
    if sys.platform.startswith("linux"):
        dirs.append(os.path.join(LINUX_SYSTEM_CONFIG_DIR, APP_NAME))
    paths: list[Path] = []
    for directory in dirs:
        if directory and os.path.isabs(directory):
            path = Path(directory) / POLICY_FILE
            if path not in paths:
                paths.append(path)
    return paths


def workspace_config_path(root: Path) -> Path:
    return root / WORKSPACE_FILE


@dataclass(frozen=True)
class TomlFile:
    path: Path
    data: dict[str, Any]
    digest: str  # sha256 of the bytes, "" when absent
    error: str | None = None


def read_toml(path: Path) -> TomlFile | None:
    """None when the file does not exist; an error (never an exception) when it is invalid."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return TomlFile(path, {}, "", f"cannot read {path}: {exc.strerror}")
    digest = hashlib.sha256(raw).hexdigest()
    try:
        return TomlFile(path, tomllib.loads(raw.decode("utf-8")), digest)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return TomlFile(path, {}, digest, f"{path} is not valid TOML: {exc}")
