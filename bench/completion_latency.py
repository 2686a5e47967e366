"""Server overhead of inline completions, and what a typing burst costs.

Drives the real server over stdio (pytest-lsp's client) against fixtures/fake_mistral with a
fixed latency, on a workspace that defaults to the CPython standard library.

- overhead: (client sent → endpoint received) + (endpoint answered → client received), i.e.
  the round trip minus the fake's fixed latency and minus the debounce. Measured twice: with
  the default debounce (the server prepares the prompt inside the debounce window, so that
  work is hidden from the user) and with debounce 0 (everything on the critical path).
- burst: 20 keystrokes 30 ms apart with the default debounce, each followed by an automatic
  inlineCompletion request (no client-side cancellation: the worst case); counts endpoint
  requests and stale results (a non-empty answer for a document state already typed past).

    python bench/completion_latency.py [--root DIR] [--requests 200] [--latency-ms 50] [--json]
        [--engine mistral|ollama|llamacpp|tgi|vllm|all]

`--engine` runs the same measurements against that engine's fake (its own routes and stream
framing, fixtures/fake_mistral/engines) with the matching `endpoint.api`; `all` runs each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsprotocol import types  # noqa: E402

from fixtures.fake_mistral import FakeMistral  # noqa: E402
from lsp_server.config.schema import KEYS  # noqa: E402
from tests.lsp_harness import (  # noqa: E402
    endpoint_options,
    isolated_env,
    open_document,
    start_server,
    stop_server,
    wait_for_state,
)

TARGET_FILE = "json/encoder.py"
ENGINES = ("mistral", "ollama", "llamacpp", "tgi", "vllm")
API = {"mistral": "mistral", "ollama": "ollama", "llamacpp": "llamacpp", "tgi": "tgi"}
MODEL = {
    "ollama": "codestral",
    "llamacpp": "codestral-22b-v0.1-q4_k_m",
    "tgi": "mistralai/Codestral-22B-v0.1",
}


def _fim_route(engine: str) -> str:
    return "completions" if engine == "vllm" else "fim"


def _options(url: str, engine: str, **sections: dict[str, object]) -> dict[str, object]:
    options = endpoint_options(url, **sections)
    options["endpoint"]["api"] = API.get(engine, "openai")  # type: ignore[index]
    options.setdefault("models", {})["completion"] = MODEL.get(  # type: ignore[index]
        engine, "codestral-latest"
    )
    return options


def _fake(latency_s: float, engine: str, text: str) -> FakeMistral:
    fake = FakeMistral(latency_s=latency_s, engine=engine)
    fake.default_fim = fake.default_completions = text
    return fake


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def _completion_points(text: str, count: int) -> list[tuple[int, int]]:
    """(line, column) at the end of non-empty lines: where automatic completions fire."""
    points = []
    for number, line in enumerate(text.split("\n")):
        if line.strip() and not line.strip().startswith("#"):
            points.append((number, len(line)))
    step = max(1, len(points) // count)
    return points[::step][:count]


def _params(uri: str, line: int, column: int) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=column),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
    )


async def measure_overhead(
    root: Path, requests: int, latency_s: float, debounce_ms: int, engine: str = "mistral"
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, _fake(latency_s, engine, "value") as fake:
        env = isolated_env(Path(tmp))
        client = await start_server(
            root=root,
            env=env,
            profile="visual_studio_code",
            init_options=_options(fake.url, engine, completion={"debounceMs": debounce_ms}),
        )
        try:
            await wait_for_state(client, "ready", timeout=300)
            path = root / TARGET_FILE
            text = path.read_text(encoding="utf-8")
            uri = open_document(client, path, text)
            points = _completion_points(text, requests + 10)
            overheads: list[float] = []
            before: list[float] = []
            for i, (line, column) in enumerate(points):
                seen = len(fake.requests)
                sent = time.time()
                result = await client.text_document_inline_completion_async(
                    _params(uri, line, column)
                )
                done = time.time()
                new = fake.requests[seen:]
                if i < 10 or not new or not result.items:
                    continue  # warm-up, or no endpoint call (cache)
                to_endpoint = new[0].received_at - sent - debounce_ms / 1000
                total = done - sent - latency_s - debounce_ms / 1000
                overheads.append(total * 1000)
                before.append(to_endpoint * 1000)
        finally:
            await stop_server(client)
    return {
        "requests": len(overheads),
        "overhead_p50_ms": statistics.median(overheads),
        "overhead_p95_ms": _percentile(overheads, 95),
        "overhead_p99_ms": _percentile(overheads, 99),
        "to_endpoint_p50_ms": statistics.median(before),
    }


async def measure_burst(root: Path, latency_s: float, engine: str = "mistral") -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp, _fake(latency_s, engine, "ghost_text()") as fake:
        env = isolated_env(Path(tmp))
        options = _options(fake.url, engine)
        options["completion"].pop("debounceMs")  # type: ignore[attr-defined] # the default
        client = await start_server(
            root=root, env=env, profile="visual_studio_code", init_options=options
        )
        try:
            await wait_for_state(client, "ready", timeout=300)
            path = Path(tmp) / "burst.py"
            line = "def handler(request):\n    return "
            uri = open_document(client, path, line + "\n")
            # One request first, as an editor's first keystroke would, so the burst measures
            # steady state rather than start-up work.
            await client.text_document_inline_completion_async(_params(uri, 0, 21))
            warm_requests = len(fake.requests_for(_fim_route(engine)))
            version = 1
            pending: list[tuple[int, asyncio.Future]] = []
            answered: list[tuple[int, int, asyncio.Future]] = []  # (asked at, current at answer)
            current = [1]
            typed = "build_response_value"
            column = len("    return ")
            for ch in typed[:20]:
                version += 1
                client.text_document_did_change(
                    types.DidChangeTextDocumentParams(
                        text_document=types.VersionedTextDocumentIdentifier(
                            uri=uri, version=version
                        ),
                        content_changes=[
                            types.TextDocumentContentChangePartial(
                                range=types.Range(
                                    start=types.Position(line=1, character=column),
                                    end=types.Position(line=1, character=column),
                                ),
                                text=ch,
                            )
                        ],
                    )
                )
                column += 1
                future = asyncio.ensure_future(
                    client.text_document_inline_completion_async(_params(uri, 1, column))
                )
                future.add_done_callback(lambda f, v=version: answered.append((v, current[0], f)))
                current[0] = version
                pending.append((version, future))
                await asyncio.sleep(0.030)
            await asyncio.gather(*(f for _, f in pending), return_exceptions=True)
            stale = sum(
                1
                for asked, at_answer, f in answered
                if not f.exception() and f.result() and f.result().items and asked != at_answer
            )
            answered_with_items = sum(
                1 for _, _, f in answered if not f.exception() and f.result() and f.result().items
            )
        finally:
            await stop_server(client)
        return {
            "keystrokes": len(typed[:20]),
            "endpoint_requests": len(fake.requests_for(_fim_route(engine))) - warm_requests,
            "stale_results": stale,
            "answers_with_items": answered_with_items,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--engine", choices=(*ENGINES, "all"), default="mistral")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = Path(args.root)
    latency = args.latency_ms / 1000
    default_debounce = KEYS["completion.debounce_ms"].default
    engines = ENGINES if args.engine == "all" else (args.engine,)
    results = {}
    for engine in engines:
        runs = {
            f"debounce_{ms}ms": asyncio.run(
                measure_overhead(root, args.requests, latency, ms, engine)
            )
            for ms in (default_debounce, 0)
        }
        burst = asyncio.run(measure_burst(root, latency, engine))
        results[engine] = {**runs, "burst": burst}
    if args.json:
        figures = {"workspace": str(root), "latency_ms": args.latency_ms, **results}
        if len(engines) == 1:
            figures = {"workspace": str(root), "latency_ms": args.latency_ms, **results[engine]}
        print(json.dumps(figures, indent=2))
        return 0
    print(f"workspace: {root}  (fake endpoint latency {args.latency_ms:.0f} ms)")
    for engine, result in results.items():
        print(f"-- engine: {engine}")
        for name, overhead in result.items():
            if name == "burst":
                continue
            print(
                f"server overhead ({name.replace('_', ' ')}, excluded) over "
                f"{overhead['requests']} requests: "
                f"p50 {overhead['overhead_p50_ms']:.2f} ms (target ≤ 5), "
                f"p95 {overhead['overhead_p95_ms']:.2f} ms, "
                f"p99 {overhead['overhead_p99_ms']:.2f} ms (target ≤ 20); "
                f"client→endpoint p50 {overhead['to_endpoint_p50_ms']:.2f} ms"
            )
        burst = result["burst"]
        print(
            f"typing burst of {burst['keystrokes']} keystrokes 30 ms apart: "
            f"{burst['endpoint_requests']} endpoint request(s) (target ≤ 2), "
            f"{burst['stale_results']} stale result(s) (target 0), "
            f"{burst['answers_with_items']} answer(s) with items"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
