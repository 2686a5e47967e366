"""A live connection to the endpoint before the request needs one.

The first completion after a pause used to pay a TCP + TLS handshake (and, behind
`endpoint.proxy`, a CONNECT) after the debounce, on the user's wait: httpx2 drops an idle
pooled connection after 5 s. A typing burst outlasts that handshake, so when one starts we
make sure the pool holds a connection the request can take — opened during the debounce,
never when nothing is being typed, and without sending an HTTP request (no code, no
headers, no key: only the TCP, proxy CONNECT and TLS handshakes a request would make).

httpcore2 has no public "connect now" call. `open_connection` does what its
`AsyncHTTPConnection` / `AsyncTunnelHTTPConnection.handle_async_request` do before the first
request, then hands the connection to the pool as idle. Every private name it touches is
checked by `supported()`; when an upgrade changes them the warm-up switches itself off
(requests still work, they just connect on demand) and
tests/unit/endpoint/test_connection.py fails.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpcore2
import httpx2

log = logging.getLogger(__name__)

# Chosen on purpose (httpx2's default is 5 s): long enough that a request arriving without a
# keystroke before it (an explicit trigger, a refactor) finds the connection of the last
# burst after a pause to read code; short enough to stay under common server and NAT idle
# timeouts (nginx 75 s, most corporate proxies ≥ 60 s). Longer pauses are covered by the
# warm-up when typing resumes.
KEEPALIVE_EXPIRY_S = 30.0
# A pooled connection this close to its expiry counts as gone: the request that follows the
# debounce (or an invoked completion's context building) must still find it.
EXPIRY_MARGIN_S = 3.0
# How often a typing burst re-checks the pool (each keystroke asks; this bounds the cost).
CHECK_INTERVAL_S = 0.25
# After a keystroke, for how long an answer stream closed early (a superseded request, a
# single-line completion cut at its first line) gets its HTTP/1.1 connection replaced.
TYPING_WINDOW_S = 2.0
# How long after its handshake a pre-opened connection's readable socket may still be the
# server's TLS session tickets rather than a hang-up (they follow within a round trip).
TICKET_GRACE_S = 1.0


def http2_available() -> bool:
    """HTTP/2 needs the `h2` package; without it httpx2 would raise on http2=True."""
    return importlib.util.find_spec("h2") is not None


def _pool(transport: httpx2.AsyncHTTPTransport) -> Any:
    return getattr(transport, "_pool", None)


def supported(transport: httpx2.AsyncHTTPTransport) -> bool:
    """Whether this httpcore2 still has the internals `open_connection` relies on."""
    pool = _pool(transport)
    if pool is None or not all(
        hasattr(pool, name) for name in ("_connections", "create_connection", "_max_connections")
    ):
        return False
    probe = pool.create_connection(httpcore2.Origin(b"https", b"example.invalid", 443))
    if isinstance(probe, httpcore2.AsyncHTTPConnection):
        names: tuple[str, ...] = ("_connect", "_request_lock", "_connection", "_http1", "_http2")
    elif type(probe).__name__ == "AsyncTunnelHTTPConnection":
        names = ("_connect_lock", "_connected", "_connection", "_remote_origin", "_proxy_origin")
        names += ("_proxy_headers", "_ssl_context", "_http1", "_http2")
    else:
        return False  # SOCKS and the rest: connect on demand
    return all(hasattr(probe, name) for name in (*names, "_keepalive_expiry"))


def _origin(url: httpx2.URL) -> httpcore2.Origin:
    port = url.port or (443 if url.scheme == "https" else 80)
    return httpcore2.Origin(url.raw_scheme, url.raw_host, port)


def usable_connection(transport: httpx2.AsyncHTTPTransport, url: httpx2.URL) -> bool:
    """Whether the pool holds a connection to url's origin that a request can take now and
    that will not expire before it is used."""
    pool = _pool(transport)
    if pool is None:
        return False
    origin = _origin(url)
    now = time.monotonic()
    for conn in list(pool._connections):
        if not conn.can_handle_request(origin) or not conn.is_connected():
            continue
        if not conn.is_available() or conn.has_expired():
            continue
        expire_at = getattr(_http_layer(conn), "_expire_at", None)
        if expire_at is None or expire_at - now > EXPIRY_MARGIN_S:
            return True
    return False


def _http_layer(conn: Any) -> Any:
    """The HTTP/1.1 or HTTP/2 connection inside a pooled connection (None before connect)."""
    inner = getattr(conn, "_connection", None)
    if isinstance(inner, httpcore2.AsyncHTTPConnection):  # a tunnel before its CONNECT
        return None
    return inner


class _FreshHTTP11Connection(httpcore2.AsyncHTTP11Connection):
    """HTTP/1.1 on a connection opened ahead of its first request.

    httpcore2 drops an idle connection whose socket is readable, taking the bytes for a
    hang-up; on a fresh TLS 1.3 connection they are the server's session tickets, which may
    arrive just after a request took the connection over. Until its first request and for
    TICKET_GRACE_S after the handshake, only an end of stream (or the expiry) counts; then
    httpcore2's own check applies (unread tickets could hide a later hang-up).
    """

    opened_at = float("-inf")

    def has_expired(self) -> bool:
        fresh = time.monotonic() - self.opened_at <= TICKET_GRACE_S
        used = int(getattr(self, "_request_count", 1)) > 0
        if not fresh or used or not self.is_idle():
            return super().has_expired()
        expire_at = getattr(self, "_expire_at", None)
        if expire_at is not None and time.monotonic() > expire_at:
            return True
        return _peer_closed(getattr(self, "_network_stream", None))


def _peer_closed(stream: Any) -> bool:
    """Whether the peer ended the stream (a peek: TLS records stay for the TLS layer)."""
    raw = stream.get_extra_info("socket") if stream is not None else None
    fileno = getattr(raw, "fileno", None)
    if fileno is None:
        return bool(stream is None or stream.get_extra_info("is_readable"))
    try:
        # asyncio hands out a TransportSocket without recv(): peek through a duplicate.
        with socket.socket(fileno=os.dup(fileno())) as sock:
            return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False  # nothing to read: still open
    except OSError:
        return True


def _http_connection(
    origin: httpcore2.Origin, stream: Any, http1: bool, http2: bool, keepalive: float | None
) -> Any:
    """What httpcore2 builds on a fresh stream: HTTP/2 when ALPN chose it, else HTTP/1.1."""
    ssl_object = stream.get_extra_info("ssl_object")
    negotiated_h2 = ssl_object is not None and ssl_object.selected_alpn_protocol() == "h2"
    if negotiated_h2 or (http2 and not http1):
        return httpcore2.AsyncHTTP2Connection(
            origin=origin, stream=stream, keepalive_expiry=keepalive
        )
    return _FreshHTTP11Connection(origin=origin, stream=stream, keepalive_expiry=keepalive)


def _make_idle(inner: Any, keepalive: float | None) -> None:
    """A connection nobody has used yet, expiring like one a response just released."""
    inner._state = type(inner._state).IDLE
    inner._expire_at = None if keepalive is None else time.monotonic() + keepalive
    if isinstance(inner, _FreshHTTP11Connection):
        inner.opened_at = time.monotonic()


async def _connect_direct(conn: Any, request: httpcore2.Request) -> Any:
    async with conn._request_lock:
        stream = await conn._connect(request)
        inner = _http_connection(
            conn._origin, stream, conn._http1, conn._http2, conn._keepalive_expiry
        )
        _make_idle(inner, conn._keepalive_expiry)
        conn._connection = inner
        return stream


async def _connect_tunnel(conn: Any, request: httpcore2.Request, timeout_s: float) -> Any:
    """The proxy CONNECT and the TLS handshake through it, as the tunnel's first request."""
    async with conn._connect_lock:
        remote = conn._remote_origin
        target = b"%b:%d" % (remote.host, remote.port)
        proxy = conn._proxy_origin
        connect = httpcore2.Request(
            method=b"CONNECT",
            url=httpcore2.URL(scheme=proxy.scheme, host=proxy.host, port=proxy.port, target=target),
            headers=[(b"Host", target), (b"Accept", b"*/*"), *conn._proxy_headers],
            extensions={"timeout": request.extensions["timeout"]},
        )
        response = await conn._connection.handle_async_request(connect)
        if not 200 <= response.status <= 299:
            await conn._connection.aclose()
            raise httpcore2.ProxyError(f"proxy answered {response.status} to CONNECT")
        stream = response.extensions["network_stream"]
        ssl_context = conn._ssl_context
        if ssl_context is None:  # our clients always pass one; never guess another
            raise httpcore2.ConnectError("no TLS context for the tunnel")
        ssl_context.set_alpn_protocols(
            (["h2", "http/1.1"] if conn._http1 else ["h2"]) if conn._http2 else ["http/1.1"]
        )
        stream = await stream.start_tls(
            ssl_context=ssl_context, server_hostname=remote.host.decode("ascii"), timeout=timeout_s
        )
        inner = _http_connection(remote, stream, conn._http1, conn._http2, conn._keepalive_expiry)
        _make_idle(inner, conn._keepalive_expiry)
        conn._connection = inner
        conn._connected = True
        return stream


async def _absorb_tickets(stream: Any, wait_s: float, handover: asyncio.Event) -> bool:
    """Read what a TLS 1.3 server sends after the handshake (session tickets); False when the
    connection is not fit to pool.

    Unread, those bytes make the idle socket readable, which httpcore2 takes for a server
    hang-up: the pool would drop the fresh connection and the request would open another.
    Waits up to `wait_s` for them, less when a request wants the connection (`handover`):
    then only what has arrived is read (a request reads later ones with its answer).
    """
    try:
        waiter = asyncio.ensure_future(handover.wait())
        reader = asyncio.ensure_future(stream.read(65536, timeout=wait_s))
        try:
            await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if reader.done() and not isinstance(reader.exception(), httpcore2.ReadTimeout):
                return False  # the server spoke first, or hung up: not a connection to pool
        finally:
            for task in (reader, waiter):
                task.cancel()
            await asyncio.gather(reader, waiter, return_exceptions=True)
        for _ in range(8):
            if not stream.get_extra_info("is_readable"):
                return True
            try:
                await stream.read(65536, timeout=0.002)
                return False  # application data, or b"" for a hang-up
            except httpcore2.ReadTimeout:
                continue  # records without application data: absorbed
        return not stream.get_extra_info("is_readable")
    except httpcore2.ReadError:
        return False
    return True


async def open_connection(
    transport: httpx2.AsyncHTTPTransport,
    url: httpx2.URL,
    timeout_s: float,
    handover: asyncio.Event | None = None,
) -> bool:
    """Open one connection to url's origin and leave it idle in the pool; False when the pool
    is full or has a usable one already. Sends no HTTP request (behind a proxy: CONNECT).

    `handover` is set when a request is waiting for this connection."""
    pool = _pool(transport)
    if pool is None or usable_connection(transport, url):
        return False
    if len(pool._connections) >= pool._max_connections:
        return False
    origin = _origin(url)
    conn = pool.create_connection(origin)
    timeouts = {"connect": timeout_s, "read": timeout_s, "write": timeout_s, "pool": timeout_s}
    target = httpcore2.URL(scheme=origin.scheme, host=origin.host, port=origin.port, target=b"/")
    request = httpcore2.Request(b"GET", target, extensions={"timeout": timeouts})
    started = time.monotonic()
    try:
        if isinstance(conn, httpcore2.AsyncHTTPConnection):
            stream = await _connect_direct(conn, request)
        elif type(conn).__name__ == "AsyncTunnelHTTPConnection":
            stream = await _connect_tunnel(conn, request, timeout_s)
        else:
            return False  # plain http through a forwarding proxy: nothing to save
        if stream.get_extra_info("ssl_object") is not None:
            # Tickets follow the handshake by about a round trip; the handshake took two.
            wait_s = min(1.0, max(0.05, time.monotonic() - started))
            if not await _absorb_tickets(stream, wait_s, handover or asyncio.Event()):
                await conn.aclose()
                return False
    except BaseException:
        await conn.aclose()
        raise
    pool._connections.append(conn)
    return True


@dataclass
class Warmer:
    """Keeps a connection ready while the user types; one per HTTP client.

    `poke` is called for each keystroke that may lead to a request and costs a clock read
    when nothing is to be done. A request that finds a warm-up in progress waits for it
    (it is closer to done than a new handshake would be).
    """

    transport: httpx2.AsyncHTTPTransport
    timeout_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    opened: int = 0  # connections opened ahead of a request (for benches and tests)
    enabled: bool = True
    #: Whether a finished answer's connection is on its way back to the pool (its stream's
    #: end still being read): it was just used, so nothing needs opening.
    draining: Callable[[], bool] = lambda: False
    _task: asyncio.Task[bool] | None = None
    _checked_at: float = float("-inf")
    _typed_at: float = float("-inf")
    _url: httpx2.URL | None = None
    _handover: asyncio.Event | None = None
    _failure: tuple[float, BaseException] | None = None
    _tasks: set[asyncio.Task[bool]] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.enabled and not supported(self.transport):
            log.info("endpoint: connection warm-up off (httpcore2 internals changed)")
            self.enabled = False

    def poke(self, url: httpx2.URL) -> None:
        """A keystroke: make sure a connection will be ready when the debounce ends."""
        now = self.clock()
        self._typed_at = now
        self._url = url
        if now - self._checked_at < CHECK_INTERVAL_S:
            return
        self._checked_at = now
        self._ensure(url)

    def stream_closed_early(self) -> None:
        """An HTTP/1.1 answer closed before its end loses its connection: while the user is
        still typing, open the next one now rather than on the next request's wait."""
        if self._url is not None and self.clock() - self._typed_at < TYPING_WINDOW_S:
            self._ensure(self._url)

    def _ensure(self, url: httpx2.URL) -> None:
        if not self.enabled or (self._task is not None and not self._task.done()):
            return
        if self._recent_failure() is not None:
            return  # the next request reports it; no second attempt before that
        if self.draining() or usable_connection(self.transport, url):
            return
        self._handover = asyncio.Event()
        task = asyncio.get_running_loop().create_task(self._open(url, self._handover))
        self._task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open(self, url: httpx2.URL, handover: asyncio.Event) -> bool:
        try:
            opened = await open_connection(self.transport, url, self.timeout_s, handover)
        except Exception as exc:  # noqa: BLE001 - the next request reports it
            log.debug("endpoint: warm-up connection failed: %s", type(exc).__name__)
            self._failure = (self.clock(), exc)
            return False
        if opened:
            self.opened += 1
        return opened

    def _recent_failure(self) -> BaseException | None:
        if self._failure is None:
            return None
        failed_at, exc = self._failure
        if self.clock() - failed_at > TYPING_WINDOW_S:
            self._failure = None  # from another burst: let the next one try afresh
            return None
        return exc

    async def settled(self) -> BaseException | None:
        """Wait for a warm-up in progress (a request is about to need its connection).

        Returns how the burst's warm-up failed, once: the request reports that failure
        instead of trying again, so a failing endpoint sees no more connection attempts
        (and the circuit breaker counts no fewer) than without the warm-up.
        """
        task = self._task
        if task is not None and not task.done():
            if self._handover is not None:
                self._handover.set()
            await asyncio.wait({task}, timeout=self.timeout_s)
        failure = self._recent_failure()
        self._failure = None
        return failure

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
