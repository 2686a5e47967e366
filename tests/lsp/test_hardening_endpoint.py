"""A failing endpoint, through fixtures/fake_mistral: no crash, a clear status, a bounded
number of requests, answers that do not wait, and nothing sent anywhere else.

One server serves every scenario; each scenario points it at a fresh fake endpoint (a new
origin, which also resets the circuit breaker and the rate-limit window). The server's
environment names an attacker as HTTP(S) proxy: it must receive zero bytes throughout.
"""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from lsprotocol import types

from fixtures.fake_mistral import FakeMistral, Reply
from tests.fake_endpoint import Attacker
from tests.hardening_support import ThreadedServer, status
from tests.lsp_harness import endpoint_options, isolated_env, wait_until

BREAKER_THRESHOLD = 5  # EndpointService default
BREAKER_COOLDOWN_S = 30.0  # EndpointService default; the server exposes no knob for it
_texts = itertools.count()


@pytest.fixture(scope="module")
def attacker() -> Iterator[Attacker]:
    with Attacker() as listener:
        yield listener


@pytest.fixture(scope="module")
def endpoint_server(
    tmp_path_factory: pytest.TempPathFactory, attacker: Attacker
) -> Iterator[tuple[ThreadedServer, Path]]:
    tmp = tmp_path_factory.mktemp("endpoint")
    root = tmp / "ws"
    root.mkdir()
    proxies = {name: attacker.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")}
    env = isolated_env(tmp, **proxies, **{k.lower(): v for k, v in proxies.items()})
    with ThreadedServer(root=root, env=env, profile="neovim") as server:
        yield server, root
    attacker.settle()
    assert attacker.bytes_received == 0 and attacker.connections == 0


def _point_at(server: ThreadedServer, fake_url: str, **endpoint: Any) -> None:
    """didChangeConfiguration to a new endpoint; waits until the server uses it."""
    client = server.client
    assert client is not None
    options = endpoint_options(fake_url, endpoint=endpoint)

    async def go() -> bool:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"mistral": options})
        )
        origin = fake_url.rstrip("/")
        return await wait_until(
            lambda: bool(client.statuses) and client.statuses[-1]["endpoint"] == origin, 10
        )

    assert server.run(go(), 20)


def _document(server: ThreadedServer, root: Path) -> str:
    """A fresh document (nothing cached for it) with the cursor at line 1, column 11."""
    client = server.client
    assert client is not None
    n = next(_texts)
    uri = (root / f"doc{n}.py").as_uri()

    async def go() -> None:
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri,
                    language_id="python",
                    version=1,
                    text=f"def f{n}(a):\n    return \n",
                )
            )
        )

    server.call(go)
    return uri


def _complete(server: ThreadedServer, uri: str, limit_s: float = 10.0) -> tuple[list[str], float]:
    """An invoked inline completion at (1, 11): the texts offered and the seconds it took."""
    client = server.client
    assert client is not None
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=1, character=11),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked
        ),
    )
    started = time.monotonic()
    result = server.run(client.text_document_inline_completion_async(params), limit_s + 30)
    elapsed = time.monotonic() - started
    assert elapsed < limit_s, f"a completion took {elapsed:.1f}s"
    return [item.insert_text for item in (result.items if result else [])], elapsed


def _status(server: ThreadedServer) -> dict[str, Any]:
    assert server.client is not None
    return server.run(status(server.client))


def _fim(fake: FakeMistral) -> int:
    return len(fake.requests_for("fim"))


def test_429_with_a_day_long_retry_after_does_not_wait(endpoint_server) -> None:
    server, root = endpoint_server
    with FakeMistral() as fake:
        fake.script("fim", Reply(status=429, headers={"Retry-After": "86400"}))
        _point_at(server, fake.url)
        uri = _document(server, root)
        for _ in range(3):
            _complete(server, uri, limit_s=5)
        # The first answer opened a (capped) rate-limit window: no further request left.
        assert _fim(fake) == 1
        assert _status(server)["state"] in ("ready", "error")


def test_rate_limit_shows_in_the_status(endpoint_server) -> None:
    server, root = endpoint_server
    with FakeMistral() as fake:
        fake.script("fim", Reply(status=429, headers={"Retry-After": "86400"}))
        _point_at(server, fake.url)
        _complete(server, _document(server, root), limit_s=5)
        assert "rate" in _status(server)["message"].lower()


def test_burst_of_500s_opens_the_breaker_which_closes_by_itself(endpoint_server) -> None:
    server, root = endpoint_server
    with FakeMistral() as fake:
        fake.script("fim", *[Reply(status=500, body=b'{"message": "boom"}')] * 20)
        _point_at(server, fake.url)
        uri = _document(server, root)
        for _ in range(BREAKER_THRESHOLD + 5):
            _complete(server, uri, limit_s=3)
        assert _fim(fake) == BREAKER_THRESHOLD  # the breaker stopped the rest
        now = _status(server)
        assert now["state"] == "error"
        assert "HTTP 500" in now["message"] and "retrying by itself" in now["message"]
        assert server.client is not None and server.client.statuses[-1]["state"] == "error"

        fake.clear()  # the endpoint is healthy again
        client = server.client

        async def recovered() -> bool:
            return await wait_until(
                lambda: client.statuses[-1]["state"] == "ready", BREAKER_COOLDOWN_S + 10
            )

        assert server.run(recovered(), BREAKER_COOLDOWN_S + 20), client.statuses[-3:]
        fake.default_fim = "a + 1"
        assert _complete(server, _document(server, root))[0] == ["a + 1"]
        assert _status(server)["state"] == "ready"


def test_slow_drip_is_cut_at_the_timeout(endpoint_server) -> None:
    server, root = endpoint_server
    with FakeMistral() as fake:
        fake.script("fim", Reply(text="x" * 40, chunks=40, delay_s=0.5))
        _point_at(server, fake.url, timeoutMs=1500)
        _, elapsed = _complete(server, _document(server, root), limit_s=6)
        assert elapsed >= 1.0
        assert fake.wait_for(lambda: fake.closed_streams == 1, 5)
        assert _fim(fake) == 1


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text="abcdef", chunks=6, cut_after=2),
        Reply(text="abcdef", chunks=6, malformed=True),
        Reply(body=b"{this is not json", status=200),
        Reply(body=b'{"choices": "nope"}', status=200),
        Reply(status=503, body=b"<html>gateway</html>"),
    ],
    ids=["cut-stream", "malformed-chunk", "malformed-body", "wrong-shape", "html-503"],
)
def test_broken_answers_are_one_request_and_no_crash(endpoint_server, reply: Reply) -> None:
    server, root = endpoint_server
    with FakeMistral() as fake:
        fake.script("fim", reply)
        _point_at(server, fake.url)
        offered, _ = _complete(server, _document(server, root), limit_s=5)
        assert offered == [] or all(isinstance(t, str) for t in offered)
        assert _fim(fake) == 1  # FIM is never retried
        assert _status(server)["state"] in ("ready", "error")
        fake.default_fim = "b * 2"
        assert _complete(server, _document(server, root))[0] == ["b * 2"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_gives_a_clear_status(endpoint_server) -> None:
    server, root = endpoint_server
    url = f"http://127.0.0.1:{_closed_port()}"
    _point_at(server, url)
    uri = _document(server, root)
    for _ in range(BREAKER_THRESHOLD + 2):
        _complete(server, uri, limit_s=5)
    now = _status(server)
    assert now["state"] == "error" and "cannot connect" in now["message"]


def test_certificate_from_the_wrong_ca_is_refused(endpoint_server, tmp_path: Path) -> None:
    server, root = endpoint_server
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    with FakeMistral(tls=True) as fake:
        _point_at(server, fake.url, caBundle=str(other_ca))
        uri = _document(server, root)
        for _ in range(BREAKER_THRESHOLD + 2):
            _complete(server, uri, limit_s=5)
        assert fake.requests == []  # not one byte of HTTP (no key, no code) got through
        assert 1 <= fake.tls_failures <= BREAKER_THRESHOLD
        now = _status(server)
        assert now["state"] == "error" and "certificate" in now["message"].lower()


def test_redirect_is_not_followed(endpoint_server, attacker: Attacker) -> None:
    server, root = endpoint_server
    with FakeMistral() as fake:
        fake.script("fim", Reply(redirect_to=attacker.url + "/v1/fim/completions"))
        _point_at(server, fake.url)
        _complete(server, _document(server, root), limit_s=5)
        assert _fim(fake) == 1
    attacker.settle()
    assert attacker.bytes_received == 0
