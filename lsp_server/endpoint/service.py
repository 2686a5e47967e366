"""EndpointService: the one door through which anything leaves the machine.

Order of checks for every request: configuration (URL, policy, key) → content exclusion →
secret scanning → rate-limit window → circuit breaker → concurrency bound → the guarded HTTP
client. Every outbound attempt, and every request refused on the way, gets an audit record.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from lsp_server.audit.config import ForwardConfig
from lsp_server.endpoint.audit import AuditLog, AuditRecord
from lsp_server.endpoint.boundary import (
    CURRENT_ATTEMPT,
    AttemptMeter,
    Origin,
    build_async_client,
    check_endpoint,
    check_proxy,
    guarded_transport,
    is_loopback,
    make_ssl_context,
    wait_for_drains,
)
from lsp_server.endpoint.engines import (
    START_HINTS,
    Backend,
    Delta,
    ModelFacts,
    backend_class,
    preload_sdk,
)
from lsp_server.endpoint.engines.base import error_message
from lsp_server.endpoint.engines.discover import DEFAULT_PORTS, Found, discover
from lsp_server.endpoint.errors import (
    CircuitOpen,
    ContentExcluded,
    EndpointError,
    EndpointHTTPError,
    EndpointOffline,
    EndpointTimeout,
    ModelUnfit,
    PolicyViolation,
    RateLimited,
    RedirectRefused,
    SecretsBlocked,
)
from lsp_server.endpoint.exclusion import ContentExclusion
from lsp_server.endpoint.keys import KeyLookup, load_api_key
from lsp_server.endpoint.resilience import CircuitBreaker, parse_retry_after
from lsp_server.endpoint.secrets import configure_scanner
from lsp_server.endpoint.types import ChatRequest, EndpointResult, EndpointStatus, FimRequest

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MODEL_PROBLEM_S = 30.0  # how long "this model cannot complete" pauses requests before a retry
LOCAL_RETRY_S = 10.0  # how long "no local engine found" holds before looking again
PREJUDGED_S = 2.5  # how old a source's verdict from `prescan` may be (the longest debounce: 2 s)
SDK_PRELOAD_DELAY_S = 5.0  # after start-up, when the SDK (refactors only) is imported


@dataclass
class _Failure:
    """An exception mapped to what the user sees and how the service reacts."""

    error: EndpointError
    trips_breaker: bool
    retryable: bool
    retry_after: float | None = None


class _Conn:
    """One HTTP client and its backend; retired (and closed when idle) on reconfiguration."""

    def __init__(self, client: httpx2.AsyncClient, backend: Backend) -> None:
        self.client = client
        self.backend = backend
        self.active = 0
        self.retired = False


class EndpointService:
    """Sends FIM and chat requests to the configured endpoint, and nowhere else."""

    def __init__(
        self,
        settings: Any,
        workspace_roots: Sequence[Path],
        on_status: Callable[[EndpointStatus], None] | None = None,
        *,
        failure_threshold: int = 5,
        cooldown_s: float = 30.0,
        max_concurrency: int = 4,
        chat_retries: int = 2,
        retry_after_cap_s: float = 30.0,
        backoff_s: float = 0.5,
        fim_timeout_s: float | None = None,
        chat_timeout_s: float | None = None,
        env: dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._on_status = on_status
        # A closure, not the dict: the environment holds the key and must not show in a repr.
        self._env: Callable[[], dict[str, str] | None] = lambda: env
        self._clock = clock
        self._breaker = CircuitBreaker(failure_threshold, cooldown_s, clock)
        self._semaphore = asyncio.Semaphore(max(1, max_concurrency))
        self.max_concurrency = max(1, max_concurrency)
        self._chat_retries = max(0, chat_retries)
        self._retry_cap = retry_after_cap_s
        self._backoff = backoff_s
        self._fim_timeout_override = fim_timeout_s
        self._chat_timeout_override = chat_timeout_s
        self._conn: _Conn | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._rate_limited_until = 0.0
        self._auth_problem = ""
        self._last_status: EndpointStatus | None = None
        self._cooldown_timer: asyncio.TimerHandle | None = None
        self._model_problem = ""
        self._model_problem_until = 0.0
        self._down_problem = ""  # a loopback engine refused the connection: it is not running
        self._down_until = 0.0
        self._local_candidates: list[tuple[str, str]] | None = None  # tests narrow the ports
        self.in_flight = 0
        self.peak_in_flight = 0
        # Attempts that went out, by operation ("fim", "chat", "models"...): mistral.status.
        self.requests: dict[str, int] = {}
        self._prejudged: tuple[int, float, dict[str, bool]] = (-1, 0.0, {})
        self._configure(settings, workspace_roots)

    # ------------------------------------------------------------------ configuration

    def _configure(self, settings: Any, workspace_roots: Sequence[Path]) -> None:
        self._settings = settings
        self._roots = [Path(r) for r in workspace_roots]
        ep = settings.endpoint
        self._origin: Origin | None = None
        self._config_error: EndpointError | None = None
        self._ssl_context: ssl.SSLContext | None = None
        self._api: str = ep.api
        self._base = ep.base_url.rstrip("/")
        # The local preset: which engine answers on loopback is found by `discover_local`.
        # With a URL it is only identified there (when api is left at "mistral").
        self._local = ep.preset == "local"
        self._found: Found | None = None
        self._local_searched_at: float | None = None
        try:
            if not (self._local and not ep.base_url):
                self._origin = check_endpoint(ep.base_url, settings.policy)
                if self._local and not is_loopback(self._origin.host):
                    raise PolicyViolation(
                        f"the local preset only reaches this machine, not {self._origin}; "
                        "use preset custom for other hosts"
                    )
            elif getattr(settings.policy, "error", ""):
                check_endpoint(ep.base_url, settings.policy)  # fails closed the same way
            check_proxy(ep.proxy)
            if self._origin is not None and self._origin.scheme == "https":
                self._ssl_context = _load_ssl_context(ep.ca_bundle)
        except EndpointError as exc:
            self._config_error = exc
        self._key: KeyLookup = load_api_key(ep.api_key_env, ep.api_key_file, self._env())
        self._exclusion = ContentExclusion(self._roots, settings.privacy.exclude_layers)
        self.exclusion_epoch = getattr(self, "exclusion_epoch", 0) + 1
        known = [self._key.key.reveal()] if self._key.key else []
        rules = settings.privacy.secret_rules or None  # a gitleaks TOML file, added rules
        self._scanner = configure_scanner(known_secrets=known, extra_rules_path=rules)
        privacy = settings.privacy
        self._audit = AuditLog(
            privacy.audit_path or None,
            enabled=bool(privacy.audit_log),
            forward=ForwardConfig.from_settings(settings),
        )
        timeout_s = max(0.1, ep.timeout_ms / 1000)
        self.fim_timeout_s = self._fim_timeout_override or timeout_s
        self.chat_timeout_s = self._chat_timeout_override or max(timeout_s, 120.0)
        self.models_timeout_s = min(timeout_s, 30.0)

    def reconfigure(self, settings: Any, workspace_roots: Sequence[Path]) -> None:
        """Apply new settings or roots; connections to a changed endpoint are retired."""
        old_ep = self._settings.endpoint
        old_origin = self._origin
        old_key = self._key.key.reveal() if self._key.key else None
        self._configure(settings, workspace_roots)
        new_key = self._key.key.reveal() if self._key.key else None
        if old_ep != settings.endpoint or old_origin != self._origin or old_key != new_key:
            self._retire_conn()
            self._breaker.record_success()
            self._rate_limited_until = 0.0
            self._auth_problem = ""
            self._model_problem = ""
        self._notify()

    def _retire_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        conn.retired = True
        if conn.active == 0:
            self._close_later(conn)

    def _close_later(self, conn: _Conn) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: nothing was ever opened on it from here
        task = loop.create_task(conn.client.aclose())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _get_conn(self) -> _Conn:
        if self._conn is None:
            assert self._origin is not None and (self._key.key is not None or not self._needs_key)
            ep = self._settings.endpoint
            client = build_async_client(
                frozenset({self._origin}),
                ca_bundle=ep.ca_bundle,
                proxy=ep.proxy,
                timeout_s=max(self.fim_timeout_s, self.chat_timeout_s),
                max_connections=self.max_concurrency * 2,
                ssl_context=self._ssl_context,
            )
            backend_cls = backend_class(self._api)
            self._conn = _Conn(client, backend_cls(client, self._base, self._key.key))
        return self._conn

    @property
    def _needs_key(self) -> bool:
        """The Mistral API always needs a key; local engines and loopback servers need none
        (a key that is set is still sent: llama-server --api-key, vLLM --api-key)."""
        if self._api == "mistral" and not self._local:
            return True
        return self._api == "openai" and not (self._origin and is_loopback(self._origin.host))

    @property
    def api(self) -> str:
        """The wire protocol in use (for the local preset: the one the engine found speaks)."""
        return self._api

    @property
    def uses_repo_context(self) -> bool:
        """Whether the engine in use takes repository snippets apart from the prefix (a FIM
        request's `repo_context`); until the local preset has found its engine, no."""
        return bool(backend_class(self._api).uses_repo_context)

    @property
    def engine(self) -> str:
        """What answers, in words: "Ollama", "llama.cpp", "the Mistral API", ..."""
        if self._found is not None:
            return self._found.engine
        return str(backend_class(self._api).engine)

    async def discover_local(self, force: bool = False) -> Found | None:
        """The local preset: find the engine on loopback (or identify the one at endpoint.url).

        Sends no code. Remembers a miss for LOCAL_RETRY_S so typing does not re-probe ports.
        """
        if not self._local or self._config_error is not None:
            return self._found
        if self._found is not None and not force:
            return self._found
        if (
            not force
            and self._local_searched_at is not None
            and self._clock() - self._local_searched_at < LOCAL_RETRY_S
        ):
            return None
        self._local_searched_at = self._clock()
        ep = self._settings.endpoint
        candidates = self._local_candidates
        if ep.base_url:
            candidates = [(ep.base_url.rstrip("/"), "")]
        try:
            found = await discover(candidates, timeout_s=min(2.0, self.models_timeout_s))
        except ValueError as exc:
            self._config_error = PolicyViolation(str(exc))
            found = None
        if found is not None:
            self._found = found
            if not ep.base_url or ep.api == "mistral":
                self._api = found.api
            self._base = found.url
            self._origin = check_endpoint(found.url, self._settings.policy)
            self._retire_conn()
            log.info("endpoint: local preset found %s at %s", found.engine, found.url)
        self._notify()
        return found

    async def _ensure_local(self) -> None:
        unknown = self._origin is None or (self._found is None and self._api == "mistral")
        if self._local and unknown:
            await self.discover_local()

    async def warm_up(self, sdk_delay_s: float = SDK_PRELOAD_DELAY_S) -> None:
        """Set up the client before the first request; import the SDK later, off the loop.

        Completions never need the SDK (FIM goes as plain JSON); refactors and next edits do.
        Its import (0.3-1 s of CPU) waits until start-up has settled, so the first completion
        does not share the CPU with it, and still happens before a refactor is likely.
        """
        await self._ensure_local()
        if self.status.state == "ready":
            self._get_conn()
        if self._api == "mistral" and self.status.state == "ready":
            await asyncio.sleep(sdk_delay_s)
            await asyncio.get_running_loop().run_in_executor(None, preload_sdk)

    def warm_connection(self) -> None:
        """A keystroke that may lead to a request: have the connection (TCP, proxy CONNECT,
        TLS) ready when the debounce ends rather than on the user's wait (connection.py)."""
        if self._origin is None or self.status.state != "ready":
            return
        if self._origin.scheme != "https" and not self._settings.endpoint.proxy:
            return  # plain http on loopback: nothing worth opening ahead
        transport = guarded_transport(self._get_conn().client)
        if transport is not None:
            transport.warm(self._base)

    def prescan(self, texts: Sequence[str], sources: Sequence[str] = ()) -> None:
        """Find the secrets of what a request will send while the debounce waits: the scan
        after it is then a cache hit (the scanner caches per text), off the user's wait.

        The sources are judged here too (resolving their symlinks is most of the preflight's
        CPU); the request after the debounce takes these verdicts when they are at most
        PREJUDGED_S old and the rules have not changed since, and judges any other source
        itself. The texts were read from those files earlier still, so judging the paths a
        debounce earlier changes nothing about what can leave.
        """
        for text in texts:
            self._scanner.find_spans(text)
        if sources:
            verdicts = {source: self.is_excluded(source) for source in sources}
            self._prejudged = (self.exclusion_epoch, self._clock(), verdicts)

    def _source_excluded(self, source: str) -> bool:
        epoch, judged_at, verdicts = self._prejudged
        verdict = verdicts.get(source)
        fresh = epoch == self.exclusion_epoch and self._clock() - judged_at <= PREJUDGED_S
        return self.is_excluded(source) if verdict is None or not fresh else verdict

    async def aclose(self) -> None:
        await wait_for_drains()
        self._retire_conn()
        if self._cooldown_timer is not None:
            self._cooldown_timer.cancel()
        if self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)

    # ------------------------------------------------------------------ status

    @property
    def origin(self) -> str:
        if self._origin is not None:
            return str(self._origin)
        if self._local:
            return "local"
        return self._settings.endpoint.base_url or ""

    @property
    def config_problem(self) -> str:
        """Why the endpoint configuration is unusable (no URL, refused by policy), or ""."""
        return self._config_error.reason if self._config_error is not None else ""

    @property
    def key_source(self) -> str:
        return self._key.source

    @property
    def has_key(self) -> bool:
        return self._key.key is not None

    @property
    def status(self) -> EndpointStatus:
        origin, model = self.origin, self._settings.models.completion

        def make(state: str, message: str) -> EndpointStatus:
            return EndpointStatus(state, message, origin, model)

        if isinstance(self._config_error, EndpointOffline):
            return make("offline", self._config_error.reason)
        if self._config_error is not None:
            return make("error", self._config_error.reason)
        if self._local and self._origin is None:
            return make("offline", self._local_problem())
        if self._key.key is None and self._needs_key:
            return make("offline", self._key.problem)
        if self._auth_problem:
            return make("error", self._auth_problem)
        if self._model_problem and self._clock() < self._model_problem_until:
            return make("error", self._model_problem)
        if self._breaker.state == "open":
            wait = self._breaker.remaining_s()
            return make(
                "error",
                f"endpoint paused after repeated failures ({self._breaker.reason}); "
                f"retrying by itself in {wait:.0f} s",
            )
        if self._clock() < self._rate_limited_until:
            wait = self._rate_limited_until - self._clock()
            return make(
                "error",
                f"rate limited by the endpoint (429); completions come from the index for "
                f"{wait:.0f} s, then resume by themselves",
            )
        if self._down_problem and self._clock() < self._down_until:
            return make("offline", self._down_problem)
        if self._api != "mistral" or self._local:
            return make("ready", f"ready: {self.engine} at {origin}")
        return make("ready", f"ready: {origin}")

    def _local_problem(self) -> str:
        if self._local_searched_at is None:
            return "looking for a local engine on this machine"
        ports = ", ".join(str(p) for p, _ in DEFAULT_PORTS)
        return (
            f"no local engine answers on 127.0.0.1 (ports {ports}): start Ollama "
            "(`ollama serve`), llama-server or vLLM, or set endpoint.url to its loopback URL"
        )

    def _notify(self) -> None:
        status = self.status
        if status == self._last_status:
            return
        self._last_status = status
        if self._on_status is not None:
            try:
                self._on_status(status)
            except Exception:  # noqa: BLE001 - a UI callback must not break requests
                log.exception("endpoint status callback failed")

    def _schedule_recovery_notice(self, after_s: float | None = None) -> None:
        """Announce the return to "ready" when a pause ends, with no request needed."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._cooldown_timer is not None:
            self._cooldown_timer.cancel()
        delay = self._breaker.cooldown_s if after_s is None else after_s
        self._cooldown_timer = loop.call_later(delay + 0.01, self._notify)

    # ------------------------------------------------------------------ content rules

    def is_excluded(self, path: Path | str) -> bool:
        """Whether the file's text must never be sent (deny list, ignore files, privacy)."""
        p = Path(path)
        if p.is_absolute():
            return self._exclusion.is_excluded(p)
        if not self._roots:
            return self._exclusion.is_excluded(p)
        return any(self._exclusion.is_excluded(root / p) for root in self._roots)

    def invalidate_exclusions(self) -> None:
        self._exclusion.invalidate()
        self.exclusion_epoch += 1  # callers' memos of verdicts (completion context) expire

    # ------------------------------------------------------------------ public calls

    async def fim(
        self,
        req: FimRequest,
        on_delta: Callable[[str], None] | None = None,
        after_answer: Callable[[Callable[[], None]], None] | None = None,
    ) -> EndpointResult:
        """A fill-in-the-middle completion, streamed. Never retried, never waits on 429.

        `after_answer` takes bookkeeping off the user's wait, to run right after the editor's
        answer: writing a completed request's audit record (made when it completed) and
        reading the end of its HTTP response so the connection returns to the pool. Refused
        and failed attempts are recorded at once, as is everything without `after_answer`.
        """
        model = req.model or self._settings.models.completion
        ctx = _Call("fim", uuid.uuid4().hex, model, list(req.sources))
        await self._ensure_local()
        self._preflight(ctx)
        apart = req.repo_context if backend_class(self._api).uses_repo_context else None
        extra: list[tuple[str, str]] = []
        if apart is not None:
            # Only what is sent is scanned (and hashed for the audit): prefix, suffix, chunks.
            texts = [apart.own_prefix, req.suffix, *(text for _, text in apart.chunks)]
            scanned, ctx.redacted = self._scan(ctx, texts)
            prompt, suffix = scanned[0], scanned[1]
            paths = [path for path, _ in apart.chunks]
            extra = list(zip(paths, scanned[2:], strict=True))
        else:
            (prompt, suffix), ctx.redacted = self._scan(ctx, [req.prompt, req.suffix])
        if self._clock() < self._rate_limited_until:
            wait = self._rate_limited_until - self._clock()
            self._refuse(ctx, RateLimited(f"rate limited by the endpoint; retry in {wait:.0f} s"))
        params = {
            "model": model,
            "prompt": prompt,
            "suffix": suffix,
            "max_tokens": req.max_tokens,
            "stop": list(req.stop),
            "temperature": req.temperature,
            "extra": extra,
            # Ollama's default context (2048-4096) would cut the budgeted prompt silently.
            "num_ctx": _round_up(self._settings.completion.context_tokens + req.max_tokens, 1024),
        }
        return await self._run(
            ctx,
            params,
            on_delta,
            req.stop_when,
            retries=0,
            timeout_s=self.fim_timeout_s,
            after_answer=after_answer,
        )

    async def chat(
        self, req: ChatRequest, on_delta: Callable[[str], None] | None = None
    ) -> EndpointResult:
        """A chat completion (refactors), streamed; retried on 429/5xx when `req.retry`."""
        model = req.model or self._settings.models.chat
        ctx = _Call("chat", uuid.uuid4().hex, model, list(req.sources))
        await self._ensure_local()
        self._preflight(ctx)
        contents = [str(m.get("content", "")) for m in req.messages]
        redacted, ctx.redacted = self._scan(ctx, contents)
        messages = [{**m, "content": c} for m, c in zip(req.messages, redacted, strict=True)]
        params = {
            "model": model,
            "messages": messages,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
        }
        retries = self._chat_retries if req.retry else 0
        return await self._run(
            ctx, params, on_delta, None, retries=retries, timeout_s=self.chat_timeout_s
        )

    async def list_models(self) -> list[str]:
        """The served models (sends no code): the reachability check of `doctor`."""
        models: list[str] = await self._lookup("models", lambda backend: backend.list_models)
        return models

    async def inspect_model(self, model: str) -> ModelFacts:
        """Whether `model` is there, can fill in the middle, and its context (no code sent)."""
        facts: ModelFacts = await self._lookup(
            "models", lambda backend: lambda t: backend.inspect(model, t)
        )
        return facts

    async def _lookup(self, operation: str, call: Callable[[Backend], Any]) -> Any:
        ctx = _Call(operation, uuid.uuid4().hex, "", [])
        await self._ensure_local()
        self._preflight(ctx, check_sources=False)
        conn = self._get_conn()
        meter = AttemptMeter()
        token = CURRENT_ATTEMPT.set(meter)
        conn.active += 1
        self._count(operation)
        try:
            async with asyncio.timeout(self.models_timeout_s):
                models = await call(conn.backend)(self.models_timeout_s)
        except asyncio.CancelledError:
            self._audit_attempt(ctx, meter, "failed:cancelled", 0, None)
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to a user-facing error
            failure = self._map(exc)
            self._audit_attempt(ctx, meter, f"failed:{failure.error.kind}", 0, None)
            raise failure.error from None
        finally:
            CURRENT_ATTEMPT.reset(token)
            self._release(conn)
        self._audit_attempt(ctx, meter, "sent", 0, None)
        return models

    # ------------------------------------------------------------------ the pipeline

    def _preflight(self, ctx: _Call, check_sources: bool = True) -> None:
        if self._config_error is not None:
            self._refuse(ctx, self._config_error)
        if self._origin is None:
            self._refuse(ctx, EndpointOffline(self._local_problem()))
        if self._key.key is None and self._needs_key:
            self._refuse(ctx, EndpointOffline(self._key.problem))
        if check_sources:
            excluded = [s for s in ctx.sources if self._source_excluded(s)]
            if excluded:
                self._refuse(
                    ctx,
                    ContentExcluded(
                        f"{len(excluded)} excluded file(s) would be sent; nothing was sent"
                    ),
                )

    def _scan(self, ctx: _Call, texts: list[str]) -> tuple[list[str], dict[str, int]]:
        try:
            redacted, found = self._scanner.enforce(texts, self._settings.privacy.secrets)
        except SecretsBlocked as exc:
            ctx.redacted = dict(exc.types)
            self._refuse(ctx, exc)
            raise  # unreachable: _refuse raises
        ctx.set_payload(redacted)
        return redacted, found

    def _refuse(self, ctx: _Call, error: EndpointError) -> None:
        """Audit a request refused before it left, then raise."""
        self._audit_attempt(ctx, AttemptMeter(), f"blocked:{error.kind}", 0, None)
        log.info("endpoint: %s %s refused: %s", ctx.operation, ctx.request_id, error.reason)
        raise error

    async def _run(
        self,
        ctx: _Call,
        params: dict[str, Any],
        on_delta: Callable[[str], None] | None,
        stop_when: Callable[[str], bool] | None,
        retries: int,
        timeout_s: float,
        after_answer: Callable[[Callable[[], None]], None] | None = None,
    ) -> EndpointResult:
        attempt = 0
        while True:
            try:
                is_probe = self._breaker.before_call()
            except CircuitOpen as exc:
                self._refuse(ctx, exc)
            meter = AttemptMeter(later=after_answer)
            try:
                async with self._semaphore:
                    conn = self._get_conn()
                    token = CURRENT_ATTEMPT.set(meter)
                    conn.active += 1
                    self.in_flight += 1
                    self._count(ctx.operation)
                    self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                    try:
                        async with asyncio.timeout(timeout_s):
                            delta, stopped = await self._exchange(
                                conn.backend, ctx.operation, params, on_delta, stop_when, timeout_s
                            )
                    finally:
                        self.in_flight -= 1
                        CURRENT_ATTEMPT.reset(token)
                        self._release(conn)
            except asyncio.CancelledError:
                if is_probe:
                    self._breaker.release_probe()
                if meter.sent:
                    self._audit_attempt(ctx, meter, "failed:cancelled", attempt, None)
                raise
            except _CallerError as exc:
                if is_probe:
                    self._breaker.release_probe()
                self._audit_attempt(ctx, meter, "failed:caller", attempt, None)
                raise exc.original from None
            except Exception as exc:  # noqa: BLE001 - mapped below
                failure = self._map(exc)
                self._record_failure(ctx, failure, meter, attempt, is_probe)
                if retries > attempt and failure.retryable:
                    await asyncio.sleep(self._retry_delay(failure, attempt))
                    attempt += 1
                    continue
                raise failure.error from None
            self._breaker.record_success()
            self._auth_problem = ""
            self._model_problem = self._down_problem = ""
            self._audit_attempt(ctx, meter, "sent", attempt, delta.usage, later=after_answer)
            self._notify()
            return EndpointResult(
                text=delta.text,
                model=delta.model or ctx.model,
                usage=delta.usage,
                request_id=ctx.request_id,
                redacted=dict(ctx.redacted),
                finish_reason=delta.finish_reason,
                stopped_early=stopped,
            )

    async def _exchange(
        self,
        backend: Backend,
        operation: str,
        params: dict[str, Any],
        on_delta: Callable[[str], None] | None,
        stop_when: Callable[[str], bool] | None,
        timeout_s: float,
    ) -> tuple[Delta, bool]:
        stream: AsyncIterator[Delta] = (
            backend.fim_stream(params, timeout_s)
            if operation == "fim"
            else backend.chat_stream(params, timeout_s)
        )
        total = Delta()
        stopped = False
        try:
            async for delta in stream:
                if delta.finish_reason:
                    total.finish_reason = delta.finish_reason
                if delta.usage:
                    total.usage = delta.usage
                if delta.model:
                    total.model = delta.model
                if delta.text:
                    total.text += delta.text
                    try:
                        if on_delta is not None:
                            on_delta(delta.text)
                        if stop_when is not None and stop_when(total.text):
                            stopped = True
                            break
                    except Exception as exc:
                        # The caller's bug, not the endpoint's: no breaker, no mapping.
                        raise _CallerError(exc) from exc
                if total.finish_reason is not None and total.usage:
                    # The answer is whole; what may follow is the stream's end (`[DONE]`),
                    # read in the background (the boundary drains, not drops, the connection).
                    _mark_complete()
                    break
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        if not stopped and total.finish_reason is None:
            raise EndpointHTTPError("the answer stream ended before it was complete")
        return total, stopped

    def _count(self, operation: str) -> None:
        self.requests[operation] = self.requests.get(operation, 0) + 1

    def _release(self, conn: _Conn) -> None:
        conn.active -= 1
        if conn.retired and conn.active == 0:
            self._close_later(conn)

    def _retry_delay(self, failure: _Failure, attempt: int) -> float:
        if failure.retry_after is not None:
            return min(failure.retry_after, self._retry_cap)
        return min(self._backoff * float(2**attempt), self._retry_cap)

    def _record_failure(
        self, ctx: _Call, failure: _Failure, meter: AttemptMeter, attempt: int, is_probe: bool
    ) -> None:
        err = failure.error
        self._audit_attempt(ctx, meter, f"failed:{err.kind}", attempt, None)
        log.warning(
            "endpoint: %s %s attempt %d failed: %s",
            ctx.operation,
            ctx.request_id,
            attempt,
            err.reason,
        )
        if isinstance(err, RateLimited):
            wait = err.retry_after if err.retry_after is not None else 1.0
            self._rate_limited_until = self._clock() + min(wait, self._retry_cap)
            self._schedule_recovery_notice(min(wait, self._retry_cap))
        if failure.trips_breaker:
            if self._breaker.record_failure(err.reason):
                self._schedule_recovery_notice()
        elif is_probe:
            self._breaker.release_probe()
        self._notify()

    def _map(self, exc: BaseException) -> _Failure:
        """Turn any exception from the client into an EndpointError the user can act on."""
        origin = self.origin
        if isinstance(exc, RedirectRefused | PolicyViolation):
            return _Failure(exc, trips_breaker=False, retryable=False)
        if isinstance(exc, ModelUnfit):
            # Each request would fail the same way: say why, pause, then try again by itself.
            self._model_problem = exc.reason
            self._model_problem_until = self._clock() + MODEL_PROBLEM_S
            self._schedule_recovery_notice(MODEL_PROBLEM_S)
            return _Failure(exc, trips_breaker=False, retryable=False)
        if isinstance(exc, EndpointError):
            return _Failure(exc, trips_breaker=True, retryable=False)
        status = getattr(exc, "status_code", None)
        if isinstance(status, int) and status >= 400:
            headers = getattr(exc, "headers", None) or {}
            detail = self._upstream_message(getattr(exc, "body", ""))
            if status == 429:
                after = parse_retry_after(headers.get("retry-after"), self._retry_cap)
                return _Failure(
                    RateLimited(f"rate limited by {origin} (HTTP 429)", after),
                    trips_breaker=False,
                    retryable=True,
                    retry_after=after,
                )
            if status in (401, 403):
                self._auth_problem = (
                    f"{origin} rejected the API key (HTTP {status}); check the key from "
                    f"{self._key.source}"
                )
                return _Failure(
                    EndpointHTTPError(self._auth_problem, status), False, retryable=False
                )
            reason = f"{origin} answered HTTP {status}" + (f": {detail}" if detail else "")
            return _Failure(
                EndpointHTTPError(reason, status),
                trips_breaker=status >= 500,
                retryable=status in RETRYABLE_STATUS,
            )
        if isinstance(exc, TimeoutError | httpx2.TimeoutException):
            return _Failure(EndpointTimeout(f"{origin} did not answer in time"), True, True)
        if isinstance(exc, httpx2.ConnectError):
            if _is_tls_failure(exc):
                reason = (
                    f"TLS certificate of {origin} is not trusted; set endpoint.ca_bundle to "
                    "your organisation's CA"
                )
                return _Failure(EndpointOffline(reason), True, False)
            hint = START_HINTS.get(self._api, "")
            reason = f"cannot connect to {origin}" + (f": {hint}" if hint else "")
            if self._api != "mistral" and self._origin and is_loopback(self._origin.host):
                # Nothing listens on this machine's port: say so now, look again shortly.
                self._down_problem, self._down_until = reason, self._clock() + LOCAL_RETRY_S
                self._schedule_recovery_notice(LOCAL_RETRY_S)
            return _Failure(EndpointOffline(reason), True, True)
        if isinstance(exc, httpx2.TransportError):
            return _Failure(
                EndpointHTTPError(f"the connection to {origin} broke during the answer"),
                True,
                True,
            )
        log.debug("endpoint: unexpected %s from the client", type(exc).__name__)
        return _Failure(EndpointHTTPError(f"malformed answer from {origin}"), True, True)

    def _upstream_message(self, body: Any) -> str:
        text = error_message(body if isinstance(body, str) else "")[:160]
        if self._key.key is not None:
            text = text.replace(self._key.key.reveal(), "****")
        return text

    # ------------------------------------------------------------------ audit

    def _audit_attempt(
        self,
        ctx: _Call,
        meter: AttemptMeter,
        decision: str,
        attempt: int,
        usage: dict[str, int] | None,
        later: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        """Record one attempt; with `later`, the record is made now and written when `later`
        runs what it is given."""
        record = AuditRecord(
            request_id=ctx.request_id,
            operation=ctx.operation,
            origin=self.origin,
            model=ctx.model,
            decision=decision,
            bytes_out=meter.bytes_out,
            bytes_in=meter.bytes_in,
            usage=dict(usage or {}),
            latency_ms=round((time.monotonic() - meter.started) * 1000, 1),
            http_status=meter.status,
            retries=attempt,
            redacted=dict(ctx.redacted),
            payload_sha256=meter.payload_sha256 or ctx.payload_hash(),
            sources=list(ctx.sources),
            policy_digest=str(getattr(self._settings.policy, "digest", "") or ""),
        )
        write = functools.partial(self._audit.write, record)
        if later is None:
            write()
        else:
            later(write)

    @property
    def audit_log(self) -> AuditLog:
        return self._audit


def _mark_complete() -> None:
    """Tell the boundary the attempt's answer is whole (see `AttemptMeter.complete`)."""
    meter = CURRENT_ATTEMPT.get()
    if meter is not None:
        meter.complete = True


class _CallerError(Exception):
    """An exception from the caller's on_delta / stop_when, carried through unchanged."""

    def __init__(self, original: Exception) -> None:
        super().__init__(str(original))
        self.original = original


@dataclass
class _Call:
    operation: str
    request_id: str
    model: str
    sources: list[str]
    redacted: dict[str, int] = field(default_factory=dict)
    payload_sha256: str = ""

    def payload_hash(self) -> str:
        return self.payload_sha256

    def set_payload(self, texts: Sequence[str]) -> None:
        """Hash of the (redacted) texts, for records of requests that never left."""
        digest = hashlib.sha256()
        for t in texts:
            digest.update(t.encode("utf-8", "surrogatepass") + b"\0")
        self.payload_sha256 = digest.hexdigest()


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _load_ssl_context(ca_bundle: str) -> ssl.SSLContext:
    try:
        return make_ssl_context(ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        detail = getattr(exc, "strerror", None) or exc.__class__.__name__
        raise EndpointError(
            f"cannot load the CA bundle {ca_bundle!r} ({detail}); fix endpoint.ca_bundle"
        ) from None


def _is_tls_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(cur):
            return True
        cur = cur.__cause__ or cur.__context__
    return False
