"""The flat key table derived from the settings dataclasses, and value validation.

Validation never raises to its caller's caller: it returns an error message that names
what is expected, so a bad value can be reported and the previous value kept.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any

from lsp_server.config.settings import section_types

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
    for section, section_cls in section_types().items():
        hints = typing.get_type_hints(section_cls)
        for f in dataclasses.fields(section_cls):
            if f.metadata.get("internal"):
                continue
            spec = _spec_for(section, f, hints[f.name])
            table[spec.name] = spec
    return table


KEYS: dict[str, KeySpec] = _build_table()
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(spec.section for spec in KEYS.values()))


_ACCEPTS: dict[str, Any] = {
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "list": lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v),
    "choice": lambda v: isinstance(v, str),
}


def validate(spec: KeySpec, value: Any) -> tuple[Any, str | None]:
    """Return (normalised value, None) or (None, error message naming what is expected)."""
    error = f"expected {spec.expected()}, got {value!r}"
    if not _ACCEPTS[spec.kind](value):
        return None, error
    if spec.kind == "choice" and value not in spec.choices:
        return None, error
    if spec.kind == "int" and (
        (spec.minimum is not None and value < spec.minimum)
        or (spec.maximum is not None and value > spec.maximum)
    ):
        return None, error
    return (tuple(value) if spec.kind == "list" else value), None


def is_protected_from_workspace(key: str) -> bool:
    return key.split(".", 1)[0] in PROTECTED_SECTIONS and key not in WORKSPACE_ADDITIVE_KEYS


def is_locked(key: str, locked: tuple[str, ...]) -> bool:
    """A lock names a key ("endpoint.url") or a whole section ("endpoint")."""
    return key in locked or key.split(".", 1)[0] in locked
