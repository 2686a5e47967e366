"""The fake Mistral endpoint for the VS Code end-to-end run.

Serves a fixed FIM answer (so the ghost text is known in advance) and, when stopped with
SIGTERM or SIGINT, writes what it received (route, path, model, authorization present) as JSON.

    python editors/vscode/scripts/e2e/fake_endpoint.py --port-file P --report R --fim TEXT
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4]))

from fixtures.fake_mistral import FakeMistral  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--fim", default='"Hello, " + name')
    parser.add_argument("--chat", default="Done.")
    args = parser.parse_args()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with FakeMistral() as fake:
        fake.default_fim = args.fim
        fake.default_chat = args.chat
        args.port_file.write_text(fake.url)
        stop.wait()
        report = [
            {
                "route": r.route,
                "path": r.path,
                "model": r.body.get("model") if isinstance(r.body, dict) else None,
                "authorized": any(k.lower() == "authorization" and v for k, v in r.headers.items()),
            }
            for r in fake.requests
        ]
    args.report.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
