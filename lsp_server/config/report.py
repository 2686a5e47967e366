"""Every setting's effective value and the layer it came from: what `mistral-lsp config`
prints and what editors show (`mistral.configReport`)."""

from __future__ import annotations

from typing import Any

from lsp_server.config.loader import LoadedConfig
from lsp_server.config.schema import KEYS


def setting_rows(loaded: LoadedConfig) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for key in KEYS:
        value = loaded.value(key)
        rows[key] = {
            "value": list(value) if isinstance(value, tuple) else value,
            "source": loaded.sources[key],
        }
    return rows
