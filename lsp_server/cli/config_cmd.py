"""`mistral-lsp config [--json] [--workspace DIR]`: every key, its value and its layer."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lsp_server.config import load_settings
from lsp_server.config.report import setting_rows
from lsp_server.endpoint.keys import key_presence

API_KEY_ROW = "endpoint.api_key"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="Machine-readable output.")
    parser.add_argument(
        "--workspace", default=".", help="Workspace root whose .mistral-lsp.toml applies."
    )


def run(args: argparse.Namespace) -> int:
    loaded = load_settings([Path(args.workspace).resolve()])
    rows = setting_rows(loaded)
    endpoint = loaded.settings.endpoint
    key = key_presence(endpoint.api_key_env, endpoint.api_key_file)
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
