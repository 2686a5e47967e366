"""Soak: many completion requests with random edits, looking for leaks and drift.

One real server over stdio (pytest-lsp's client) against fixtures/fake_mistral on a copy of
fixtures/demo. Each step edits a scratch line of one of a few open documents (so the text
keeps a constant size and no answer comes from the cache) and asks for an invoked inline
completion at the end of that line. Every 1,000 requests one document is closed and opened
again.

Reports, from /proc/<pid> and the server's `mistral.status` command:
- RSS after warm-up and at the end (target: growth ≤ 10 %),
- open file descriptors and asyncio tasks at the end vs after warm-up (target: back to it),
- server overhead (round trip − the fake's fixed latency) p50/p99 per 1,000-request window,
  and the drift: the median p99 of the last three windows over that of the first three.

    python bench/soak.py [--requests 10000] [--warmup 500] [--latency-ms 0] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsprotocol import types  # noqa: E402

from fixtures.fake_mistral import FakeMistral  # noqa: E402
from tests.lsp_harness import (  # noqa: E402
    endpoint_options,
    isolated_env,
    start_server,
    stop_server,
    wait_for_state,
)

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"
DOCUMENTS = 5
WINDOW = 1000
WORDS = ["total", "price", "items", "self.cart", "discount", "len(", "x", "value", "é", "😀"]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class Doc:
    """An open document whose last line is the scratch line the soak rewrites."""

    def __init__(self, uri: str, body: str) -> None:
        self.uri = uri
        self.body = body
        self.scratch = ""
        self.version = 1

    @property
    def text(self) -> str:
        return self.body + self.scratch

    @property
    def scratch_line(self) -> int:
        return self.body.count("\n")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def _status(client: Any) -> dict[str, Any]:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="mistral.status", arguments=[])
    )


async def soak(requests: int, warmup: int, latency_s: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp, FakeMistral(latency_s=latency_s) as fake:
        root = Path(tmp) / "ws"
        shutil.copytree(DEMO, root)
        counter = iter(range(10**9))
        fake.fim_responder = lambda body: f"value_{next(counter) % 97} + 1"
        env = isolated_env(Path(tmp))
        client = await start_server(
            root=root,
            env=env,
            profile="visual_studio_code",
            init_options=endpoint_options(fake.url),
        )
        pid = int(client._server.pid)  # type: ignore[union-attr]
        try:
            await wait_for_state(client, "ready", timeout=120)
            sources = sorted(root.rglob("*.py"))[:DOCUMENTS]
            docs = []
            for path in sources:
                body = path.read_text(encoding="utf-8").rstrip("\n") + "\n    "
                docs.append(Doc(path.as_uri(), body))
            for doc in docs:
                _open(client, doc)

            overheads: list[float] = []
            endpoint_hits: list[bool] = []
            baseline: dict[str, Any] = {}
            rss_by_window: list[int] = []
            started = time.monotonic()
            for i in range(requests):
                if i == warmup:
                    await asyncio.sleep(0.5)
                    now = await _status(client)
                    baseline = {
                        "rss_kb": _rss_kb(pid),
                        "fds": _fds(pid),
                        "tasks": now["tasks"],
                        "handlers": now.get("handlers"),
                    }
                if i and i % WINDOW == 0:
                    rss_by_window.append(_rss_kb(pid))
                    doc = rng.choice(docs)
                    _close(client, doc)
                    doc.version = 1
                    _open(client, doc)
                doc = rng.choice(docs)
                _edit(client, doc, rng)
                seen = len(fake.requests)
                sent = time.perf_counter()
                await client.text_document_inline_completion_async(
                    types.InlineCompletionParams(
                        text_document=types.TextDocumentIdentifier(uri=doc.uri),
                        position=types.Position(
                            line=doc.scratch_line, character=_utf16(doc.scratch) + 4
                        ),
                        context=types.InlineCompletionContext(
                            trigger_kind=types.InlineCompletionTriggerKind.Invoked
                        ),
                    )
                )
                elapsed = time.perf_counter() - sent
                hit = len(fake.requests) > seen
                overheads.append((elapsed - (latency_s if hit else 0.0)) * 1000)
                endpoint_hits.append(hit)
            duration = time.monotonic() - started
            rss_by_window.append(_rss_kb(pid))
            await asyncio.sleep(1.0)
            now = await _status(client)
            end = {
                "rss_kb": _rss_kb(pid),
                "fds": _fds(pid),
                "tasks": now["tasks"],
                "handlers": now.get("handlers"),
            }
            counters = (await _status(client))["counters"]
        finally:
            await stop_server(client)
        fim = fake.requests_for("fim")
    windows = []
    for n, start in enumerate(range(0, requests, WINDOW)):
        chunk = [
            o
            for o, hit in zip(
                overheads[start : start + WINDOW],
                endpoint_hits[start : start + WINDOW],
                strict=True,
            )
            if hit
        ]
        if chunk:
            windows.append(
                {
                    "from": start,
                    "requests": len(chunk),
                    "p50_ms": round(statistics.median(chunk), 3),
                    "p99_ms": round(_percentile(chunk, 99), 3),
                    "rss_kb_after": rss_by_window[n] if n < len(rss_by_window) else None,
                }
            )
    measured = [w for w in windows if w["from"] >= warmup] or windows
    return {
        "requests": requests,
        "warmup": warmup,
        "latency_ms": latency_s * 1000,
        "seconds": round(duration, 1),
        "endpoint_requests": len(fim),
        "unfinished_streams": sum(1 for r in fim if not (r.completed or r.closed_early)),
        "counters": counters,
        "baseline": baseline,
        "end": end,
        "rss_growth": round(end["rss_kb"] / baseline["rss_kb"] - 1, 4),
        "fds_delta": end["fds"] - baseline["fds"],
        "tasks_delta": end["tasks"] - baseline["tasks"],
        "windows": windows,
        # Drift: median p99 of the last three windows over that of the first three.
        "p99_drift": round(
            statistics.median(w["p99_ms"] for w in measured[-3:])
            / statistics.median(w["p99_ms"] for w in measured[:3]),
            3,
        ),
        "p50_median_ms": round(statistics.median(w["p50_ms"] for w in measured), 3),
        "p99_median_ms": round(statistics.median(w["p99_ms"] for w in measured), 3),
    }


def _open(client: Any, doc: Doc) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=doc.uri, language_id="python", version=doc.version, text=doc.text
            )
        )
    )


def _close(client: Any, doc: Doc) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=doc.uri))
    )


def _edit(client: Any, doc: Doc, rng: random.Random) -> None:
    """Replace the scratch line's content after its indent with a random expression."""
    new = "return " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))) + " "
    line = doc.scratch_line
    change = types.TextDocumentContentChangePartial(
        range=types.Range(
            start=types.Position(line=line, character=4),
            end=types.Position(line=line, character=4 + _utf16(doc.scratch)),
        ),
        text=new,
    )
    doc.scratch = new
    doc.version += 1
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
            content_changes=[change],
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    figures = asyncio.run(soak(args.requests, args.warmup, args.latency_ms / 1000, args.seed))
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    base, end = figures["baseline"], figures["end"]
    print(
        f"{figures['requests']} requests in {figures['seconds']} s "
        f"({figures['endpoint_requests']} reached the endpoint, "
        f"{figures['unfinished_streams']} streams left unfinished)"
    )
    print(
        f"RSS after warm-up {base['rss_kb'] / 1024:.1f} MiB, at the end "
        f"{end['rss_kb'] / 1024:.1f} MiB: growth {figures['rss_growth']:+.1%} (target ≤ +10%)"
    )
    print(
        f"open fds {base['fds']} → {end['fds']} (Δ {figures['fds_delta']:+d}); "
        f"asyncio tasks {base['tasks']} → {end['tasks']} (Δ {figures['tasks_delta']:+d}); "
        f"handlers tracked by the protocol {base['handlers']} → {end['handlers']}"
    )
    for w in figures["windows"]:
        print(
            f"  requests {w['from']:>6}+: p50 {w['p50_ms']:.2f} ms, p99 {w['p99_ms']:.2f} ms "
            f"({w['requests']} endpoint calls), RSS after {w['rss_kb_after'] / 1024:.1f} MiB"
        )
    print(
        f"overhead: median of window p50s {figures['p50_median_ms']:.2f} ms, of p99s "
        f"{figures['p99_median_ms']:.2f} ms; p99 drift (last 3 / first 3 windows) = "
        f"{figures['p99_drift']:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
