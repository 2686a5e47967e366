"""Audit forwarding stays inside the boundary: a collector the policy does not list, a proxy
from the environment, an unverified TLS certificate and a repository's config file all get
nothing. Each attack has a control run showing the same set-up delivers when it is allowed."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx2
import pytest

from lsp_server.audit.destination import parse_destination
from lsp_server.config import load_settings
from lsp_server.config.settings import PolicySettings
from lsp_server.endpoint import EndpointService
from lsp_server.endpoint.audit import AuditRecord
from lsp_server.endpoint.errors import PolicyViolation
from tests.fake_endpoint import make_settings
from tests.unit.audit.collectors import OtlpReceiver, wait_for

ENDPOINT = "https://mistral.internal.example"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")


class Listener:
    """A loopback TCP (or TLS) collector that keeps every byte and confirms each batch by
    closing after the sender's end of stream, as rsyslog does."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self.received = bytearray()
        self.connections = 0
        self._tls = tls
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.settimeout(5)
            try:
                if self._tls is not None:
                    conn = self._tls.wrap_socket(conn, server_side=True)
                while chunk := conn.recv(65536):
                    self.received += chunk
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def _service(tmp_path: Path, forward: str, policy: PolicySettings, **kw: str) -> EndpointService:
    settings = make_settings(ENDPOINT, audit_path=str(tmp_path / "audit.jsonl"), policy=policy)
    settings = replace(
        settings,
        privacy=replace(settings.privacy, audit_forward=forward),
        endpoint=replace(settings.endpoint, **kw),
    )
    return EndpointService(settings, [tmp_path])


def _write(svc: EndpointService, n: int = 5) -> None:
    for i in range(n):
        svc.audit_log.write(AuditRecord(f"r{i}", "fim", ENDPOINT, "codestral", "sent"))


def test_a_collector_outside_allowed_origins_receives_nothing(
    tmp_path: Path, listener: Listener
) -> None:
    policy = PolicySettings(allowed_origins=(ENDPOINT,), active=True)
    svc = _service(tmp_path / "a", f"syslog+tcp://127.0.0.1:{listener.port}", policy)
    assert "not in the policy's allowed_origins" in svc.audit_log.forward_error
    _write(svc)
    assert len(svc.audit_log.read()) == 5  # auditing itself goes on
    assert svc.audit_log._forwarder is None  # no thread that could ever connect
    assert listener.connections == 0 and listener.received == b""
    # Control: the same collector, listed by the policy, receives every record.
    allowed = PolicySettings(
        allowed_origins=(ENDPOINT, f"http://127.0.0.1:{listener.port}"), active=True
    )
    control = _service(tmp_path / "b", f"syslog+tcp://127.0.0.1:{listener.port}", allowed)
    assert control.audit_log.forward_error == ""
    _write(control)
    assert wait_for(lambda: listener.received.count(b"[audit@32473 seq=") == 5)
    control.audit_log.close()
    assert listener.received.count(b"[audit@32473 seq=") == 5  # the control's, and no more


def test_environment_proxies_are_not_used(
    tmp_path: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    trap = f"http://127.0.0.1:{listener.port}"
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, trap)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    receiver = OtlpReceiver()
    try:
        svc = _service(tmp_path, f"otlp+http://127.0.0.1:{receiver.port}", PolicySettings())
        _write(svc, 3)
        assert wait_for(lambda: len(receiver.records) == 3)
        svc.audit_log.close()
    finally:
        receiver.close()
    assert listener.connections == 0 and listener.received == b""
    # Control: an HTTP client that trusts the environment would have gone to the trap.
    with pytest.raises(httpx2.HTTPError):
        httpx2.post(f"http://127.0.0.1:{receiver.port}/v1/logs", content=b"x", timeout=0.5)
    assert wait_for(lambda: listener.connections == 1)


def test_tls_collector_is_verified_with_the_configured_ca(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    collector = Listener(tls=server_ctx)
    try:
        url = f"syslog+tls://localhost:{collector.port}"
        unverified = _service(tmp_path / "a", url, PolicySettings())
        _write(unverified, 2)
        forwarder = unverified.audit_log._forwarder
        assert wait_for(lambda: forwarder.stats.failures > 0)
        assert "CERTIFICATE_VERIFY_FAILED" in forwarder.stats.last_error
        assert b"audit@32473" not in collector.received
        unverified.audit_log.close(0)
        # Control: the CA from endpoint.ca_bundle makes the same collector trusted.
        trusted = _service(tmp_path / "b", url, PolicySettings(), ca_bundle=str(bundle))
        _write(trusted, 2)
        assert wait_for(lambda: collector.received.count(b"[audit@32473 seq=") == 2)
        trusted.audit_log.close()
    finally:
        collector.close()


def test_otlp_over_tls_is_verified_with_the_configured_ca(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    receiver = OtlpReceiver(tls=server_ctx)
    try:
        url = f"otlp+https://localhost:{receiver.port}"
        unverified = _service(tmp_path / "a", url, PolicySettings())
        _write(unverified, 2)
        forwarder = unverified.audit_log._forwarder
        assert wait_for(lambda: forwarder.stats.failures > 0)
        assert "CERTIFICATE_VERIFY_FAILED" in forwarder.stats.last_error
        assert receiver.records == []
        unverified.audit_log.close(0)
        # Control: with endpoint.ca_bundle the same receiver gets the records.
        trusted = _service(tmp_path / "b", url, PolicySettings(), ca_bundle=str(bundle))
        _write(trusted, 2)
        assert wait_for(lambda: len(receiver.records) == 2)
        trusted.audit_log.close()
    finally:
        receiver.close()


def test_plain_tcp_leaves_loopback_only_when_the_policy_allows_it() -> None:
    with pytest.raises(PolicyViolation, match="plain http"):
        parse_destination("syslog+tcp://collector.corp:514", PolicySettings())
    with pytest.raises(PolicyViolation, match="credentials"):
        parse_destination("otlp+https://user:pw@collector.corp", PolicySettings())
    allowed = parse_destination(
        "syslog+tcp://collector.corp:514", PolicySettings(allow_insecure_http=True)
    )
    assert str(allowed.origin) == "http://collector.corp:514"
    tls = parse_destination("syslog+tls://collector.corp", PolicySettings())
    assert str(tls.origin) == "https://collector.corp:6514"
    otlp = parse_destination("otlp+https://collector.corp:4318", PolicySettings())
    assert otlp.url == "https://collector.corp:4318/v1/logs"


def test_a_repository_cannot_set_the_collector(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".mistral-lsp.toml").write_text(
        '[privacy]\naudit_forward = "syslog+tcp://127.0.0.1:9"\n'
    )
    loaded = load_settings([repo], None, user_path=tmp_path / "none.toml")
    assert loaded.settings.privacy.audit_forward == ""
    # Control: the user's own config may set it.
    user = tmp_path / "user.toml"
    user.write_text('[privacy]\naudit_forward = "syslog+tcp://127.0.0.1:9"\n')
    assert load_settings([], None, user_path=user).settings.privacy.audit_forward != ""


def test_a_policy_pin_locks_the_collector_below_it(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(f'[policy]\nallowed_origins = ["{ENDPOINT}"]\n')
    user = tmp_path / "user.toml"
    user.write_text('[privacy]\naudit_forward = "syslog+tcp://127.0.0.1:9"\n')
    pinned = load_settings([], None, user_path=user, policy_path=policy)
    assert pinned.settings.privacy.audit_forward == ""
    assert any(p.key == "privacy.audit_forward" for p in pinned.problems)
    # Control: the policy itself may name the collector.
    policy.write_text(
        f'[policy]\nallowed_origins = ["{ENDPOINT}", "https://collector.corp:6514"]\n'
        '[privacy]\naudit_forward = "syslog+tls://collector.corp:6514"\n'
    )
    named = load_settings([], None, user_path=user, policy_path=policy)
    assert named.settings.privacy.audit_forward == "syslog+tls://collector.corp:6514"
