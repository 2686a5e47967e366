"""The fake server speaks the real SDK's protocol, records requests and follows its script."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from mistralai.client import Mistral

from tests.fake_endpoint import Attacker, FakeMistral, Reply

ROOT = Path(__file__).resolve().parents[1]


def _sdk(fake: FakeMistral, client: httpx2.AsyncClient) -> Mistral:
    return Mistral(api_key="k", server_url=fake.url, async_client=client)


async def test_sdk_parses_fim_and_chat_streamed_and_not() -> None:
    with FakeMistral() as fake:
        fake.default_fim = "return a + b"
        fake.script("chat", Reply(text="Refactored.", chunks=4))
        async with httpx2.AsyncClient(trust_env=False) as client:
            sdk = _sdk(fake, client)
            res = await sdk.fim.complete_async(model="codestral-latest", prompt="x", suffix="y")
            assert res.choices[0].message.content == "return a + b"
            assert res.usage.total_tokens and res.usage.total_tokens > 0
            stream = await sdk.fim.stream_async(model="codestral-latest", prompt="x", suffix="")
            pieces = [ev.data.choices[0].delta.content async for ev in stream]
            assert "".join(pieces) == "return a + b" and len(pieces) == 3
            stream = await sdk.chat.stream_async(
                model="m", messages=[{"role": "user", "content": "hi"}]
            )
            events = [ev.data async for ev in stream]
            assert "".join(e.choices[0].delta.content for e in events) == "Refactored."
            assert events[-1].choices[0].finish_reason == "stop"
            assert events[-1].usage is not None
            models = await sdk.models.list_async()
            assert "codestral-latest" in [m.id for m in models.data]
    recorded = fake.requests
    assert [r.route for r in recorded] == ["fim", "fim", "chat", "models"]
    assert recorded[0].body["prompt"] == "x" and recorded[0].body["suffix"] == "y"
    assert recorded[1].stream and recorded[1].completed
    assert recorded[0].headers["authorization"] == "Bearer k"


async def test_scripted_statuses_and_retry_after_header() -> None:
    with FakeMistral() as fake:
        fake.script(
            "fim",
            Reply(status=429, headers={"Retry-After": "86400"}),
            Reply(status=503),
            Reply(body="{not json", status=200),
        )
        async with httpx2.AsyncClient(trust_env=False) as client:
            body = {"model": "c", "prompt": "p"}
            r1 = await client.post(fake.url + "/v1/fim/completions", json=body)
            r2 = await client.post(fake.url + "/v1/fim/completions", json=body)
            r3 = await client.post(fake.url + "/v1/fim/completions", json=body)
            r4 = await client.post(fake.url + "/v1/fim/completions", json=body)
    assert r1.status_code == 429 and r1.headers["retry-after"] == "86400"
    assert r2.status_code == 503
    with pytest.raises(json.JSONDecodeError):
        json.loads(r3.text)
    assert r4.status_code == 200 and r4.json()["choices"][0]["message"]["content"] == "return x"


async def test_redirect_cut_stream_and_responder() -> None:
    with FakeMistral() as fake:
        fake.fim_responder = lambda body: "echo:" + body["prompt"]
        fake.script("fim", Reply(redirect_to="http://127.0.0.1:9/v1"), Reply(chunks=4, cut_after=2))
        async with httpx2.AsyncClient(trust_env=False) as client:
            body = {"model": "c", "prompt": "hello", "stream": True}
            r = await client.post(fake.url + "/v1/fim/completions", json=body)
            assert r.status_code == 307 and r.headers["location"] == "http://127.0.0.1:9/v1"
            with pytest.raises(httpx2.RemoteProtocolError):
                await client.post(fake.url + "/v1/fim/completions", json=body)
            r = await client.post(fake.url + "/v1/fim/completions", json={**body, "stream": False})
            assert r.json()["choices"][0]["message"]["content"] == "echo:hello"


async def test_client_closing_a_stream_is_seen() -> None:
    with FakeMistral() as fake:
        fake.script("fim", Reply(text="a" * 50, chunks=25, delay_s=0.05))
        async with httpx2.AsyncClient(trust_env=False) as client:
            body = {"model": "c", "prompt": "p", "stream": True}
            async with client.stream("POST", fake.url + "/v1/fim/completions", json=body) as r:
                async for _ in r.aiter_bytes():
                    break
        assert fake.wait_for(lambda: fake.closed_streams == 1, timeout=3)
        assert not fake.requests[0].completed


async def test_tls_with_trustme_ca_and_wrong_ca_fails() -> None:
    import trustme

    with FakeMistral(tls=True) as fake:
        assert fake.url.startswith("https://127.0.0.1:")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cafile=fake.ca_pem_path)
        async with httpx2.AsyncClient(trust_env=False, verify=ctx) as client:
            assert (await client.get(fake.url + "/v1/models")).status_code == 200
        other = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        trustme.CA().configure_trust(other)
        async with httpx2.AsyncClient(trust_env=False, verify=other) as client:
            with pytest.raises(httpx2.ConnectError):
                await client.get(fake.url + "/v1/models")
        assert fake.wait_for(lambda: fake.tls_failures == 1)
        assert len(fake.requests) == 1


def test_openai_routes_answer_in_openai_shape() -> None:
    with FakeMistral() as fake:
        fake.default_completions = "pass"
        with httpx2.Client(trust_env=False) as client:
            r = client.post(fake.url + "/v1/completions", json={"model": "c", "prompt": "p"})
            assert r.json()["choices"][0]["text"] == "pass"
            with client.stream(
                "POST",
                fake.url + "/v1/completions",
                json={"model": "c", "prompt": "p", "stream": True},
            ) as r:
                lines = [ln for ln in r.iter_lines() if ln.startswith("data: ")]
        assert lines[-1] == "data: [DONE]"
        chunks = [json.loads(ln[6:]) for ln in lines[:-1]]
        assert "".join(c["choices"][0]["text"] for c in chunks) == "pass"


def test_attacker_counts_bytes() -> None:
    with Attacker() as attacker:
        with socket.create_connection((attacker.host, attacker.port)) as s:
            s.sendall(b"12345")
        deadline = time.monotonic() + 2
        while attacker.bytes_received < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert attacker.bytes_received == 5 and attacker.connections == 1


def test_standalone_server_answers_plausibly() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixtures.fake_mistral", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "listening on" in proc.stdout.readline()
        with httpx2.Client(trust_env=False) as client:
            body = {"model": "codestral-latest", "prompt": "def add(a, b):\n", "suffix": ""}
            r = client.post(f"http://127.0.0.1:{port}/v1/fim/completions", json=body)
            text = r.json()["choices"][0]["message"]["content"]
            assert text.strip()
            chat = {
                "model": "m",
                "messages": [{"role": "user", "content": "Fix:\n```python\nx=1\n```"}],
            }
            r = client.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=chat)
            assert "x=1" in r.json()["choices"][0]["message"]["content"]
    finally:
        proc.terminate()
        proc.wait(timeout=5)
