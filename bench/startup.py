"""Start-up: process start → first completion answered, and resident memory at idle.

Drives the real server over stdio (pytest-lsp's client) against fixtures/fake_mistral on a
small workspace (a copy of the standard library's json package, so indexing is not what is
measured). The first request is an invoked inlineCompletion (no debounce) sent right after
`initialized` + didOpen, as an editor does when the user asks for one at once.

Two variants, interleaved run by run: with Mistral's exact tokenizer (loaded in a background
thread once the first completion is answered) and without it (`completion.exact_tokenizer =
false`: the estimate only). RSS is read from /proc after `--idle-s` seconds of idle following
the first answer (the SDK, which only refactors need, is imported 5 s after start-up: use
`--idle-s 6` to include it).

    python bench/startup.py [--runs 5] [--idle-s 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsprotocol import types  # noqa: E402

import tests.lsp_harness as harness  # noqa: E402
from fixtures.fake_mistral import FakeMistral  # noqa: E402

TEXT = "import json\n\n\ndef load(path):\n    with open(path) as handle:\n        return "


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def one_run(root: Path, exact: bool, idle_s: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, FakeMistral() as fake:
        fake.default_fim = "json.load(handle)"
        env = harness.isolated_env(Path(tmp))
        started = time.perf_counter()
        options = harness.endpoint_options(fake.url, completion={"exactTokenizer": exact})
        client = await harness.start_server(
            root=root, env=env, profile="visual_studio_code", init_options=options
        )
        initialized = time.perf_counter()
        try:
            uri = harness.open_document(client, root / "loader.py", TEXT)
            lines = TEXT.split("\n")
            params = types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=len(lines) - 1, character=len(lines[-1])),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked
                ),
            )
            result = await client.text_document_inline_completion_async(params)
            answered = time.perf_counter()
            from_endpoint = bool(fake.requests_for("fim")) and bool(result and result.items)
            await asyncio.sleep(idle_s)
            pid = client._server.pid  # type: ignore[union-attr]
            rss = _rss_mb(pid)
        finally:
            await harness.stop_server(client)
    return {
        "initialize_ms": (initialized - started) * 1000,
        "first_completion_ms": (answered - started) * 1000,
        "from_endpoint": float(from_endpoint),
        "idle_rss_mb": rss,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-s", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"exact tokenizer": [], "estimate only": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        shutil.copytree(Path(sysconfig.get_paths()["stdlib"]) / "json", root)
        (root / "loader.py").write_text(TEXT)
        for _ in range(args.runs):
            for name in results:
                results[name].append(
                    asyncio.run(one_run(root, name == "exact tokenizer", args.idle_s))
                )
    figures: dict[str, Any] = {}
    for name, runs in results.items():
        figures[name] = {
            key: round(statistics.median(r[key] for r in runs), 1) for key in runs[0]
        } | {"runs": len(runs)}
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for name, row in figures.items():
        print(
            f"{name:<16} initialize {row['initialize_ms']:6.0f} ms, first completion "
            f"{row['first_completion_ms']:6.0f} ms after process start "
            f"({row['first_completion_ms'] - row['initialize_ms']:.0f} ms after initialize) "
            f"({'from the endpoint' if row['from_endpoint'] >= 0.5 else 'NOT from the endpoint'}), "
            f"idle RSS {row['idle_rss_mb']:.0f} MB  (median of {row['runs']})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
