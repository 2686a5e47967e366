"""Configuration layers, the workspace-file restriction, policy locks and validation."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lsp_server.config import load_settings
from lsp_server.config.naming import editor_key, flatten
from lsp_server.config.schema import KEYS
from tests.lsp_harness import TEST_API_KEY, isolated_env, policy_file, user_config_file
from tests.paths import ROOT


def _load(tmp_path: Path, *, user: str = "", workspace: str = "", policy: str = "", editor=None):
    user_path = tmp_path / "user.toml"
    policy_path = tmp_path / "policy.toml"
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    if user:
        user_path.write_text(user)
    if policy:
        policy_path.write_text(policy)
    if workspace:
        (ws / ".mistral-lsp.toml").write_text(workspace)
    return load_settings([ws], editor, user_path=user_path, policy_path=policy_path)


def test_defaults_come_from_the_model(tmp_path: Path) -> None:
    loaded = _load(tmp_path)
    assert loaded.settings.endpoint.base_url == "https://api.eu.mistral.ai"
    assert loaded.settings.models.completion == "codestral-latest"
    assert set(loaded.sources.values()) == {"default"}
    assert not loaded.problems
    assert not loaded.settings.policy.active


def test_layers_override_in_order(tmp_path: Path) -> None:
    loaded = _load(
        tmp_path,
        user='[completion]\nmax_tokens = 64\ndebounce_ms = 10\n[models]\nchat = "u"\n',
        workspace="[completion]\nmax_tokens = 32\n",
        editor={"completion": {"maxTokens": 16}, "models": {"chat": "e"}},
    )
    s = loaded.settings
    assert (s.completion.max_tokens, loaded.sources["completion.max_tokens"]) == (16, "editor")
    assert (s.completion.debounce_ms, loaded.sources["completion.debounce_ms"]) == (10, "user")
    assert (s.models.chat, loaded.sources["models.chat"]) == ("e", "editor")


def test_workspace_file_cannot_redirect_code(tmp_path: Path) -> None:
    loaded = _load(
        tmp_path,
        workspace=(
            '[endpoint]\npreset = "custom"\nurl = "https://attacker.example"\n'
            'api_key_env = "OTHER"\nproxy = "http://evil:8080"\nca_bundle = "/tmp/evil.pem"\n'
            '[privacy]\nsecrets = "redact"\naudit_log = false\nexclude = ["generated/**"]\n'
            '[policy]\nallowed_origins = ["https://attacker.example"]\n'
        ),
    )
    s = loaded.settings
    assert s.endpoint.base_url == "https://api.eu.mistral.ai"
    assert s.endpoint.api_key_env == "MISTRAL_API_KEY"
    assert s.endpoint.proxy == "" and s.endpoint.ca_bundle == ""
    assert s.privacy.audit_log is True
    assert s.privacy.exclude == ("generated/**",)  # adding exclusions is allowed
    assert s.policy.allowed_origins == ()
    flagged = {p.key for p in loaded.problems if p.layer == "workspace"}
    assert {
        "endpoint.url",
        "endpoint.proxy",
        "privacy.audit_log",
        "policy.allowed_origins",
    } <= flagged


def test_exclusions_only_grow_across_layers(tmp_path: Path) -> None:
    loaded = _load(
        tmp_path,
        user='[privacy]\nexclude = ["a/**"]\n',
        workspace='[privacy]\nexclude = ["b/**"]\n',
        editor={"privacy": {"exclude": []}},
        policy='[privacy]\nexclude = ["c/**"]\n',
    )
    assert loaded.settings.privacy.exclude == ("a/**", "b/**", "c/**")


def test_policy_locks_keys_and_sections(tmp_path: Path) -> None:
    loaded = _load(
        tmp_path,
        user='[endpoint]\nurl = "https://user.example"\n[completion]\nmax_tokens = 99\n',
        editor={"endpoint": {"preset": "eu"}, "completion": {"maxTokens": 77, "debounceMs": 5}},
        policy=(
            '[endpoint]\npreset = "custom"\nurl = "https://mistral.internal.example"\n'
            '[policy]\nlocked = ["endpoint", "completion.max_tokens"]\n'
            'allowed_origins = ["https://mistral.internal.example"]\n'
        ),
    )
    s = loaded.settings
    assert s.endpoint.base_url == "https://mistral.internal.example"
    assert s.completion.max_tokens == 128  # locked at its default: nobody below may change it
    assert s.completion.debounce_ms == 5  # not locked
    assert loaded.sources["endpoint.url"] == "policy"
    locked = {(p.layer, p.key) for p in loaded.problems if "locked" in p.message}
    assert ("user", "endpoint.url") in locked
    assert ("editor", "endpoint.preset") in locked
    assert ("editor", "completion.max_tokens") in locked
    assert s.policy.active and len(s.policy.digest) == 64


@pytest.mark.parametrize(
    "policy",
    [
        '[policy]\nallowed_origins = ["https://x.example"\n',
        '[policy]\nallowed_origins = "https://x"\n',
    ],
)
def test_a_broken_policy_is_flagged_so_the_endpoint_fails_closed(tmp_path: Path, policy) -> None:
    loaded = _load(tmp_path, policy=policy)
    assert loaded.settings.policy.error
    assert any(p.layer == "policy" and p.severity == "error" for p in loaded.problems)


def test_policy_keys_only_from_policy(tmp_path: Path) -> None:
    loaded = _load(tmp_path, user="[policy]\nallow_insecure_http = true\n")
    assert loaded.settings.policy.allow_insecure_http is False
    assert any(p.key == "policy.allow_insecure_http" for p in loaded.problems)


@pytest.mark.parametrize(
    ("toml", "key", "expected"),
    [
        ('[completion]\ndebounce_ms = "fast"\n', "completion.debounce_ms", "an integer"),
        ("[completion]\nmax_tokens = 0\n", "completion.max_tokens", ">= 1"),
        ('[completion]\nmultiline = "sometimes"\n', "completion.multiline", "one of"),
        ('[endpoint]\npreset = "us"\n', "endpoint.preset", "one of"),
        ("[index]\nexclude = [1, 2]\n", "index.exclude", "a list of strings"),
        ('[index]\nenabled = "yes"\n', "index.enabled", "true or false"),
        ("[completion]\nunknown_key = 1\n", "completion.unknown_key", "unknown setting"),
    ],
)
def test_invalid_values_are_reported_and_default_kept(
    tmp_path: Path, toml: str, key: str, expected: str
) -> None:
    loaded = _load(tmp_path, user=toml)
    problem = next(p for p in loaded.problems if p.key == key)
    assert expected in problem.message
    assert "user" in str(problem) and key in str(problem)
    if key in KEYS:
        assert loaded.value(key) == KEYS[key].default


def test_invalid_toml_is_reported_not_fatal(tmp_path: Path) -> None:
    loaded = _load(tmp_path, user="[completion\nmax_tokens = ", workspace="= broken")
    assert loaded.settings.completion.max_tokens == 128
    assert sum("not valid TOML" in p.message for p in loaded.problems) == 2


def test_naming_conversion_round_trips() -> None:
    for key in KEYS:
        assert flatten({editor_key(key): 1}) == {key: 1}
    assert flatten({"endpoint": {"apiKeyEnv": "X"}}) == {"endpoint.api_key_env": "X"}
    assert flatten({"endpoint.api_key_env": "X"}) == {"endpoint.api_key_env": "X"}


def test_readme_configuration_reference_matches_model() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", readme, re.MULTILINE))
    assert documented == set(KEYS), (
        f"missing in README: {sorted(set(KEYS) - documented)}; "
        f"unknown in README: {sorted(documented - set(KEYS))}"
    )


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lsp_server", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_config_command_prints_values_and_layers(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    user_config_file(env).write_text("[completion]\nmax_tokens = 64\n")
    policy_file(env).write_text('[models]\ncompletion = "codestral-2501"\n')
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".mistral-lsp.toml").write_text('[index]\nmax_file_kb = 100\n[endpoint]\nurl = "x"\n')
    result = _cli(["config", "--json", "--workspace", str(ws)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["completion.max_tokens"] == {"value": 64, "source": "user"}
    assert data["models.completion"] == {"value": "codestral-2501", "source": "policy"}
    assert data["index.max_file_kb"] == {"value": 100, "source": "workspace"}
    assert data["endpoint.url"] == {"value": "", "source": "default"}
    assert data["endpoint.api_key"] == {"set": True, "from": "environment variable MISTRAL_API_KEY"}
    assert set(data) == set(KEYS) | {"endpoint.api_key", "policy_files"}
    assert "endpoint.url" in result.stderr  # the ignored workspace key is reported
    text = _cli(["config", "--workspace", str(ws)], env, tmp_path)
    for output in (result.stdout, result.stderr, text.stdout, text.stderr):
        assert TEST_API_KEY not in output
    assert "set, from environment variable MISTRAL_API_KEY" in text.stdout


@pytest.mark.parametrize("command", ["serve --help", "index --help", "config --help"])
def test_cli_subcommands_exist(tmp_path: Path, command: str) -> None:
    result = _cli(command.split(), isolated_env(tmp_path), tmp_path)
    assert result.returncode == 0
    assert "usage" in result.stdout
