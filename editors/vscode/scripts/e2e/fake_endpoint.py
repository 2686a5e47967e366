"""The fake Mistral endpoint for the VS Code end-to-end run.

Serves a fixed FIM answer (so the ghost text is known in advance); a chat request that carries
the e2e instruction gets the refactored code (`--refactor-file`), any other chat request gets
`--explanation`. When stopped with SIGTERM or SIGINT it writes what it received (route, path,
model, authorization present, the expected key used, instruction seen) as JSON.

    python editors/vscode/scripts/e2e/fake_endpoint.py --port-file P --report R --fim TEXT \
        --instruction TEXT --refactor-file F --explanation MARKDOWN --key KEY
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))

from fixtures.fake_mistral import FakeMistral  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--fim", default='"Hello, " + name')
    parser.add_argument("--instruction", default="")
    parser.add_argument("--refactor-file", type=Path)
    parser.add_argument("--explanation", default="This function says hello.")
    parser.add_argument("--key", default="", help="the API key requests must carry")
    args = parser.parse_args()

    def chat(body: dict[str, Any]) -> str:
        if args.instruction and args.instruction in json.dumps(body) and args.refactor_file:
            return "```python\n" + args.refactor_file.read_text() + "```\n"
        return args.explanation

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with FakeMistral() as fake:
        fake.default_fim = args.fim
        fake.chat_responder = chat
        args.port_file.write_text(fake.url)
        stop.wait()
        report = [
            {
                "route": r.route,
                "path": r.path,
                "model": r.body.get("model") if isinstance(r.body, dict) else None,
                "authorized": any(k.lower() == "authorization" and v for k, v in r.headers.items()),
                "instruction": bool(args.instruction) and args.instruction in json.dumps(r.body),
                "key_ok": any(
                    k.lower() == "authorization" and v == f"Bearer {args.key}"
                    for k, v in r.headers.items()
                ),
            }
            for r in fake.requests
        ]
    args.report.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
