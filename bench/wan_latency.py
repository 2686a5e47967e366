"""Keystroke → ghost text over a simulated wide-area link, and the TLS handshakes on the way.

The endpoint is fixtures/fake_mistral with TLS (trustme), behind a delaying TCP proxy on
loopback: `--rtt-ms` round trip (half each way; a new connection's first bytes wait one more
round trip, as TCP's handshake would), `--ttft-ms` to the first token, the answer streamed in
`--chunks` chunks `--gap-ms` apart. The floor is rtt + ttft + (chunks - 1) * gap beyond the
debounce.

The completion engine, endpoint service and boundary run in-process (the real code, real
sockets, real TLS; JSON-RPC costs are bench/completion_latency.py's). Each burst types 3
characters 30 ms apart; "beyond the debounce" is the last keystroke → the suggestion, minus
the debounce. A handshake is on the critical path when its TCP connection was accepted after
the debounce ended (the request had to wait for it).

Variants, interleaved burst by burst so the machine's load hits them alike:
- before: httpx2's 5 s keep-alive and no warm-up (what the issue measured);
- after: the keep-alive of lsp_server/endpoint/connection.py and the warm-up on keystrokes;
- after+proxy: the same through an `endpoint.proxy` CONNECT proxy (CONNECTs counted).
Conditions: typing again after `--warm-s` (1 s), after `--idle-s` (12 s) and after a long
pause (5 min), simulated by expiring the pooled connections (what 5 min does to them).

Stream use: a multi-line completion whose block ends at chunk 3 of 10, with the engine's
early stop (the stream is closed once the block is complete) and without it.

    python bench/wan_latency.py [--bursts 10] [--idle-s 12] [--rtt-ms 30] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fixtures.fake_mistral import FakeMistral, Reply  # noqa: E402
from fixtures.fake_mistral.replies import approx_tokens  # noqa: E402
from lsp_server.completion import CompletionEngine, CompletionQuery, decide  # noqa: E402
from lsp_server.config import LoadedConfig, load_settings  # noqa: E402
from lsp_server.endpoint.boundary import guarded_transport  # noqa: E402
from lsp_server.session import Session  # noqa: E402
from tests.fake_endpoint import ConnectProxy  # noqa: E402

DEBOUNCE_MS = 75
KEYSTROKE_GAP_S = 0.030
SINGLE_LINE = "items_for_the_ghost_text_completion)"


# ----------------------------------------------------------------------------- the link


class DelayProxy:
    """A TCP relay on loopback that delays every byte by half the round trip each way, and a
    new connection's first bytes by one more round trip (TCP's handshake). Runs its own loop
    in a thread so the bench's loop does not disturb its timing."""

    def __init__(self, upstream_port: int, rtt_s: float) -> None:
        self.upstream_port = upstream_port
        self.rtt_s = rtt_s
        self.accepted: list[float] = []  # time.time() of each new connection
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> DelayProxy:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _shutdown(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def on_path(self, debounce_end: float, received: float) -> int:
        """Connections the request waited for: accepted (time.time()) between the end of the
        debounce and the request's arrival at the endpoint."""
        return sum(1 for t in self.accepted if debounce_end - 0.002 <= t <= received)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        self.accepted.append(time.time())
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        for w in (writer, up_writer):
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        not_before = loop.time() + self.rtt_s
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, not_before),
                self._pipe(up_reader, writer, not_before),
                return_exceptions=True,
            )
        except asyncio.CancelledError:
            # The proxy is stopping with this connection open: not an error to print.
            for w in (writer, up_writer):
                w.close()

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, not_before: float
    ) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def read() -> None:
            try:
                while data := await src.read(65536):
                    queue.put_nowait((loop.time() + self.rtt_s / 2, data))
            finally:
                queue.put_nowait((loop.time() + self.rtt_s / 2, b""))

        reading = asyncio.ensure_future(read())
        try:
            while True:
                due, data = await queue.get()
                wait = max(due, not_before) - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    break
                dst.write(data)
                await dst.drain()
        except OSError:
            pass
        finally:
            reading.cancel()
            with contextlib.suppress(Exception):
                dst.close()


class NoDelayConnectProxy(ConnectProxy):
    """tests' CONNECT proxy with TCP_NODELAY on both legs, as real proxies set it: without
    it Nagle's algorithm and delayed ACKs add ~40 ms to a new tunnel's first request."""

    def _tunnel(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super()._tunnel(conn)


_create_connection = socket.create_connection


def _create_nodelay_connection(*args: Any, **kwargs: Any) -> socket.socket:
    sock = _create_connection(*args, **kwargs)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


socket.create_connection = _create_nodelay_connection  # the proxy's upstream leg


# ----------------------------------------------------------------------------- clients


@dataclass
class Variant:
    name: str
    session: Session
    engine: CompletionEngine
    connects: Callable[[], int] = lambda: 0
    beyond_ms: dict[str, list[float]] = field(default_factory=dict)
    critical: dict[str, int] = field(default_factory=dict)
    bursts: dict[str, int] = field(default_factory=dict)


def _session(tmp: Path, url: str, ca: str, proxy: str = "") -> Session:
    endpoint = {"preset": "custom", "url": url, "caBundle": ca}
    if proxy:
        endpoint["proxy"] = proxy
    editor = {
        "endpoint": endpoint,
        "completion": {"debounceMs": DEBOUNCE_MS},
        "privacy": {"auditPath": str(tmp / "audit.jsonl")},
    }

    def loader(roots: Any, _editor: Any = None) -> LoadedConfig:
        return load_settings(roots, editor, user_path=tmp / "none.toml", policy_paths=[])

    session = Session(config_loader=loader)
    session.configure([tmp])
    return session


def _pool(session: Session) -> Any:
    assert session.endpoint is not None
    transport = guarded_transport(session.endpoint._get_conn().client)
    assert transport is not None
    return transport._inner._pool  # type: ignore[attr-defined]


def _make_before(session: Session) -> None:
    """httpx2's default keep-alive and no warm-up: the server as the issue measured it."""
    assert session.endpoint is not None
    session.endpoint.warm_connection = lambda: None  # type: ignore[method-assign]
    _pool(session)._keepalive_expiry = 5.0


def _expire(session: Session) -> None:
    """What a long pause does to the pooled connections: they have expired."""
    for conn in _pool(session)._connections:
        inner = getattr(conn, "_connection", None)
        if inner is not None and hasattr(inner, "_expire_at"):
            inner._expire_at = time.monotonic() - 1


_counter = [0]


async def _burst(variant: Variant, link: DelayProxy, fake: FakeMistral, condition: str) -> None:
    _counter[0] += 1
    head = f"def total_{_counter[0]}(items):\n    return sum(i.price for i in "
    futures = []
    last = 0.0
    for i, ch in enumerate("abc"):
        text = head + "abc"[: i + 1]
        if i:
            await asyncio.sleep(KEYSTROKE_GAP_S)
        last, last_wall = time.monotonic(), time.time()
        query = CompletionQuery("file:///ws/shop.py", None, "python", text, len(text))
        futures.append(asyncio.ensure_future(variant.engine.complete(query)))
        _ = ch
    result = await futures[-1]
    done = time.monotonic()
    await asyncio.gather(*futures[:-1], return_exceptions=True)
    if result is None or result.source != "ai":
        return
    debounce_end = last + DEBOUNCE_MS / 1000
    on_path = link.on_path(last_wall + DEBOUNCE_MS / 1000, fake.requests_for("fim")[-1].received_at)
    variant.beyond_ms.setdefault(condition, []).append((done - debounce_end) * 1000)
    variant.critical[condition] = variant.critical.get(condition, 0) + on_path
    variant.bursts[condition] = variant.bursts.get(condition, 0) + 1


async def _wan(args: argparse.Namespace, fake: FakeMistral, link: DelayProxy) -> dict[str, Any]:
    url = f"https://127.0.0.1:{link.port}"
    ca = fake.ca_pem_path or ""
    with tempfile.TemporaryDirectory() as tmp, NoDelayConnectProxy() as proxy:
        variants: list[Variant] = []
        for name in ("before", "after", "after+proxy"):
            folder = Path(tmp) / name.replace("+", "_")
            folder.mkdir()
            session = _session(folder, url, ca, proxy.url if "proxy" in name else "")
            variant = Variant(name, session, CompletionEngine(session))
            if name == "before":
                _make_before(session)
            if "proxy" in name:
                variant.connects = lambda: len(proxy.tunnels)
            variants.append(variant)
        try:
            for v in variants:  # the session's first completion: its handshake is expected
                await _burst(v, link, fake, "first")
            conditions: list[tuple[str, float, bool]] = [
                (f"typing again after {args.warm_s:g} s", args.warm_s, False),
                (f"typing again after {args.idle_s:g} s", args.idle_s, False),
                ("typing again after 5 min (simulated)", args.warm_s, True),
            ]
            for condition, pause, expire in conditions:
                for _ in range(args.bursts):
                    await asyncio.sleep(pause)
                    for v in variants:
                        if expire:
                            _expire(v.session)
                        await _burst(v, link, fake, condition)
            return {
                "floor_ms": args.rtt_ms + args.ttft_ms + (args.chunks - 1) * args.gap_ms,
                "variants": {
                    v.name: {
                        c: {
                            "bursts": v.bursts.get(c, 0),
                            "beyond_debounce_p50_ms": statistics.median(ms),
                            "beyond_debounce_p90_ms": sorted(ms)[int(0.9 * (len(ms) - 1))],
                            "handshakes_on_critical_path": v.critical.get(c, 0),
                        }
                        for c, ms in v.beyond_ms.items()
                    }
                    | {"proxy_connects": v.connects()}
                    for v in variants
                },
            }
        finally:
            for v in variants:
                await v.session.aclose()


# ----------------------------------------------------------------------------- stream use

MULTI_HEAD = "def scale_{n}(values, factor):\n    "
BLOCK = "result = [v * factor for v in values]\n    return result\n\n"
AFTER_BLOCK = (
    "def shift(values, offset):\n    return [v + offset for v in values]\n\n\n"
    "def clamp(values, low, high):\n    return [min(max(v, low), high) for v in values]\n"
)


@contextlib.contextmanager
def _no_early_stop() -> Iterator[None]:
    original = decide.block_finished
    decide.block_finished = lambda completion, indent: False  # type: ignore[assignment]
    try:
        yield
    finally:
        decide.block_finished = original


async def _stream_use(args: argparse.Namespace, fake: FakeMistral, link: DelayProxy) -> Any:
    url = f"https://127.0.0.1:{link.port}"
    answer = BLOCK + AFTER_BLOCK
    fake.default_fim = answer
    fake.default_reply = Reply(latency_s=(args.ttft_ms - args.gap_ms) / 1000, chunks=10)
    fake.default_reply.delay_s = args.gap_ms / 1000
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        session = _session(Path(tmp), url, fake.ca_pem_path or "")
        engine = CompletionEngine(session)
        try:
            for label, stop in (("early stop", True), ("read to the model's end", False)):
                times: list[float] = []
                critical = 0
                opened_before = len(link.accepted)
                for _ in range(args.bursts):
                    _counter[0] += 1
                    text = MULTI_HEAD.format(n=_counter[0])
                    query = CompletionQuery("file:///ws/s.py", None, "python", text, len(text))
                    await asyncio.sleep(args.warm_s)
                    start, start_wall = time.monotonic(), time.time()
                    with contextlib.nullcontext() if stop else _no_early_stop():
                        result = await engine.complete(query)
                    done = time.monotonic()
                    debounce_end = start + DEBOUNCE_MS / 1000
                    received = fake.requests_for("fim")[-1].received_at
                    critical += link.on_path(start_wall + DEBOUNCE_MS / 1000, received)
                    if result is not None and result.source == "ai":
                        times.append((done - debounce_end) * 1000)
                out[label] = {
                    "connections_opened": len(link.accepted) - opened_before,
                    "beyond_debounce_p50_ms": statistics.median(times),
                    "handshakes_on_critical_path": critical,
                    "answers": len(times),
                }
        finally:
            await session.aclose()
    read = len(BLOCK) + len(AFTER_BLOCK.split("\n", 1)[0]) + 1  # the stop needs one more line
    out["tokens_not_generated"] = approx_tokens(answer) - approx_tokens(answer[:read])
    out["saved_ms"] = (
        out["read to the model's end"]["beyond_debounce_p50_ms"]
        - out["early stop"]["beyond_debounce_p50_ms"]
    )
    return out


# ----------------------------------------------------------------------------- main


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    with FakeMistral(tls=True) as fake, DelayProxy(fake.port, args.rtt_ms / 1000) as link:
        fake.default_fim = SINGLE_LINE
        # The first chunk leaves ttft after the request arrives, then one every gap.
        fake.default_reply = Reply(
            latency_s=(args.ttft_ms - args.gap_ms) / 1000,
            chunks=args.chunks,
            delay_s=args.gap_ms / 1000,
        )
        figures = {"wan": await _wan(args, fake, link)}
        if not args.skip_stream:
            figures["stream_use"] = await _stream_use(args, fake, link)
        return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--warm-s", type=float, default=1.0)
    parser.add_argument("--idle-s", type=float, default=12.0)
    parser.add_argument("--rtt-ms", type=float, default=30.0)
    parser.add_argument("--ttft-ms", type=float, default=80.0)
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--gap-ms", type=float, default=10.0)
    parser.add_argument("--skip-stream", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("MISTRAL_API_KEY", "bench-key-0123456789abcdef")
    figures = asyncio.run(_main(args))
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    wan = figures["wan"]
    floor = wan["floor_ms"]
    print(
        f"link: rtt {args.rtt_ms:g} ms, first token {args.ttft_ms:g} ms, {args.chunks} chunks "
        f"{args.gap_ms:g} ms apart; floor {floor:g} ms beyond the {DEBOUNCE_MS} ms debounce"
    )
    print(f"{'variant':<12} {'condition':<38} {'p50 ms':>8} {'× floor':>8} {'p90 ms':>8}  TLS")
    for name, conditions in wan["variants"].items():
        for condition, row in conditions.items():
            if not isinstance(row, dict):
                continue
            print(
                f"{name:<12} {condition:<38} {row['beyond_debounce_p50_ms']:8.1f} "
                f"{row['beyond_debounce_p50_ms'] / floor:8.2f} "
                f"{row['beyond_debounce_p90_ms']:8.1f}  "
                f"{row['handshakes_on_critical_path']} of {row['bursts']} bursts"
            )
        if conditions.get("proxy_connects"):
            print(f"{name:<12} proxy CONNECTs in the whole run: {conditions['proxy_connects']}")
    stream = figures.get("stream_use")
    if stream:
        for label in ("early stop", "read to the model's end"):
            row = stream[label]
            print(
                f"multi-line, {label:<24} p50 {row['beyond_debounce_p50_ms']:.1f} ms beyond the "
                f"debounce, {row['handshakes_on_critical_path']} handshakes on the path, "
                f"{row['connections_opened']} connections opened in {row['answers']} answers"
            )
        print(
            f"early stop saves {stream['saved_ms']:.0f} ms and ~{stream['tokens_not_generated']} "
            "tokens the model would have generated after the block"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
