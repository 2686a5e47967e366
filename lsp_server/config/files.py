"""Where configuration files live and how they are read (the only reader of config files)."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "mistral-lsp"
WORKSPACE_FILE = ".mistral-lsp.toml"


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def policy_path() -> Path:
    """The policy file; on Linux the first directory of XDG_CONFIG_DIRS."""
    return Path(platformdirs.site_config_dir(APP_NAME)) / "policy.toml"


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
