"""Policy files: found in every machine-wide location, combined never less strict than any one.

IT may drop a policy in several places (Ubuntu desktops search `/etc/xdg/xdg-ubuntu` before
`/etc/xdg`; a site file and a team file). The earlier file wins per key, except for the keys
below, which combine towards the stricter value whatever the order: locks add up, allowed
origins and proxies intersect, exclusions add up (each file keeps its own list), and the
privacy switches keep the stronger setting.

Once a policy pins where code goes (the endpoint URL or preset, or allowed origins), every
key that decides where bytes travel or who can read them is locked for the layers below,
unless the policy names what it allows (`policy.allowed_proxies`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsp_server.config import files, naming, schema

# Keys that decide where bytes travel or who can read them.
ROUTE_KEYS: tuple[str, ...] = (
    "endpoint.preset",
    "endpoint.url",
    "endpoint.api",
    "endpoint.proxy",
    "endpoint.ca_bundle",
    "privacy.audit_forward",
)
ORIGIN_KEYS: tuple[str, ...] = ("endpoint.preset", "endpoint.url")
CUMULATIVE_KEYS: tuple[str, ...] = ("privacy.exclude", "index.exclude")


def _intersect(values: list[Any]) -> Any:
    """Entries every restricting file allows (an empty list restricts nothing)."""
    lists = [v for v in values if v]
    if not lists:
        return ()

    def norm(entry: str) -> str:
        return entry.rstrip("/").lower()

    rest = [{norm(e) for e in other} for other in lists[1:]]
    return tuple(v for v in lists[0] if all(norm(v) in other for other in rest))


# How several files' values for one key combine (over the files that set it).
_STRICTEST: dict[str, Callable[[list[Any]], Any]] = {
    "policy.locked": lambda vs: tuple(dict.fromkeys(k for v in vs for k in v)),
    "policy.allowed_origins": _intersect,
    "policy.allowed_proxies": _intersect,
    "policy.allow_insecure_http": all,
    "privacy.secrets": lambda vs: "block" if "block" in vs else vs[0],
    "privacy.audit_log": any,
}


@dataclass
class PolicySet:
    """The combined policy: values to apply, exclusion lists per file, and facts about it."""

    values: dict[str, Any] = field(default_factory=dict)
    exclude_groups: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    locks: tuple[str, ...] = ()
    files: list[Path] = field(default_factory=list)
    digest: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)  # (key, message)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.files)

    def lock_reason(self, key: str) -> str | None:
        """Why a lower layer may not set `key`, or None when it may."""
        if schema.is_locked(key, self.locks):
            return "locked by the policy"
        if key in ROUTE_KEYS and self.pins_route:
            if key == "endpoint.proxy" and self.values.get("policy.allowed_proxies"):
                return None  # checked against the list by the loader
            if key in ORIGIN_KEYS and not self.pins_origin:
                return None  # any origin the policy allows (checked at the boundary)
            return (
                "locked: the policy pins where code goes, so endpoint URL, preset, api, proxy "
                "and CA bundle come from it alone"
            )
        return None

    @property
    def pins_origin(self) -> bool:
        return any(key in self.values for key in ORIGIN_KEYS)

    @property
    def pins_route(self) -> bool:
        return self.pins_origin or bool(self.values.get("policy.allowed_origins"))


def read_policies(paths: Sequence[Path]) -> PolicySet:
    """Read every policy file that exists among `paths` (highest priority first) and combine."""
    found: list[tuple[Path, dict[str, Any]]] = []
    result = PolicySet()
    digests: list[str] = []
    for path in paths:
        loaded = files.read_toml(path)
        if loaded is None:
            continue
        result.files.append(path)
        digests.append(loaded.digest)
        if loaded.error:
            result.errors.append(("", loaded.error + "; the policy fails closed"))
            continue
        values: dict[str, Any] = {}
        for key, raw in naming.flatten(loaded.data).items():
            spec = schema.KEYS.get(key)
            if spec is None:
                result.warnings.append((key, f"unknown setting in {path}; ignored"))
                continue
            value, error = schema.validate(spec, raw)
            if error:
                result.errors.append((key, f"{error} in {path}"))
                continue
            values[key] = value
        found.append((path, values))
    result.digest = (
        digests[0]
        if len(digests) == 1
        else hashlib.sha256("".join(digests).encode()).hexdigest()
        if digests
        else ""
    )
    _combine(found, result)
    return result


def _combine(found: list[tuple[Path, dict[str, Any]]], result: PolicySet) -> None:
    keys = dict.fromkeys(key for _, values in found for key in values)
    for key in keys:
        setters = [values[key] for _, values in found if key in values]
        if key in CUMULATIVE_KEYS:
            result.exclude_groups[key] = [tuple(v) for v in setters if v]
            result.values[key] = tuple(dict.fromkeys(p for v in setters for p in v))
        elif key in _STRICTEST:
            result.values[key] = _STRICTEST[key](setters)
        else:
            result.values[key] = setters[0]
    origins = [v["policy.allowed_origins"] for _, v in found if v.get("policy.allowed_origins")]
    if origins and not result.values.get("policy.allowed_origins"):
        result.errors.append(
            ("policy.allowed_origins", "the policy files allow no origin in common")
        )
    locks = result.values.get("policy.locked", ())
    unknown = [k for k in locks if k not in schema.KEYS and k not in schema.SECTIONS]
    if unknown:
        result.warnings.append(("policy.locked", f"unknown keys {unknown}"))
    result.locks = tuple(locks)
