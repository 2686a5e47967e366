"""Merges the five configuration layers into effective settings, with provenance.

Layers, lowest first: default, user, workspace, editor, policy. A repository's workspace
file may tune behaviour and add exclusions but never steer where code goes; a key the policy
locks cannot be changed by anything below it. Problems are collected, never raised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsp_server.config import files, naming, schema
from lsp_server.config.settings import Settings

LAYERS: tuple[str, ...] = ("default", "user", "workspace", "editor", "policy")
# Lists that only ever grow across layers: exclusions can be added, never removed.
CUMULATIVE_KEYS: tuple[str, ...] = ("privacy.exclude", "index.exclude")


@dataclass(frozen=True)
class ConfigProblem:
    layer: str
    key: str
    message: str
    severity: str = "warning"  # "warning" | "error"

    def __str__(self) -> str:
        where = f"'{self.key}'" if self.key else "file"
        return f"mistral-lsp config ({self.layer} layer) {where}: {self.message}"


@dataclass
class LoadedConfig:
    settings: Settings
    sources: dict[str, str]
    problems: list[ConfigProblem] = field(default_factory=list)
    policy_file: Path | None = None

    def value(self, key: str) -> Any:
        section, name = key.split(".", 1)
        return getattr(getattr(self.settings, section), name)


@dataclass
class _Layer:
    name: str
    values: dict[str, Any]
    problems: list[ConfigProblem]


def _read_file_layer(name: str, path: Path) -> tuple[_Layer, str]:
    loaded = files.read_toml(path)
    if loaded is None:
        return _Layer(name, {}, []), ""
    problems = []
    if loaded.error:
        problems.append(ConfigProblem(name, "", loaded.error + "; file ignored", "error"))
    return _Layer(name, naming.flatten(loaded.data), problems), loaded.digest


def _editor_layer(editor: Mapping[str, Any] | None) -> _Layer:
    if not editor:
        return _Layer("editor", {}, [])
    if isinstance(editor.get("mistral"), Mapping):
        editor = editor["mistral"]
    return _Layer("editor", naming.flatten(editor), [])


def _workspace_layer(roots: Sequence[Path]) -> _Layer:
    merged = _Layer("workspace", {}, [])
    for root in roots:
        layer, _ = _read_file_layer("workspace", files.workspace_config_path(root))
        merged.problems.extend(layer.problems)
        for key, value in layer.values.items():
            if key in CUMULATIVE_KEYS and key in merged.values:
                value = list(merged.values[key]) + list(value if isinstance(value, list) else [])
            merged.values[key] = value
    return merged


def load_settings(
    workspace_roots: Sequence[Path] = (),
    editor: Mapping[str, Any] | None = None,
    *,
    user_path: Path | None = None,
    policy_path: Path | None = None,
) -> LoadedConfig:
    """Effective settings for these workspace roots and editor settings."""
    user, _ = _read_file_layer("user", user_path or files.user_config_path())
    policy_file = policy_path or files.policy_path()
    policy, policy_digest = _read_file_layer("policy", policy_file)
    layers = [user, _workspace_layer(workspace_roots), _editor_layer(editor), policy]

    values: dict[str, Any] = {key: spec.default for key, spec in schema.KEYS.items()}
    sources: dict[str, str] = {key: "default" for key in schema.KEYS}
    problems: list[ConfigProblem] = []
    locked = _policy_locks(policy, problems)

    for layer in layers:
        problems.extend(layer.problems)
        for key, raw in layer.values.items():
            problem = _apply(layer.name, key, raw, values, sources, locked)
            if problem:
                problems.append(problem)

    policy_error = next(
        (p.message for p in problems if p.layer == "policy" and p.severity == "error"), ""
    )
    settings = _build(
        values, policy_active=bool(policy_digest), policy_digest=policy_digest, error=policy_error
    )
    return LoadedConfig(settings, sources, problems, policy_file if policy_digest else None)


def _policy_locks(policy: _Layer, problems: list[ConfigProblem]) -> tuple[str, ...]:
    raw = policy.values.get("policy.locked", ())
    value, error = schema.validate(schema.KEYS["policy.locked"], raw)
    if error:
        problems.append(ConfigProblem("policy", "policy.locked", error, "error"))
        return ()
    unknown = [k for k in value if k not in schema.KEYS and k not in schema.SECTIONS]
    if unknown:
        problems.append(ConfigProblem("policy", "policy.locked", f"unknown keys {unknown}"))
    return tuple(value)


def _apply(
    layer: str,
    key: str,
    raw: Any,
    values: dict[str, Any],
    sources: dict[str, str],
    locked: tuple[str, ...],
) -> ConfigProblem | None:
    spec = schema.KEYS.get(key)
    if spec is None:
        return ConfigProblem(layer, key, "unknown setting; ignored")
    if spec.section == schema.POLICY_ONLY_SECTION and layer != "policy":
        return ConfigProblem(layer, key, "only the policy file may set policy keys; ignored")
    if layer == "workspace" and schema.is_protected_from_workspace(key):
        return ConfigProblem(
            layer,
            key,
            "a repository's .mistral-lsp.toml cannot set endpoint, key, proxy, CA or privacy "
            "settings (only add to privacy.exclude); ignored",
        )
    if layer != "policy" and schema.is_locked(key, locked):
        return ConfigProblem(layer, key, "locked by the policy; ignored")
    value, error = schema.validate(spec, raw)
    if error:
        return ConfigProblem(
            layer, key, f"{error}; using {values[key]!r} from the {sources[key]} layer", "error"
        )
    if key in CUMULATIVE_KEYS:
        value = tuple(dict.fromkeys((*values[key], *value)))
    values[key] = value
    sources[key] = layer
    return None


def _build(
    values: dict[str, Any], *, policy_active: bool, policy_digest: str, error: str
) -> Settings:
    sections: dict[str, Any] = {}
    for section in dataclasses.fields(Settings):
        cls = section.default_factory  # type: ignore[misc]
        kwargs = {
            f.name: values[f"{section.name}.{f.name}"]
            for f in dataclasses.fields(cls)
            if not f.metadata.get("internal")
        }
        if section.name == "policy":
            kwargs.update(active=policy_active, digest=policy_digest, error=error)
        sections[section.name] = cls(**kwargs)
    return Settings(**sections)
