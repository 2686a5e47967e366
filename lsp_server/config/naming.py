"""The one naming conversion between editor settings and the TOML schema.

Editors (VS Code's `mistral.endpoint.apiKeyEnv`) use camelCase leaf names; TOML files and
the settings model use snake_case (`endpoint.api_key_env`). Both spellings are accepted
everywhere settings arrive as a mapping, nested (`{"endpoint": {"apiKeyEnv": ...}}`) or
dotted (`{"endpoint.apiKeyEnv": ...}`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


def to_snake(name: str) -> str:
    return _CAMEL_BOUNDARY.sub(r"_\1", name).lower()


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested or dotted settings to `{"section.key": value}` in snake_case."""
    flat: dict[str, Any] = {}
    for raw_key, value in mapping.items():
        key = ".".join(to_snake(part) for part in str(raw_key).split("."))
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            flat.update(flatten(value, full))
        else:
            flat[full] = value
    return flat


def editor_key(key: str) -> str:
    """`endpoint.api_key_env` → `endpoint.apiKeyEnv` (the editor's spelling)."""
    return ".".join(to_camel(part) for part in key.split("."))
