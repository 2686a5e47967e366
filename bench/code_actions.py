"""Listing code actions: textDocument/codeAction round trips on a 5,000-line file.

Drives the real server over stdio (pytest-lsp's client, the VS Code and Neovim profiles) with
a fake endpoint configured but never called: listing must not ask the model. Requests are
sent one at a time at ranges spread over the file, with diagnostics in half of them, and
the client-observed round trip is reported. Target: p50 ≤ 10 ms.

    python bench/code_actions.py [--lines 5000] [--requests 300] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsprotocol import types  # noqa: E402

from fixtures.fake_mistral import FakeMistral  # noqa: E402
from tests.lsp_harness import (  # noqa: E402
    endpoint_options,
    isolated_env,
    open_document,
    start_server,
    stop_server,
)

TARGET_MS = 10.0


def make_source(lines: int) -> str:
    """A plausible Python module of about `lines` lines: classes of small methods."""
    out = ['"""Generated for the code action benchmark."""', "", "import math", ""]
    n = 0
    while len(out) < lines:
        out += [
            f"class Shape{n}:",
            f"    def __init__(self, size: float = {n}.0) -> None:",
            "        self.size = size",
            "",
            "    def area(self) -> float:",
            "        return math.pi * self.size ** 2",
            "",
            "    def scaled(self, factor):",
            "        result = self.size",
            "        for _ in range(3):",
            "            result = result * factor",
            f"        return Shape{n}(result)",
            "",
            "",
        ]
        n += 1
    return "\n".join(out[:lines]) + "\n"


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(profile: str, lines: int, requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-actions-") as tmp, FakeMistral() as fake:
        tmp_path = Path(tmp)
        root = tmp_path / "ws"
        root.mkdir()
        path = root / "shapes.py"
        text = make_source(lines)
        path.write_text(text, encoding="utf-8")
        client = await start_server(
            root=root,
            env=isolated_env(tmp_path),
            profile=profile,
            init_options=endpoint_options(fake.url),
        )
        try:
            uri = open_document(client, path, text)
            total_lines = text.count("\n")
            timings: list[float] = []
            for i in range(requests + 20):
                line = (i * 997) % (total_lines - 10)
                rng = types.Range(types.Position(line, 0), types.Position(line + 5, 0))
                diagnostics = []
                if i % 2:
                    diagnostics = [types.Diagnostic(range=rng, message="bad thing", source="bench")]
                params = types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=rng,
                    context=types.CodeActionContext(diagnostics=diagnostics),
                )
                started = time.perf_counter()
                result = await client.text_document_code_action_async(params)
                elapsed = (time.perf_counter() - started) * 1000
                assert result, "no actions listed"
                if i >= 20:  # warm-up excluded
                    timings.append(elapsed)
            assert not fake.requests_for("chat"), "listing must not call the model"
        finally:
            await stop_server(client)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 95), 2),
        "max_ms": round(max(timings), 2),
        "requests": len(timings),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {
        profile: asyncio.run(measure(profile, args.lines, args.requests))
        for profile in ("visual_studio_code", "neovim")
    }
    ok = all(r["p50_ms"] <= TARGET_MS for r in results.values())
    if args.json:
        print(json.dumps({"lines": args.lines, "target_p50_ms": TARGET_MS, **results}, indent=2))
    else:
        for profile, r in results.items():
            print(
                f"{profile:<20} p50 {r['p50_ms']:6.2f} ms  p95 {r['p95_ms']:6.2f} ms  "
                f"max {r['max_ms']:6.2f} ms  ({r['requests']} requests, {args.lines} lines)"
            )
        print(f"target p50 ≤ {TARGET_MS} ms: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
