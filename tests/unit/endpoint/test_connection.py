"""Connection warm-up: after the pool's idle expiry, a burst's first keystroke opens the TLS
connection during the debounce, and the completion request then reuses it — with controls
showing the handshake lands on the request's critical path without the warm-up.

Handshakes are counted by the client's TLS context (`session_stats()["connect"]`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
import pytest_asyncio

from fixtures.fake_mistral import FakeMistral
from lsp_server.completion import CompletionEngine, CompletionQuery
from lsp_server.endpoint.boundary import (
    GuardedTransport,
    build_async_client,
    guarded_transport,
    make_ssl_context,
    parse_origin,
    wait_for_drains,
)
from lsp_server.endpoint.connection import (
    CHECK_INTERVAL_S,
    KEEPALIVE_EXPIRY_S,
    TICKET_GRACE_S,
    Warmer,
    supported,
    usable_connection,
)
from lsp_server.endpoint.errors import PolicyViolation
from lsp_server.session import Session
from tests.fake_clock import Clock
from tests.fake_endpoint import ConnectProxy
from tests.sessions import isolated_session

TEXT = "def total(items):\n    return sum(i.price for i in "
URI = "file:///ws/shop.py"


@pytest.fixture
def fake() -> Any:
    with FakeMistral(tls=True) as server:
        server.default_fim = "items)"
        yield server


def _session(tmp_path: Path, fake: FakeMistral, proxy: str = "") -> Session:
    endpoint = {"preset": "custom", "url": fake.url, "caBundle": fake.ca_pem_path}
    if proxy:
        endpoint["proxy"] = proxy
    editor = {
        "endpoint": endpoint,
        "completion": {"debounceMs": 75},
        "privacy": {"auditPath": str(tmp_path / "audit.jsonl")},
    }
    session = isolated_session(tmp_path, editor)
    session.configure([tmp_path])
    return session


Make = Callable[..., Awaitable[tuple[CompletionEngine, Clock, Session]]]


@pytest_asyncio.fixture
async def make(
    tmp_path: Path, fake: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Make]:
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key-unit-0123456789")
    sessions: list[Session] = []

    async def _make(proxy: str = "") -> tuple[CompletionEngine, Clock, Session]:
        clock = Clock()
        session = _session(tmp_path, fake, proxy)
        sessions.append(session)
        return CompletionEngine(session, sleep=clock.sleep), clock, session

    yield _make
    for session in sessions:
        await session.aclose()


def _handshakes(session: Session) -> int:
    assert session.endpoint is not None
    ctx = session.endpoint._ssl_context
    assert ctx is not None
    return int(ctx.session_stats()["connect"])


def _transport(session: Session) -> GuardedTransport:
    assert session.endpoint is not None
    transport = guarded_transport(session.endpoint._get_conn().client)
    assert transport is not None
    return transport


def _expire_pool(transport: GuardedTransport) -> None:
    """What KEEPALIVE_EXPIRY_S of idleness does to the pooled connections."""
    for conn in transport._inner._pool._connections:  # type: ignore[attr-defined]
        conn._connection._expire_at = time.monotonic() - 1


async def _burst(engine: CompletionEngine, clock: Clock, session: Session, typed: str) -> int:
    """Type `typed` into the debounce window and return the handshakes made after it ended."""
    futures = []
    for i, _ in enumerate(typed):
        text = TEXT + typed[: i + 1]
        futures.append(
            asyncio.ensure_future(
                engine.complete(CompletionQuery(URI, None, "python", text, len(text)))
            )
        )
        await clock.until_waiting(i + 1)
    warmer = _transport(session).warmer
    assert warmer is not None
    await asyncio.sleep(0.3)  # the debounce (75 ms) plus a slow machine's handshake
    before = _handshakes(session)
    clock.release_all()
    results = await asyncio.gather(*futures)
    assert results[-1] is not None and results[-1].source == "ai"
    return _handshakes(session) - before


async def _first_completion_then_idle(
    engine: CompletionEngine, clock: Clock, session: Session
) -> None:
    assert await engine.complete(CompletionQuery(URI, None, "python", TEXT, len(TEXT), True))
    # the answer came before the stream's end: its drain returns the connection to the pool,
    # and closing the response sets a fresh keep-alive expiry, so it must be over first
    await wait_for_drains()
    _expire_pool(_transport(session))
    await asyncio.sleep(CHECK_INTERVAL_S)  # the pause also outlasts the warm-up's throttle


async def test_after_idle_expiry_the_first_keystroke_preconnects(make: Make) -> None:
    engine, clock, session = await make()
    await _first_completion_then_idle(engine, clock, session)
    assert await _burst(engine, clock, session, "xy") == 0
    assert _transport(session).warmer.opened >= 1  # type: ignore[union-attr]


async def test_control_without_warm_up_the_handshake_is_on_the_critical_path(
    make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, clock, session = await make()
    assert session.endpoint is not None
    monkeypatch.setattr(session.endpoint, "warm_connection", lambda: None)
    await _first_completion_then_idle(engine, clock, session)
    assert await _burst(engine, clock, session, "xy") == 1


async def test_behind_a_proxy_the_connect_happens_during_the_debounce(
    make: Make, fake: FakeMistral
) -> None:
    with ConnectProxy() as proxy:
        engine, clock, session = await make(proxy=proxy.url)
        await _first_completion_then_idle(engine, clock, session)
        assert len(proxy.tunnels) == 1
        assert await _burst(engine, clock, session, "xy") == 0
        assert len(proxy.tunnels) == 2  # the second CONNECT came with the keystroke
        again = await _burst(engine, clock, session, "zq")
        assert again == 0 and len(proxy.tunnels) == 2  # and is reused while warm


async def test_a_warm_connection_is_left_alone(make: Make) -> None:
    engine, clock, session = await make()
    assert await engine.complete(CompletionQuery(URI, None, "python", TEXT, len(TEXT), True))
    opened = _transport(session).warmer.opened  # type: ignore[union-attr]
    assert await _burst(engine, clock, session, "xy") == 0
    assert _transport(session).warmer.opened == opened  # type: ignore[union-attr]


async def test_warm_up_sends_no_request_and_respects_the_origin(fake: FakeMistral) -> None:
    ctx = make_ssl_context(fake.ca_pem_path or "")
    client = build_async_client(frozenset({parse_origin(fake.url)}), ssl_context=ctx)
    transport = guarded_transport(client)
    assert transport is not None and transport.warmer is not None
    try:
        with pytest.raises(PolicyViolation):
            transport.warm("https://elsewhere.example")
        transport.warm(fake.url)
        await transport.warmer.settled()  # a request took it over mid-handshake ...
        await asyncio.sleep(0.2)  # ... and the TLS 1.3 session tickets arrive unread
        assert ctx.session_stats()["connect"] == 1 and transport.warmer.opened == 1
        assert usable_connection(transport._inner, httpx2.URL(fake.url))  # type: ignore[arg-type]
        assert fake.requests == []  # handshakes only: no request line, no header, no key
        response = await client.get(fake.url + "/v1/models")
        assert response.status_code == 200 and ctx.session_stats()["connect"] == 1
    finally:
        await client.aclose()


def test_keepalive_is_chosen_and_httpcore_internals_are_still_there() -> None:
    """Fails when an httpcore2 upgrade moves the internals the warm-up uses."""
    client = build_async_client(frozenset({parse_origin("https://mistral.example")}))
    transport = guarded_transport(client)
    assert transport is not None and transport.warmer is not None
    assert transport.warmer.enabled and supported(transport._inner)  # type: ignore[arg-type]
    assert transport._inner._pool._keepalive_expiry == KEEPALIVE_EXPIRY_S  # type: ignore[attr-defined]
    proxied = build_async_client(
        frozenset({parse_origin("https://mistral.example")}), proxy="http://127.0.0.1:3128"
    )
    assert supported(guarded_transport(proxied)._inner)  # type: ignore[union-attr,arg-type]


async def test_a_failed_warm_up_is_the_requests_failure_not_an_extra_attempt(
    tmp_path: Path, fake: FakeMistral
) -> None:
    """Against a certificate from the wrong CA: one handshake per request, as without it."""
    import trustme

    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    client = build_async_client(
        frozenset({parse_origin(fake.url)}), ssl_context=make_ssl_context(str(other))
    )
    transport = guarded_transport(client)
    assert transport is not None and transport.warmer is not None
    try:
        for attempt in range(1, 3):
            transport.warm(fake.url)
            with pytest.raises(httpx2.ConnectError) as caught:
                await client.get(fake.url + "/v1/models")
            assert "CERTIFICATE_VERIFY_FAILED" in repr(caught.value.__cause__)
            assert fake.wait_for(lambda n=attempt: fake.tls_failures >= n)
            await asyncio.sleep(0.1)
            assert fake.tls_failures == attempt and fake.requests == []
            await asyncio.sleep(CHECK_INTERVAL_S)
    finally:
        await client.aclose()


async def test_a_fresh_connection_the_server_closed_is_not_offered(fake: FakeMistral) -> None:
    ctx = make_ssl_context(fake.ca_pem_path or "")
    client = build_async_client(frozenset({parse_origin(fake.url)}), ssl_context=ctx)
    transport = guarded_transport(client)
    assert transport is not None and transport.warmer is not None
    url = httpx2.URL(fake.url)
    try:
        transport.warm(fake.url)
        await transport.warmer.settled()
        await asyncio.sleep(0.2)
        assert usable_connection(transport._inner, url)  # type: ignore[arg-type]
        fake.stop()  # hangs up the kept-alive connections
        await asyncio.sleep(TICKET_GRACE_S)  # unread session tickets may hide the hang-up so long
        assert not usable_connection(transport._inner, url)  # type: ignore[arg-type]
    finally:
        await client.aclose()


async def test_no_connection_is_opened_while_the_last_one_returns_to_the_pool(
    fake: FakeMistral,
) -> None:
    """A keystroke right after an answer, while that answer's connection is still being
    drained back into the pool, opens no second one (control: with nothing draining, the
    same keystroke opens one)."""
    transport = httpx2.AsyncHTTPTransport(verify=make_ssl_context(fake.ca_pem_path or ""))
    url = httpx2.URL(fake.url)
    try:
        busy = Warmer(transport, draining=lambda: True)
        busy.poke(url)
        assert await busy.settled() is None and busy.opened == 0
        idle = Warmer(transport, draining=lambda: False)
        idle.poke(url)
        assert await idle.settled() is None and idle.opened == 1
    finally:
        await transport.aclose()
