"""`mistral-lsp config [--json] [--workspace DIR]`: every key, its value and its layer."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from lsp_server.config import LoadedConfig, load_settings
from lsp_server.config.schema import KEYS

API_KEY_ROW = "endpoint.api_key"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="Machine-readable output.")
    parser.add_argument(
        "--workspace", default=".", help="Workspace root whose .mistral-lsp.toml applies."
    )


def api_key_presence(loaded: LoadedConfig) -> dict[str, Any]:
    """Whether a key is set and where from — never the key itself."""
    endpoint = loaded.settings.endpoint
    if os.environ.get(endpoint.api_key_env):
        return {"set": True, "from": f"environment variable {endpoint.api_key_env}"}
    if endpoint.api_key_file and Path(endpoint.api_key_file).expanduser().is_file():
        return {"set": True, "from": f"file {endpoint.api_key_file}"}
    return {"set": False, "from": None}


def report(loaded: LoadedConfig) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for key in KEYS:
        value = loaded.value(key)
        rows[key] = {
            "value": list(value) if isinstance(value, tuple) else value,
            "source": loaded.sources[key],
        }
    return rows


def run(args: argparse.Namespace) -> int:
    loaded = load_settings([Path(args.workspace).resolve()])
    rows = report(loaded)
    key = api_key_presence(loaded)
    policies = [str(p) for p in loaded.policy_files]
    if args.json:
        print(json.dumps({**rows, API_KEY_ROW: key, "policy_files": policies}, indent=2))
    else:
        width = max(len(k) for k in rows)
        for name, row in rows.items():
            print(f"{name:<{width}}  {json.dumps(row['value']):<40} ({row['source']})")
        status = f"set, from {key['from']}" if key["set"] else "not set"
        print(f"{API_KEY_ROW:<{width}}  {status}")
        print(f"endpoint URL: {loaded.settings.endpoint.base_url or '(none: set endpoint.url)'}")
        print("policy files: " + (", ".join(policies) if policies else "none found"))
    for problem in loaded.problems:
        print(str(problem), file=sys.stderr)
    return 0
