"""The VS Code extension's contributed settings mirror the server's settings model, both ways."""

from __future__ import annotations

import json

from lsp_server.config.naming import editor_key
from lsp_server.config.schema import KEYS, POLICY_ONLY_SECTION, is_protected_from_workspace
from tests.paths import ROOT

PACKAGE = ROOT / "editors" / "vscode" / "package.json"
EXTENSION_ONLY = {
    "mistral.server.command",
    "mistral.server.python",
    "mistral.server.source",
    "mistral.server.path",
}
JSON_TYPES = {
    "bool": "boolean",
    "int": "integer",
    "str": "string",
    "list": "array",
    "choice": "string",
}


def _properties() -> dict[str, dict]:
    manifest = json.loads(PACKAGE.read_text(encoding="utf-8"))
    sections = manifest["contributes"]["configuration"]
    sections = sections if isinstance(sections, list) else [sections]
    return {k: v for section in sections for k, v in section["properties"].items()}


def _model_settings() -> dict[str, str]:
    """Editor-visible keys: everything but the policy-only section."""
    return {
        f"mistral.{editor_key(key)}": key
        for key, spec in KEYS.items()
        if spec.section != POLICY_ONLY_SECTION
    }


def test_every_model_key_is_contributed_and_nothing_else() -> None:
    contributed = set(_properties()) - EXTENSION_ONLY
    expected = set(_model_settings())
    assert contributed == expected, (
        f"missing: {sorted(expected - contributed)}; extra: {sorted(contributed - expected)}"
    )


def test_types_defaults_and_choices_match() -> None:
    properties = _properties()
    for name, key in _model_settings().items():
        spec, prop = KEYS[key], properties[name]
        assert prop["type"] == JSON_TYPES[spec.kind], name
        default = list(spec.default) if isinstance(spec.default, tuple) else spec.default
        assert prop.get("default") == default, name
        if spec.kind == "choice":
            assert sorted(prop["enum"]) == sorted(spec.choices), name
        if spec.kind == "int":
            assert (prop.get("minimum"), prop.get("maximum")) == (spec.minimum, spec.maximum), name


def test_where_code_goes_is_machine_scoped_and_restricted() -> None:
    properties = _properties()
    manifest = json.loads(PACKAGE.read_text(encoding="utf-8"))
    restricted = set(manifest["capabilities"]["untrustedWorkspaces"]["restrictedConfigurations"])
    for name, key in _model_settings().items():
        protected = key.startswith(("endpoint.", "privacy.")) or is_protected_from_workspace(key)
        if protected:
            assert properties[name].get("scope") == "machine", name
            assert name in restricted, name
    for name in EXTENSION_ONLY:
        assert properties[name].get("scope") == "machine" and name in restricted
