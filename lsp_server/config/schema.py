"""The flat key table derived from the settings dataclasses, and value validation.

Validation never raises to its caller's caller: it returns an error message that names
what is expected, so a bad value can be reported and the previous value kept.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

from lsp_server.config.settings import Settings

# Keys a workspace file (a cloned repository) may never set: they decide where code goes.
PROTECTED_SECTIONS: tuple[str, ...] = ("endpoint", "privacy", "policy")
# The one protected key a workspace may still extend, never shrink.
WORKSPACE_ADDITIVE_KEYS: tuple[str, ...] = ("privacy.exclude",)
POLICY_ONLY_SECTION = "policy"


@dataclass(frozen=True)
class KeySpec:
    name: str  # "section.key"
    kind: str  # "bool" | "int" | "str" | "list" | "choice"
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0]

    def expected(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "int":
            bounds = []
            if self.minimum is not None:
                bounds.append(f">= {self.minimum}")
            if self.maximum is not None:
                bounds.append(f"<= {self.maximum}")
            return "an integer" + (" " + " and ".join(bounds) if bounds else "")
        return {"bool": "true or false", "str": "a string", "list": "a list of strings"}[self.kind]


def _spec_for(section: str, f: dataclasses.Field[Any], hint: Any) -> KeySpec:
    name = f"{section}.{f.name}"
    meta = f.metadata
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return KeySpec(name, "choice", f.default, meta["doc"], choices=typing.get_args(hint))
    if hint is bool:
        return KeySpec(name, "bool", f.default, meta["doc"])
    if hint is int:
        return KeySpec(
            name, "int", f.default, meta["doc"], minimum=meta["minimum"], maximum=meta["maximum"]
        )
    if hint is str:
        return KeySpec(name, "str", f.default, meta["doc"])
    if origin is tuple:
        return KeySpec(name, "list", f.default, meta["doc"])
    raise TypeError(f"unsupported settings type for {name}: {hint!r}")


def _build_table() -> dict[str, KeySpec]:
    table: dict[str, KeySpec] = {}
    for section in dataclasses.fields(Settings):
        section_cls = section.default_factory  # type: ignore[misc]
        hints = typing.get_type_hints(section_cls)
        for f in dataclasses.fields(section_cls):
            if f.metadata.get("internal"):
                continue
            spec = _spec_for(section.name, f, hints[f.name])
            table[spec.name] = spec
    return table


KEYS: dict[str, KeySpec] = _build_table()
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(spec.section for spec in KEYS.values()))


def validate(spec: KeySpec, value: Any) -> tuple[Any, str | None]:
    """Return (normalised value, None) or (None, error message naming what is expected)."""
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value, None
    elif spec.kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            if spec.minimum is not None and value < spec.minimum:
                return None, f"expected {spec.expected()}, got {value!r}"
            if spec.maximum is not None and value > spec.maximum:
                return None, f"expected {spec.expected()}, got {value!r}"
            return value, None
    elif spec.kind == "str":
        if isinstance(value, str):
            return value, None
    elif spec.kind == "choice":
        if value in spec.choices:
            return value, None
    elif spec.kind == "list":
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value), None
    return None, f"expected {spec.expected()}, got {value!r}"


def is_protected_from_workspace(key: str) -> bool:
    return key.split(".", 1)[0] in PROTECTED_SECTIONS and key not in WORKSPACE_ADDITIVE_KEYS


def is_locked(key: str, locked: tuple[str, ...]) -> bool:
    """A lock names a key ("endpoint.url") or a whole section ("endpoint")."""
    return key in locked or key.split(".", 1)[0] in locked
