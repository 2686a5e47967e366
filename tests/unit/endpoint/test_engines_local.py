"""The `local` preset: loopback only, finds the engine on the usual ports, says which."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lsp_server.endpoint import EndpointService
from lsp_server.endpoint.engines.discover import discover
from tests.fake_endpoint import FakeMistral, make_settings


@pytest.mark.parametrize(
    ("engine", "api", "name"),
    [
        ("ollama", "ollama", "Ollama"),
        ("llamacpp", "llamacpp", "llama.cpp"),
        ("tgi", "tgi", "TGI"),
        ("vllm", "openai", "vLLM"),
    ],
)
async def test_discover_identifies_each_engine(engine: str, api: str, name: str) -> None:
    with FakeMistral() as stopped:
        down = stopped.url  # nothing listens there any more
    with FakeMistral(engine=engine) as fake:
        found = await discover([(down, "Ollama"), (fake.url, "vLLM")])
        paths = [r.path for r in fake.requests]
    assert found is not None and (found.url, found.api, found.engine) == (fake.url, api, name)
    assert all(r in ("/api/version", "/props", "/info", "/v1/models") for r in paths)


async def test_discover_refuses_anything_but_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        await discover([("http://192.168.1.10:11434", "")])


async def test_service_with_local_preset_finds_and_reports_the_engine(tmp_path: Path) -> None:
    with FakeMistral(engine="ollama") as fake:
        settings = make_settings("", audit_path=str(tmp_path / "a.jsonl"))
        settings = dataclasses.replace(
            settings, endpoint=dataclasses.replace(settings.endpoint, preset="local", url="")
        )
        svc = EndpointService(settings, [tmp_path], env={})
        svc._local_candidates = [("http://127.0.0.1:1", "Ollama"), (fake.url, "Ollama")]
        assert svc.status.state == "offline" and "looking" in svc.status.message
        await svc.warm_up()
        status = svc.status
        models = await svc.list_models()
        await svc.aclose()
    assert status.state == "ready" and status.message == f"ready: Ollama at {fake.url}"
    assert svc.api == "ollama" and "codestral:latest" in models


async def test_service_with_local_preset_and_nothing_running(tmp_path: Path) -> None:
    settings = make_settings("", audit_path=str(tmp_path / "a.jsonl"))
    settings = dataclasses.replace(
        settings, endpoint=dataclasses.replace(settings.endpoint, preset="local", url="")
    )
    svc = EndpointService(settings, [tmp_path], env={})
    svc._local_candidates = [("http://127.0.0.1:1", "Ollama")]
    await svc.warm_up()
    assert svc.status.state == "offline" and "ollama serve" in svc.status.message
    await svc.aclose()
