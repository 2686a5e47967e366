"""The network boundary: which origin may be reached, and the HTTP clients that enforce it.

Every request the SDK (or our OpenAI-compatible client) makes goes through `GuardedTransport`,
which refuses a foreign origin before a socket opens and turns any 3xx into an error, so a
redirect can never carry code elsewhere. The clients ignore the environment (proxies,
SSL_CERT_FILE, SSLKEYLOGFILE, .netrc): a proxy and a CA come only from the settings.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import ipaddress
import logging
import os
import socket
import ssl
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore2
import httpx2

from lsp_server.endpoint.connection import KEEPALIVE_EXPIRY_S, Warmer, http2_available
from lsp_server.endpoint.errors import EndpointOffline, PolicyViolation, RedirectRefused

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    """scheme://host:port, normalised (lower case, default port made explicit)."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if DEFAULT_PORTS.get(self.scheme) == self.port:
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"


def parse_origin(url: str) -> Origin:
    """The origin of a URL; ValueError when it has no scheme or host."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in DEFAULT_PORTS or not host:
        raise ValueError(f"not an http(s) URL: {url!r}")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise ValueError(f"bad port in {url!r}") from exc
    return Origin(scheme, host, port)


def origin_of(url: httpx2.URL) -> Origin:
    scheme = url.scheme.lower()
    host = url.host.lower().rstrip(".")
    return Origin(scheme, host, url.port or DEFAULT_PORTS.get(scheme, 0))


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_endpoint(base_url: str, policy: Any) -> Origin:
    """Validate the configured endpoint against the rules and the policy; return its origin.

    Raises EndpointOffline when no URL is configured (never a fallback host) and
    PolicyViolation when the URL is not allowed.
    """
    if getattr(policy, "error", ""):
        raise PolicyViolation(
            f"the policy file could not be applied ({policy.error}); nothing is sent until "
            "an administrator fixes it"
        )
    if not base_url:
        raise EndpointOffline(
            "no endpoint URL: set endpoint.url (the custom preset has no default host)"
        )
    try:
        origin = parse_origin(base_url)
    except ValueError:
        raise PolicyViolation(
            f"endpoint URL {base_url!r} is not an http(s) URL; fix endpoint.url"
        ) from None
    parts = urlsplit(base_url)
    if parts.username or parts.password:
        raise PolicyViolation("endpoint URL must not contain credentials; use the API key setting")
    if parts.query or parts.fragment:
        raise PolicyViolation("endpoint URL must not contain a query or fragment; fix endpoint.url")
    allow_http = bool(getattr(policy, "allow_insecure_http", False))
    if origin.scheme == "http" and not is_loopback(origin.host) and not allow_http:
        raise PolicyViolation(
            f"plain http:// is refused for {origin} (only loopback, or a policy with "
            "allow_insecure_http = true); use https://"
        )
    allowed = allowed_origins(policy)
    if allowed is not None and origin not in allowed:
        raise PolicyViolation(
            f"endpoint {origin} is not in the policy's allowed_origins; ask your administrator "
            "or choose an allowed endpoint"
        )
    return origin


def allowed_origins(policy: Any) -> frozenset[Origin] | None:
    """The policy's allowed origins, or None when no policy restricts them."""
    if not getattr(policy, "active", False):
        return None
    raw = tuple(getattr(policy, "allowed_origins", ()) or ())
    if not raw:
        return None
    out = set()
    for item in raw:
        try:
            out.add(parse_origin(item))
        except ValueError:
            log.warning("ignoring malformed policy.allowed_origins entry %r", item)
    return frozenset(out)


# --------------------------------------------------------------------------- metering


@dataclass
class AttemptMeter:
    """What one outbound attempt put on and took off the wire (for the audit log)."""

    bytes_out: int = 0
    bytes_in: int = 0
    status: int | None = None
    payload_sha256: str = ""
    sent: bool = False
    started: float = field(default_factory=time.monotonic)
    redirect_location: str = ""
    #: Takes work that can wait until the editor has its answer (see `_CountingStream`);
    #: None: the work starts at once.
    later: Callable[[Callable[[], None]], None] | None = None
    #: The answer is whole (finish reason and usage read): a stream closed now is drained
    #: for the pool like one that reached `[DONE]`.
    complete: bool = False


CURRENT_ATTEMPT: contextvars.ContextVar[AttemptMeter | None] = contextvars.ContextVar(
    "mistral_lsp_attempt", default=None
)


class _CountingStream(httpx2.AsyncByteStream):
    """Counts bytes in, and keeps the connection alive after a finished SSE answer.

    The SDK closes a stream as soon as it reads `data: [DONE]`, before the chunked body's
    terminator, and httpcore then drops the connection: every completion would pay a new
    TCP and TLS handshake. When the server has said [DONE], we read the few bytes left (with
    a short deadline) so the connection returns to the pool. Any other close (cancellation,
    an early stop) closes at once.
    """

    DRAIN_LIMIT = 64 * 1024
    DRAIN_TIMEOUT_S = 2.0

    def __init__(
        self,
        inner: Any,
        meter: AttemptMeter | None,
        on_early_close: Callable[[], None] | None = None,
    ) -> None:
        self._inner = inner
        self._meter = meter
        self._on_early_close = on_early_close
        self._tail = b""
        self._iterator: AsyncIterator[bytes] | None = None
        self._exhausted = False

    @property
    def saw_done(self) -> bool:
        """Whether the answer is over: `[DONE]` read, or the caller found it complete."""
        complete = self._meter is not None and self._meter.complete
        return complete or b"data: [DONE]" in self._tail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self._iterator = self._inner.__aiter__()
        async for chunk in self._iterator:
            if self._meter is not None:
                self._meter.bytes_in += len(chunk)
            self._tail = (self._tail + chunk)[-32:]
            yield chunk
        self._exhausted = True

    async def aclose(self) -> None:
        if not self._exhausted and self._iterator is not None and self.saw_done:
            # Finish reading in the background: the caller has its answer already. With a
            # meter's `later`, after the editor has it too (~0.2 ms of CPU less before it).
            later = self._meter.later if self._meter is not None else None
            _AWAITING_DRAIN[self] = time.monotonic()
            if later is None:
                self._drain_in_background()
            else:
                later(self._drain_in_background)
            return
        await self._inner.aclose()
        if not self._exhausted and self._on_early_close is not None:
            self._on_early_close()

    def _drain_in_background(self) -> None:
        task = asyncio.get_running_loop().create_task(self._drain_then_close())
        _DRAINING.add(task)
        task.add_done_callback(_DRAINING.discard)
        task.add_done_callback(lambda _task: _AWAITING_DRAIN.pop(self, None))

    async def _drain_then_close(self) -> None:
        assert self._iterator is not None
        try:
            drained = 0
            async with asyncio.timeout(self.DRAIN_TIMEOUT_S):
                async for chunk in self._iterator:
                    drained += len(chunk)
                    if drained > self.DRAIN_LIMIT:
                        break
        except (Exception, TimeoutError):  # noqa: BLE001 - draining is best effort
            pass
        finally:
            await self._inner.aclose()


_DRAINING: set[asyncio.Task[None]] = set()
# Streams closed at the end of their answer whose connection is not back in the pool yet
# (drain queued or under way), with when they were closed.
_AWAITING_DRAIN: dict[_CountingStream, float] = {}


def draining() -> bool:
    """Whether a finished answer's connection is still on its way back to the pool: a
    keystroke then needs no connection opened ahead (the warm-up would open a second one).
    A drain that never ran (its loop ended first) stops counting after its own deadline."""
    oldest = time.monotonic() - _CountingStream.DRAIN_TIMEOUT_S - 1.0
    for stream, closed_at in list(_AWAITING_DRAIN.items()):
        if closed_at < oldest:
            del _AWAITING_DRAIN[stream]
    return bool(_AWAITING_DRAIN)


async def wait_for_drains() -> None:
    """Let this loop's background drains finish (bounded by their own deadline)."""
    loop = asyncio.get_running_loop()
    mine = [t for t in _DRAINING if t.get_loop() is loop]
    if mine:
        await asyncio.gather(*mine, return_exceptions=True)


class GuardedTransport(httpx2.AsyncBaseTransport):
    """Only the allowed origin, never a redirect; counts bytes for the audit log."""

    def __init__(
        self,
        inner: httpx2.AsyncBaseTransport,
        allowed: frozenset[Origin],
        connect_timeout_s: float = 5.0,
    ) -> None:
        self._inner = inner
        self._allowed = allowed
        self.warmer: Warmer | None = None
        if isinstance(inner, httpx2.AsyncHTTPTransport):
            self.warmer = Warmer(inner, timeout_s=connect_timeout_s, draining=draining)

    def _check(self, origin: Origin) -> None:
        if origin not in self._allowed:
            log.warning("boundary: refused a request to %s (not the configured endpoint)", origin)
            raise PolicyViolation(f"refused a request to {origin}: not the configured endpoint")

    def warm(self, url: str) -> None:
        """A keystroke: have a connection to url's origin ready by the time a request needs it.

        The same origin check as a request; only handshakes follow (connection.py), no HTTP
        request, so nothing to meter or audit.
        """
        if self.warmer is None:
            return
        target = httpx2.URL(url)
        self._check(origin_of(target))
        self.warmer.poke(target)

    def _early_close(self) -> None:
        if self.warmer is not None:
            self.warmer.stream_closed_early()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        origin = origin_of(request.url)
        self._check(origin)
        if self.warmer is not None:
            # A handshake under way is nearer done than a new one; a failed one is this
            # request's failure (no second attempt at a failing endpoint).
            failure = await self.warmer.settled()
            if failure is not None:
                raise _connect_error(failure, request)
        meter = CURRENT_ATTEMPT.get()
        try:
            body = request.content
        except httpx2.RequestNotRead:
            body = b""
        if meter is not None:
            meter.bytes_out += len(body)
            meter.payload_sha256 = hashlib.sha256(body).hexdigest()
            meter.sent = True
        response = await self._inner.handle_async_request(request)
        if meter is not None:
            meter.status = response.status_code
        if 300 <= response.status_code < 400:
            location = response.headers.get("location", "")
            await response.aclose()
            if meter is not None:
                meter.redirect_location = location
            target = _describe_location(location, request.url)
            log.warning(
                "boundary: %s answered %d redirecting to %s; refused, nothing sent there",
                origin,
                response.status_code,
                target,
            )
            raise RedirectRefused(
                f"the endpoint answered {response.status_code} redirecting to {target}; "
                "redirects are refused (nothing was sent there)",
                response.status_code,
                target,
            )
        return httpx2.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_CountingStream(response.stream, meter, self._early_close),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        if self.warmer is not None:
            await self.warmer.aclose()
        await self._inner.aclose()


_GUARDS: weakref.WeakKeyDictionary[httpx2.AsyncClient, GuardedTransport] = (
    weakref.WeakKeyDictionary()
)


def guarded_transport(client: httpx2.AsyncClient) -> GuardedTransport | None:
    """The boundary transport of a client made by `build_async_client`."""
    return _GUARDS.get(client)


def _connect_error(exc: BaseException, request: httpx2.Request) -> httpx2.TransportError:
    """httpcore2's connect failure as the httpx2 error a request would have raised."""
    kind: type[httpx2.TransportError] = httpx2.ConnectError
    if isinstance(exc, httpcore2.ConnectTimeout | TimeoutError):
        kind = httpx2.ConnectTimeout
    elif isinstance(exc, httpcore2.ProxyError):
        kind = httpx2.ProxyError
    error = kind(str(exc) or type(exc).__name__, request=request)
    error.__cause__ = exc
    return error


def _describe_location(location: str, base: httpx2.URL) -> str:
    if not location:
        return "(no Location)"
    try:
        return str(origin_of(base.join(location)))
    except Exception:  # noqa: BLE001 - a hostile header must not crash the log line
        return "(unparsable Location)"


class _RefuseAll(httpx2.BaseTransport):
    """For the SDK's synchronous client, which we never use: nothing leaves through it."""

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        raise PolicyViolation("synchronous endpoint requests are disabled")


# --------------------------------------------------------------------------- clients


def make_ssl_context(ca_bundle: str = "") -> ssl.SSLContext:
    """TLS client context from endpoint.ca_bundle, or the system store; never the environment.

    Built without `ssl.create_default_context()`, which would honour SSLKEYLOGFILE and write
    session keys to disk, and without SSL_CERT_FILE / SSL_CERT_DIR.
    """
    if ca_bundle:
        path = os.path.expanduser(ca_bundle)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if os.path.isdir(path):
            ctx.load_verify_locations(capath=path)
        else:
            ctx.load_verify_locations(cafile=path)
    else:
        import httpcore2

        ctx = httpcore2.default_ssl_context(_trust_env=False)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def make_timeout(total_s: float) -> httpx2.Timeout:
    return httpx2.Timeout(total_s, connect=min(total_s, 5.0))


def check_proxy(proxy: str) -> None:
    """endpoint.proxy must be an http(s) proxy URL; PolicyViolation otherwise."""
    if not proxy:
        return
    try:
        parse_origin(proxy)
    except ValueError:
        raise PolicyViolation(
            f"endpoint.proxy {proxy!r} is not an http:// or https:// proxy URL; fix endpoint.proxy"
        ) from None


def build_async_client(
    allowed: frozenset[Origin],
    ca_bundle: str = "",
    proxy: str = "",
    timeout_s: float = 10.0,
    max_connections: int = 8,
    ssl_context: ssl.SSLContext | None = None,
) -> httpx2.AsyncClient:
    """The only async HTTP client the endpoint uses."""
    ctx = ssl_context or make_ssl_context(ca_bundle)
    inner = httpx2.AsyncHTTPTransport(
        verify=ctx,
        trust_env=False,
        proxy=proxy or None,
        retries=0,
        # HTTP/2 where the endpoint offers it (ALPN): completions, a cancelled completion and a
        # running refactor share one connection instead of each needing its own handshake.
        http2=http2_available(),
        socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
        limits=httpx2.Limits(
            max_connections=max_connections,
            max_keepalive_connections=4,
            keepalive_expiry=KEEPALIVE_EXPIRY_S,
        ),
    )
    timeout = make_timeout(timeout_s)
    transport = GuardedTransport(inner, allowed, connect_timeout_s=timeout.connect or 5.0)
    client = httpx2.AsyncClient(
        transport=transport,
        trust_env=False,
        follow_redirects=False,
        timeout=timeout,
    )
    _GUARDS[client] = transport
    return client


def build_refusing_sync_client() -> httpx2.Client:
    return httpx2.Client(transport=_RefuseAll(), trust_env=False, follow_redirects=False)
