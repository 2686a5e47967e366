"""A failing endpoint: rate limits, 5xx bursts, slow drips, cut streams, bad JSON, cancellation.

No crash, a clear status, a bounded number of requests (counted by the fake server).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lsp_server.endpoint import (
    ChatRequest,
    CircuitOpen,
    EndpointHTTPError,
    EndpointOffline,
    EndpointService,
    EndpointStatus,
    EndpointTimeout,
    FimRequest,
    RateLimited,
)
from lsp_server.endpoint.boundary import _DRAINING, wait_for_drains
from lsp_server.endpoint.resilience import CircuitBreaker, parse_retry_after
from tests.fake_endpoint import TEST_KEY, FakeMistral, Reply, make_settings

ENV = {"MISTRAL_API_KEY": TEST_KEY}


def _service(url: str, tmp_path: Path, **kwargs) -> EndpointService:
    settings_kw = {k: kwargs.pop(k) for k in ("api", "timeout_ms") if k in kwargs}
    settings = make_settings(url, audit_path=str(tmp_path / "audit.jsonl"), **settings_kw)
    return EndpointService(settings, [tmp_path], env=ENV, **kwargs)


def _fim(prompt: str = "def f(") -> FimRequest:
    return FimRequest(prompt=prompt, suffix="\n", max_tokens=32)


def _chat() -> ChatRequest:
    return ChatRequest([{"role": "user", "content": "rename x"}], max_tokens=64)


# ------------------------------------------------------------------------- happy paths


@pytest.mark.parametrize("api", ["mistral", "openai"])
async def test_fim_and_chat_stream_through_both_wire_protocols(tmp_path: Path, api: str) -> None:
    with FakeMistral() as fake:
        fake.fim_responder = lambda body: "<" + body["prompt"][-6:] + ">"
        fake.chat_responder = lambda body: "ok: " + body["messages"][-1]["content"]
        svc = _service(fake.url, tmp_path, api=api)
        deltas: list[str] = []
        fim = await svc.fim(FimRequest("def f(", "pass", 32, stop=["\n\n"]), deltas.append)
        chat = await svc.chat(_chat())
        models = await svc.list_models()
        await svc.aclose()
        requests = fake.requests
    assert chat.text == "ok: rename x" and chat.finish_reason == "stop"
    assert "codestral-latest" in models
    assert "".join(deltas) == fim.text and len(deltas) >= 2
    assert fim.usage["total_tokens"] > 0 and fim.request_id
    if api == "mistral":
        assert fim.text == "<def f(>"
        assert [r.path for r in requests][:2] == ["/v1/fim/completions", "/v1/chat/completions"]
        assert requests[0].body["suffix"] == "pass" and requests[0].body["stop"] == ["\n\n"]
    else:
        assert [r.path for r in requests][:2] == ["/v1/completions", "/v1/chat/completions"]
        assert requests[0].body["prompt"] == "[SUFFIX]pass[PREFIX]def f("  # vLLM adds BOS
        assert fim.text == "<def f(>"  # the responder saw the Codestral FIM layout's tail
    assert all(r.body is None or r.body["stream"] is True for r in requests)


async def test_stop_when_closes_the_stream_early(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        fake.script("fim", Reply(text="return x\nmore\nlines\n" * 5, chunks=30, delay_s=0.02))
        svc = _service(fake.url, tmp_path)
        res = await svc.fim(FimRequest("x", "", 64, stop_when=lambda text: "\n" in text))
        await svc.aclose()
        assert res.stopped_early and res.text.startswith("return x\n") and len(res.text) < 30
        assert fake.wait_for(lambda: fake.closed_streams == 1)


# ------------------------------------------------------------------------- rate limits


def test_retry_after_parsing_is_capped() -> None:
    assert parse_retry_after("86400") == 30.0
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT") == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


async def test_completions_never_wait_on_retry_after(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        fake.script("fim", Reply(status=429, headers={"Retry-After": "86400"}))
        svc = _service(fake.url, tmp_path)
        start = time.monotonic()
        with pytest.raises(RateLimited) as info:
            await svc.fim(_fim())
        assert info.value.retry_after == 30.0
        # Within the (capped) window further completions fail fast and send nothing.
        for _ in range(5):
            with pytest.raises(RateLimited):
                await svc.fim(_fim())
        assert time.monotonic() - start < 1.0
        assert len(fake.requests) == 1
        # Rate limits are not failures of the endpoint: the breaker stays closed, and the
        # status says why completions come from the index for now.
        assert svc._breaker.state == "closed"
        assert svc.status.state == "error" and "rate limited" in svc.status.message
        await svc.aclose()


async def test_chat_retries_honouring_a_capped_retry_after(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        fake.script(
            "chat",
            Reply(status=429, headers={"Retry-After": "86400"}),
            Reply(status=503),
            Reply(text="renamed"),
        )
        svc = _service(fake.url, tmp_path, retry_after_cap_s=0.3, backoff_s=0.05)
        start = time.monotonic()
        res = await svc.chat(_chat())
        elapsed = time.monotonic() - start
        await svc.aclose()
        assert res.text == "renamed" and len(fake.requests) == 3
        assert 0.3 <= elapsed < 3.0  # waited the capped Retry-After, not a day


async def test_chat_retries_are_bounded_and_optional(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        fake.script("chat", *[Reply(status=500) for _ in range(10)])
        svc = _service(fake.url, tmp_path, chat_retries=2, backoff_s=0.01, failure_threshold=50)
        with pytest.raises(EndpointHTTPError) as info:
            await svc.chat(_chat())
        assert info.value.status == 500 and len(fake.requests) == 3
        req = _chat()
        req.retry = False
        with pytest.raises(EndpointHTTPError):
            await svc.chat(req)
        assert len(fake.requests) == 4
        await svc.aclose()


# ------------------------------------------------------------------------- breaker


async def test_circuit_breaker_opens_on_500_bursts_and_closes_by_itself(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        fake.script("fim", *[Reply(status=500) for _ in range(3)])
        statuses: list[EndpointStatus] = []
        settings = make_settings(fake.url, audit_path=str(tmp_path / "a.jsonl"))
        svc = EndpointService(
            settings,
            [tmp_path],
            on_status=statuses.append,
            env=ENV,
            failure_threshold=3,
            cooldown_s=0.3,
        )
        for _ in range(3):
            with pytest.raises(EndpointHTTPError):
                await svc.fim(_fim())
        assert svc.status.state == "error" and "HTTP 500" in svc.status.message
        assert statuses[-1].state == "error"
        for _ in range(10):
            with pytest.raises(CircuitOpen):
                await svc.fim(_fim())
        assert len(fake.requests) == 3  # bounded: nothing sent while open
        await asyncio.sleep(0.4)
        assert statuses[-1].state == "ready"  # announced without a request
        res = await svc.fim(_fim())  # the half-open probe succeeds
        assert res.text == "return x" and svc.status.state == "ready"
        await svc.aclose()
    decisions = [r["decision"] for r in svc.audit_log.read()]
    assert decisions.count("blocked:circuit-open") == 10


async def test_failed_probe_reopens_the_circuit(tmp_path: Path) -> None:
    clock = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown_s=10, clock=lambda: clock[0])
    breaker.record_failure("boom")
    assert breaker.state == "closed"
    assert breaker.record_failure("boom") and breaker.state == "open"
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock[0] = 11
    assert breaker.before_call() is True  # the probe
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # only one probe at a time
    assert breaker.record_failure("still down") and breaker.state == "open"
    clock[0] = 22
    assert breaker.before_call() is True
    breaker.record_success()
    assert breaker.state == "closed" and breaker.before_call() is False


# ------------------------------------------------------------------------- broken answers


async def test_slow_drip_times_out_and_closes_the_stream(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        fake.script("fim", Reply(text="x" * 40, chunks=40, delay_s=0.1))
        svc = _service(fake.url, tmp_path, fim_timeout_s=0.4)
        start = time.monotonic()
        with pytest.raises(EndpointTimeout):
            await svc.fim(_fim())
        assert time.monotonic() - start < 2.0
        assert fake.wait_for(lambda: fake.closed_streams == 1)
        await svc.aclose()


async def test_slow_first_byte_times_out(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        fake.script("fim", Reply(latency_s=2.0))
        svc = _service(fake.url, tmp_path, fim_timeout_s=0.3)
        with pytest.raises(EndpointTimeout):
            await svc.fim(_fim())
        assert fake.wait_for(lambda: fake.closed_streams == 1)
        await svc.aclose()


@pytest.mark.parametrize("api", ["mistral", "openai"])
async def test_cut_stream_and_malformed_json_are_clean_errors(tmp_path: Path, api: str) -> None:
    route = "fim" if api == "mistral" else "completions"
    with FakeMistral() as fake:
        fake.script(route, Reply(chunks=4, cut_after=2), Reply(malformed=True, chunks=4))
        fake.script("chat", Reply(body="{oops", status=200))
        svc = _service(fake.url, tmp_path, api=api)
        with pytest.raises(EndpointHTTPError, match="broke"):
            await svc.fim(_fim())
        with pytest.raises(EndpointHTTPError, match="malformed"):
            await svc.fim(_fim())
        req = _chat()
        req.retry = False
        with pytest.raises(EndpointHTTPError):
            await svc.chat(req)
        assert (await svc.fim(_fim())).text == "return x"
        await svc.aclose()
        assert len(fake.requests) == 4


async def test_connection_refused_is_offline(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    svc = _service(f"http://127.0.0.1:{port}", tmp_path, failure_threshold=2, cooldown_s=60)
    for _ in range(2):
        with pytest.raises(EndpointOffline, match="cannot connect"):
            await svc.fim(_fim())
    with pytest.raises(CircuitOpen):
        await svc.fim(_fim())
    assert svc.status.state == "error" and "cannot connect" in svc.status.message
    await svc.aclose()


async def test_missing_key_is_offline_and_sends_nothing(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        settings = make_settings(fake.url, audit_path=str(tmp_path / "a.jsonl"))
        svc = EndpointService(settings, [tmp_path], env={})
        assert svc.status.state == "offline" and "MISTRAL_API_KEY" in svc.status.message
        with pytest.raises(EndpointOffline):
            await svc.fim(_fim())
        svc._env = lambda: ENV  # the user exports the key and the settings reload
        svc.reconfigure(settings, [tmp_path])
        assert svc.status.state == "ready"
        await svc.fim(_fim())
        await svc.aclose()
        assert len(fake.requests) == 1


# ------------------------------------------------------------------------- cancellation


async def test_cancelling_the_task_closes_the_stream_at_once(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        fake.script("fim", Reply(text="y" * 100, chunks=50, delay_s=0.05))
        svc = _service(fake.url, tmp_path)
        first = asyncio.Event()
        task = asyncio.create_task(svc.fim(_fim(), on_delta=lambda _d: first.set()))
        await asyncio.wait_for(first.wait(), 2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert fake.wait_for(lambda: fake.closed_streams == 1, timeout=1.0)
        assert svc.in_flight == 0
        assert (await svc.fim(_fim())).text == "return x"  # the service is fine afterwards
        await svc.aclose()
    assert [r["decision"] for r in svc.audit_log.read()] == ["failed:cancelled", "sent"]


async def test_a_storm_of_cancellations_leaves_nothing_behind(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    with FakeMistral() as fake:
        fake.script("fim", *[Reply(chunks=5, delay_s=0.01) for _ in range(60)])
        svc = _service(fake.url, tmp_path, max_concurrency=4)
        loop = asyncio.get_running_loop()
        errors: list[dict] = []
        loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
        tasks = [asyncio.create_task(svc.fim(_fim())) for _ in range(60)]
        for t in tasks:
            if rng.random() < 0.6:
                loop.call_later(rng.uniform(0, 0.1), t.cancel)
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(o, asyncio.CancelledError) or o.text for o in outcomes)
        assert svc.in_flight == 0 and svc.peak_in_flight <= 4
        await svc.aclose()
        streamed = [r for r in fake.requests if r.stream]
        assert fake.wait_for(lambda: all(r.completed or r.closed_early for r in streamed))
        assert errors == []


# ------------------------------------------------------------------------- concurrency


async def test_concurrent_requests_are_bounded(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        fake.script("fim", *[Reply(latency_s=0.15) for _ in range(8)])
        svc = _service(fake.url, tmp_path, max_concurrency=2)
        results = await asyncio.gather(*(svc.fim(_fim()) for _ in range(8)))
        await svc.aclose()
        assert all(r.text == "return x" for r in results)
        assert svc.peak_in_flight == 2 and fake.peak_active == 2
        assert len(fake.requests) == 8


async def test_reconfigure_moves_to_the_new_endpoint(tmp_path: Path) -> None:
    with FakeMistral() as first, FakeMistral() as second:
        svc = _service(first.url, tmp_path)
        await svc.fim(_fim())
        svc.reconfigure(make_settings(second.url), [tmp_path])
        assert svc.status.origin == second.url
        await svc.fim(_fim())
        await svc.aclose()
        assert len(first.requests) == 1 and len(second.requests) == 1


@pytest.mark.parametrize("api", ["mistral", "openai"])
async def test_finished_streams_keep_the_connection_alive(tmp_path: Path, api: str) -> None:
    with FakeMistral() as fake:
        svc = _service(fake.url, tmp_path, api=api, max_concurrency=1)
        for _ in range(3):
            await svc.fim(_fim())
            await asyncio.sleep(0.05)  # the finished stream is drained in the background
        await svc.chat(_chat())
        await svc.aclose()
        ports = {r.client_port for r in fake.requests}
        # One TCP (and, in production, TLS) handshake for all four requests.
        assert len(ports) == 1 and fake.closed_streams == 0


async def test_a_finished_stream_drained_after_the_answer_keeps_the_connection(
    tmp_path: Path,
) -> None:
    """With `after_answer`, the end of a finished answer stream is read only once the queued
    work runs (after the editor's answer); the connection still goes back to the pool."""
    pending: list[Callable[[], None]] = []
    with FakeMistral() as fake:
        svc = _service(fake.url, tmp_path, max_concurrency=1)
        for _ in range(3):
            await svc.fim(_fim(), after_answer=pending.append)
            assert len(pending) == 2  # the audit record, the drain: neither started yet
            assert not [t for t in _DRAINING if not t.done()]
            for work in pending:
                work()
            pending.clear()
            await wait_for_drains()
        await svc.aclose()
        assert len({r.client_port for r in fake.requests}) == 1 and fake.closed_streams == 0
    assert len(svc.audit_log.read()) == 3


class _WithheldDone:
    """A loopback endpoint that sends the whole answer (finish reason and usage) at once but
    holds back `[DONE]` and the end of the chunked body until `release` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.connections = 0
        self.requests = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                self.requests += 1
                event = json.dumps(
                    {
                        "id": "c",
                        "model": "codestral-latest",
                        "choices": [
                            {"index": 0, "delta": {"content": "x"}, "finish_reason": "stop"}
                        ],
                        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
                    }
                ).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n" + _chunk(b"data: " + event + b"\n\n")
                )
                await writer.drain()
                await self.release.wait()
                writer.write(_chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
                await writer.drain()
                self.release.clear()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


async def test_a_whole_answer_returns_before_the_streams_end(tmp_path: Path) -> None:
    """Finish reason and usage read: the answer returns without waiting for `[DONE]`, which
    is read afterwards, so the connection still goes back to the pool."""
    endpoint = _WithheldDone()
    server = await asyncio.start_server(endpoint.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    svc = _service(f"http://127.0.0.1:{port}", tmp_path, max_concurrency=1)
    try:
        for _ in range(2):
            # Would hang (and time out) if the answer waited for the withheld `[DONE]`.
            result = await asyncio.wait_for(svc.fim(_fim()), timeout=30)
            assert result.text == "x" and result.usage["total_tokens"] == 4
            endpoint.release.set()
            await wait_for_drains()
        assert endpoint.requests == 2 and endpoint.connections == 1
    finally:
        await svc.aclose()
        server.close()
        await server.wait_closed()


async def test_a_failing_callback_is_the_callers_error_not_the_endpoints(tmp_path: Path) -> None:
    def boom(_text: str) -> None:
        raise KeyError("caller bug")

    with FakeMistral() as fake:
        fake.script("fim", Reply(text="z" * 20, chunks=10, delay_s=0.05))
        svc = _service(fake.url, tmp_path, failure_threshold=1)
        with pytest.raises(KeyError):
            await svc.fim(_fim(), on_delta=boom)
        assert svc.status.state == "ready"  # the breaker did not count it
        assert (await svc.fim(_fim())).text == "return x"
        await svc.aclose()
        assert fake.wait_for(lambda: fake.closed_streams == 1)


def test_sdk_model_cache_returns_one_class_per_type() -> None:
    from mistralai.client import models
    from mistralai.client.utils import serializers

    from lsp_server.endpoint.backends import install_sdk_model_cache

    install_sdk_model_cache()
    install_sdk_model_cache()  # idempotent
    a = serializers.create_model("Unmarshaller", body=(models.CompletionEvent, ...))
    b = serializers.create_model("Unmarshaller", body=(models.CompletionEvent, ...))
    assert a is b
    event = serializers.unmarshal_json(
        '{"data": {"id": "1", "model": "m", "choices": []}}', models.CompletionEvent
    )
    assert event.data.model == "m"


async def test_a_new_key_file_is_used_after_reconfigure(tmp_path: Path) -> None:
    from dataclasses import replace

    keyfile = tmp_path / "key"
    keyfile.write_text("first-key-0123456789")
    with FakeMistral() as fake:
        base = make_settings(fake.url)
        settings = replace(base, endpoint=replace(base.endpoint, api_key_file=str(keyfile)))
        svc = EndpointService(settings, [tmp_path], env={})
        await svc.fim(_fim())
        keyfile.write_text("second-key-0123456789")
        svc.reconfigure(settings, [tmp_path])
        await svc.fim(_fim())
        await svc.aclose()
        auth = [r.headers["authorization"] for r in fake.requests]
    assert auth == ["Bearer first-key-0123456789", "Bearer second-key-0123456789"]
