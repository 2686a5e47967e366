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
from lsp_server.config.policy import CUMULATIVE_KEYS, PolicySet, read_policies
from lsp_server.config.settings import Settings, section_types


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
    policy_files: list[Path] = field(default_factory=list)

    def value(self, key: str) -> Any:
        section, name = key.split(".", 1)
        return getattr(getattr(self.settings, section), name)


@dataclass
class _Layer:
    name: str
    values: dict[str, Any]
    problems: list[ConfigProblem]
    # Exclusion lists, one per file of the layer (workspace roots, policy files).
    groups: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)


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
            if key in CUMULATIVE_KEYS:
                merged.groups.setdefault(key, []).append(value)
            else:
                merged.values[key] = value
    return merged


def _policy_layer(policy: PolicySet) -> _Layer:
    problems = [ConfigProblem("policy", k, m, "error") for k, m in policy.errors]
    problems += [ConfigProblem("policy", k, m) for k, m in policy.warnings]
    values = {k: v for k, v in policy.values.items() if k not in CUMULATIVE_KEYS}
    return _Layer("policy", values, problems, dict(policy.exclude_groups))


def load_settings(
    workspace_roots: Sequence[Path] = (),
    editor: Mapping[str, Any] | None = None,
    *,
    user_path: Path | None = None,
    policy_path: Path | None = None,
    policy_paths: Sequence[Path] | None = None,
) -> LoadedConfig:
    """Effective settings for these workspace roots and editor settings.

    `policy_path`/`policy_paths` replace the machine's policy locations (tests, tools).
    """
    user, _ = _read_file_layer("user", user_path or files.user_config_path())
    if policy_paths is None:
        policy_paths = [policy_path] if policy_path else files.policy_paths()
    policy = read_policies(policy_paths)
    layers = [user, _workspace_layer(workspace_roots), _editor_layer(editor), _policy_layer(policy)]

    values: dict[str, Any] = {key: spec.default for key, spec in schema.KEYS.items()}
    sources: dict[str, str] = {key: "default" for key in schema.KEYS}
    groups: dict[str, list[tuple[str, ...]]] = {key: [] for key in CUMULATIVE_KEYS}
    problems: list[ConfigProblem] = []

    for layer in layers:
        problems.extend(layer.problems)
        for key, raw in layer.values.items():
            if key in CUMULATIVE_KEYS:
                problem = _add_exclusions(layer.name, key, raw, values, sources, groups)
            else:
                problem = _apply(layer.name, key, raw, values, sources, policy)
            if problem:
                problems.append(problem)
        for key, lists in layer.groups.items():
            for raw in lists:
                problem = _add_exclusions(layer.name, key, raw, values, sources, groups)
                if problem:
                    problems.append(problem)

    policy_error = next(
        (p.message for p in problems if p.layer == "policy" and p.severity == "error"), ""
    )
    values["policy.locked"] = _effective_locks(policy)
    if values["policy.locked"]:
        sources["policy.locked"] = "policy"
    settings = _build(
        values, groups, policy_active=policy.active, policy_digest=policy.digest, error=policy_error
    )
    return LoadedConfig(settings, sources, problems, list(policy.files))


def _effective_locks(policy: PolicySet) -> tuple[str, ...]:
    """The policy's own locks plus the keys it locks implicitly by pinning the endpoint."""
    implicit = [k for k in schema.KEYS if policy.lock_reason(k)]
    return tuple(dict.fromkeys((*policy.locks, *implicit)))


def _apply(
    layer: str,
    key: str,
    raw: Any,
    values: dict[str, Any],
    sources: dict[str, str],
    policy: PolicySet,
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
    if layer != "policy":
        reason = policy.lock_reason(key)
        if reason:
            return ConfigProblem(layer, key, f"{reason}; ignored")
    value, error = schema.validate(spec, raw)
    if error:
        return ConfigProblem(
            layer, key, f"{error}; using {values[key]!r} from the {sources[key]} layer", "error"
        )
    if layer != "policy" and key == "endpoint.proxy" and policy.pins_route and value:
        allowed = policy.values.get("policy.allowed_proxies", ())
        if value not in allowed:
            return ConfigProblem(
                layer, key, f"proxy {value!r} is not in the policy's allowed_proxies; ignored"
            )
    values[key] = value
    sources[key] = layer
    return None


def _add_exclusions(
    layer: str,
    key: str,
    raw: Any,
    values: dict[str, Any],
    sources: dict[str, str],
    groups: dict[str, list[tuple[str, ...]]],
) -> ConfigProblem | None:
    """Exclusions only grow: any layer may add a list, none may remove (locks do not apply)."""
    value, error = schema.validate(schema.KEYS[key], raw)
    if error:
        return ConfigProblem(layer, key, f"{error}; ignored", "error")
    if not value:
        return None
    values[key] = tuple(dict.fromkeys((*values[key], *value)))
    sources[key] = layer if sources[key] in ("default", layer) else "several layers"
    groups[key].append(tuple(value))
    return None


def _build(
    values: dict[str, Any],
    groups: dict[str, list[tuple[str, ...]]],
    *,
    policy_active: bool,
    policy_digest: str,
    error: str,
) -> Settings:
    sections: dict[str, Any] = {}
    for section, cls in section_types().items():
        kwargs = {
            f.name: values[f"{section}.{f.name}"]
            for f in dataclasses.fields(cls)
            if not f.metadata.get("internal")
        }
        if section == "policy":
            kwargs.update(active=policy_active, digest=policy_digest, error=error)
        layered = groups.get(f"{section}.exclude")
        if layered is not None:
            kwargs["exclude_layers"] = tuple(layered)
        sections[section] = cls(**kwargs)
    return Settings(**sections)
