"""The boundary: code goes to the configured origin and nowhere else, whatever the environment.

Each case points something at the Attacker (a loopback listener) and proves it got zero bytes.
"""

from __future__ import annotations

import logging
import os
import ssl
from pathlib import Path

import httpx2
import pytest
import trustme

from lsp_server.config.settings import PolicySettings
from lsp_server.endpoint import (
    ChatRequest,
    EndpointError,
    EndpointOffline,
    EndpointService,
    FimRequest,
    PolicyViolation,
    RedirectRefused,
)
from lsp_server.endpoint.boundary import (
    GuardedTransport,
    check_endpoint,
    is_loopback,
    parse_origin,
)
from tests.fake_endpoint import TEST_KEY, Attacker, FakeMistral, Reply, make_settings, patched_env

ENV = {"MISTRAL_API_KEY": TEST_KEY}


def _fim(text: str = "def f(") -> FimRequest:
    return FimRequest(prompt=text, suffix="", max_tokens=16)


def _service(settings, tmp_path: Path, **kwargs) -> EndpointService:
    return EndpointService(settings, [tmp_path], env=ENV, **kwargs)


async def test_redirect_is_refused_and_its_target_gets_nothing(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    with FakeMistral() as fake, Attacker() as attacker:
        fake.script("fim", Reply(redirect_to=attacker.url + "/v1/fim/completions"))
        fake.script("chat", Reply(redirect_to=attacker.url + "/steal", redirect_status=302))
        svc = _service(make_settings(fake.url, audit_path=str(tmp_path / "a.jsonl")), tmp_path)
        with pytest.raises(RedirectRefused) as info:
            await svc.fim(_fim())
        assert info.value.status == 307 and str(attacker.port) in info.value.location
        with pytest.raises(RedirectRefused):
            await svc.chat(ChatRequest([{"role": "user", "content": "x"}], 16, retry=True))
        await svc.aclose()
        attacker.settle()
        assert attacker.connections == 0 and attacker.bytes_received == 0
        # Redirects are not retried: one request each.
        assert len(fake.requests) == 2
    assert f"127.0.0.1:{attacker.port}" in caplog.text  # the log names the target
    decisions = [r["decision"] for r in svc.audit_log.read()]
    assert decisions == ["failed:redirect", "failed:redirect"]


@pytest.mark.parametrize("tls", [False, True])
async def test_proxy_environment_is_ignored(tmp_path: Path, tls: bool) -> None:
    with FakeMistral(tls=True if tls else None) as fake, Attacker() as attacker:
        proxies = {
            name: attacker.url
            for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")
        }
        with patched_env(**proxies, NO_PROXY="", no_proxy=""):
            # Control: an ordinary client does go to the "proxy" (so this test can fail).
            async with httpx2.AsyncClient(timeout=0.2) as naive:
                with pytest.raises(httpx2.HTTPError):
                    await naive.get(fake.url + "/v1/models")
            attacker.settle()
            seen_by_control = attacker.bytes_received
            assert seen_by_control > 0
            settings = make_settings(fake.url, ca_bundle=fake.ca_pem_path or "")
            svc = _service(settings, tmp_path)
            result = await svc.fim(_fim())
            await svc.list_models()
            await svc.aclose()
        attacker.settle()
        assert result.text == "return x"
        assert attacker.bytes_received == seen_by_control
        assert len(fake.requests) == 2


async def test_origin_outside_policy_allowed_origins_is_refused(tmp_path: Path) -> None:
    with Attacker() as attacker:
        policy = PolicySettings(active=True, allowed_origins=("https://mistral.internal.example",))
        statuses = []
        svc = EndpointService(
            make_settings(attacker.url, policy=policy, audit_path=str(tmp_path / "a.jsonl")),
            [tmp_path],
            on_status=statuses.append,
            env=ENV,
        )
        assert svc.status.state == "error"
        assert "allowed_origins" in svc.status.message
        with pytest.raises(PolicyViolation):
            await svc.fim(_fim())
        with pytest.raises(PolicyViolation):
            await svc.chat(ChatRequest([{"role": "user", "content": "x"}], 16))
        with pytest.raises(PolicyViolation):
            await svc.list_models()
        await svc.aclose()
        attacker.settle()
        assert attacker.connections == 0 and attacker.bytes_received == 0
    assert [r["decision"] for r in svc.audit_log.read()] == ["blocked:policy"] * 3


async def test_policy_allowing_the_origin_lets_requests_through(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        policy = PolicySettings(active=True, allowed_origins=(fake.url + "/",), digest="abc123")
        settings = make_settings(fake.url, policy=policy, audit_path=str(tmp_path / "a.jsonl"))
        svc = _service(settings, tmp_path)
        assert svc.status.state == "ready"
        await svc.fim(_fim())
        await svc.aclose()
    assert svc.audit_log.read()[0]["policy_digest"] == "abc123"


async def test_reconfigure_to_a_foreign_origin_under_policy_sends_nothing(tmp_path: Path) -> None:
    with FakeMistral() as fake, Attacker() as attacker:
        policy = PolicySettings(active=True, allowed_origins=(fake.url,))
        svc = _service(make_settings(fake.url, policy=policy), tmp_path)
        await svc.fim(_fim())
        svc.reconfigure(make_settings(attacker.url, policy=policy), [tmp_path])
        assert svc.status.state == "error"
        with pytest.raises(PolicyViolation):
            await svc.fim(_fim())
        await svc.aclose()
        attacker.settle()
        assert attacker.bytes_received == 0 and len(fake.requests) == 1


def test_plain_http_only_for_loopback_or_when_the_policy_allows() -> None:
    no_policy = PolicySettings()
    with pytest.raises(PolicyViolation, match="https"):
        check_endpoint("http://mistral.internal.example", no_policy)
    assert str(check_endpoint("http://127.0.0.1:8765", no_policy)) == "http://127.0.0.1:8765"
    assert str(check_endpoint("http://localhost:1", no_policy)) == "http://localhost:1"
    assert str(check_endpoint("http://[::1]:9", no_policy)) == "http://[::1]:9"
    lax = PolicySettings(active=True, allow_insecure_http=True)
    assert str(check_endpoint("http://mistral.internal.example", lax)).startswith("http://")
    with pytest.raises(EndpointOffline):
        check_endpoint("", no_policy)
    with pytest.raises(PolicyViolation):
        check_endpoint("https://user:pw@api.eu.mistral.ai", no_policy)
    with pytest.raises(PolicyViolation):
        check_endpoint("ftp://api.eu.mistral.ai", no_policy)
    assert is_loopback("127.8.0.1") and not is_loopback("10.0.0.1")
    assert parse_origin("HTTPS://API.eu.mistral.ai:443/v1") == parse_origin(
        "https://api.eu.mistral.ai"
    )


async def test_plain_http_to_a_remote_host_is_refused_by_the_service(tmp_path: Path) -> None:
    svc = _service(make_settings("http://mistral.internal.example"), tmp_path)
    assert svc.status.state == "error" and "https" in svc.status.message
    with pytest.raises(PolicyViolation):
        await svc.fim(_fim())


async def test_custom_preset_without_url_is_offline_never_a_fallback(tmp_path: Path) -> None:
    svc = _service(make_settings(""), tmp_path)
    assert svc.status.state == "offline" and "endpoint.url" in svc.status.message
    with pytest.raises(EndpointOffline):
        await svc.fim(_fim())


async def test_transport_refuses_a_foreign_origin_before_any_socket(tmp_path: Path) -> None:
    with FakeMistral() as fake, Attacker() as attacker:
        inner = httpx2.AsyncHTTPTransport(trust_env=False)
        transport = GuardedTransport(inner, frozenset({parse_origin(fake.url)}))
        async with httpx2.AsyncClient(transport=transport, trust_env=False) as client:
            assert (await client.get(fake.url + "/v1/models")).status_code == 200
            with pytest.raises(PolicyViolation):
                await client.post(attacker.url + "/v1/fim/completions", content=b"secret code")
            with pytest.raises(PolicyViolation):  # same host, other port
                await client.get(f"http://127.0.0.1:{attacker.port}/")
        attacker.settle()
        assert attacker.connections == 0


async def test_sslkeylogfile_stays_unwritten(tmp_path: Path) -> None:
    keylog = tmp_path / "keys.log"
    control = tmp_path / "control.log"
    with patched_env(SSLKEYLOGFILE=str(control)):
        ssl.create_default_context()
    if not control.exists():
        pytest.skip("this Python does not honour SSLKEYLOGFILE, nothing to prove")
    with FakeMistral(tls=True) as fake, patched_env(SSLKEYLOGFILE=str(keylog)):
        svc = _service(make_settings(fake.url, ca_bundle=fake.ca_pem_path or ""), tmp_path)
        assert (await svc.fim(_fim())).text == "return x"
        await svc.list_models()
        await svc.aclose()
    assert not keylog.exists()


async def test_ssl_cert_file_does_not_replace_the_configured_ca(tmp_path: Path) -> None:
    with FakeMistral(tls=True) as fake:
        # SSL_CERT_FILE names the fake's CA, but the settings name none: the system store is
        # used and the handshake fails. The environment cannot make us trust a CA.
        with patched_env(SSL_CERT_FILE=fake.ca_pem_path, SSL_CERT_DIR=None):
            svc = _service(make_settings(fake.url), tmp_path)
            with pytest.raises(EndpointOffline, match="ca_bundle"):
                await svc.fim(_fim())
            await svc.aclose()
        assert fake.requests == []


async def test_wrong_ca_is_a_clear_error_and_sends_nothing(tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with FakeMistral(tls=True) as fake:
        svc = _service(make_settings(fake.url, ca_bundle=str(other)), tmp_path)
        with pytest.raises(EndpointOffline, match="TLS certificate"):
            await svc.fim(_fim())
        await svc.aclose()
        assert fake.requests == [] and fake.wait_for(lambda: fake.tls_failures >= 1)


async def test_sdk_telemetry_and_debug_are_neutralised(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeMistral() as fake, Attacker() as attacker:
        with patched_env(
            MISTRAL_SDK_TELEMETRY="dedicated",
            MISTRAL_OTLP_TRACES_ENDPOINT=attacker.url + "/v1/traces",
            OTEL_EXPORTER_OTLP_ENDPOINT=attacker.url,
            MISTRAL_DEBUG="1",
        ):
            handlers_before = list(logging.getLogger().handlers)
            svc = _service(make_settings(fake.url), tmp_path)
            await svc.fim(_fim())
            await svc.chat(ChatRequest([{"role": "user", "content": "hello"}], 16))
            conn = svc._conn
            assert conn is not None
            hooks = conn.backend._sdk.sdk_configuration.__dict__["_hooks"]  # type: ignore[attr-defined]
            names = [type(h).__name__ for h in hooks.before_request_hooks]
            assert names == ["CustomUserAgentHook"]
            assert hooks.after_success_hooks == [] and hooks.after_error_hooks == []
            await svc.aclose()
            assert logging.getLogger().handlers == handlers_before  # no basicConfig
        attacker.settle()
        assert attacker.bytes_received == 0
    assert "def f(" not in caplog.text and TEST_KEY not in caplog.text


async def test_netrc_is_ignored(tmp_path: Path) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login leak password netrc-password-should-not-leak\n")
    os.chmod(netrc, 0o600)
    with FakeMistral() as fake, patched_env(NETRC=str(netrc), HOME=str(tmp_path)):
        svc = _service(make_settings(fake.url), tmp_path)
        await svc.fim(_fim())
        await svc.aclose()
        assert fake.requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"
        assert b"netrc-password" not in fake.all_bytes()


async def test_the_configured_proxy_is_the_only_one_used(tmp_path: Path) -> None:
    from tests.fake_endpoint import ConnectProxy

    with FakeMistral(tls=True) as fake, Attacker() as attacker, ConnectProxy() as proxy:
        with patched_env(HTTPS_PROXY=attacker.url, ALL_PROXY=attacker.url):
            settings = make_settings(fake.url, ca_bundle=fake.ca_pem_path or "", proxy=proxy.url)
            svc = _service(settings, tmp_path)
            assert (await svc.fim(_fim())).text == "return x"
            await svc.aclose()
        attacker.settle()
        assert attacker.bytes_received == 0
        assert proxy.tunnels == [f"127.0.0.1:{fake.port}"]
        assert len(fake.requests) == 1


async def test_bad_ca_bundle_or_proxy_is_a_configuration_error(tmp_path: Path) -> None:
    bad_ca = make_settings("https://127.0.0.1:9", ca_bundle=str(tmp_path / "missing.pem"))
    svc = _service(bad_ca, tmp_path)
    assert svc.status.state == "error" and "endpoint.ca_bundle" in svc.status.message
    with pytest.raises(EndpointError, match="ca_bundle"):
        await svc.fim(_fim())
    bad_proxy = make_settings("http://127.0.0.1:9", proxy="socks9://nowhere")
    svc = _service(bad_proxy, tmp_path)
    assert svc.status.state == "error" and "endpoint.proxy" in svc.status.message
