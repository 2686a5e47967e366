"""Each engine's request building and stream parsing, through EndpointService and the fake
speaking that engine's routes, bodies and framing (fixtures/fake_mistral/engines)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx2
import pytest

from lsp_server.endpoint import EndpointHTTPError, EndpointOffline, EndpointService, FimRequest
from lsp_server.endpoint.engines.fim import CODESTRAL, STARCODER, layout_for
from lsp_server.endpoint.errors import ModelUnfit
from lsp_server.endpoint.types import RepoContext
from tests.fake_endpoint import FakeMistral, Reply, make_settings

API = {"ollama": "ollama", "llamacpp": "llamacpp", "tgi": "tgi", "vllm": "openai"}
MODEL = {
    "ollama": "codestral",
    "llamacpp": "codestral-22b-v0.1-q4_k_m",
    "tgi": "mistralai/Codestral-22B-v0.1",
    "vllm": "codestral-latest",
}
REPO = RepoContext((("shop/tax.py", "def compute_total(a, b):\n    ...\n"),), "def f(")


def _service(fake: FakeMistral, tmp_path: Path, engine: str, **models: str) -> EndpointService:
    settings = make_settings(fake.url, audit_path=str(tmp_path / "a.jsonl"), api=API[engine])
    completion = models.get("completion", MODEL[engine])
    settings = dataclasses.replace(
        settings, models=dataclasses.replace(settings.models, completion=completion)
    )
    return EndpointService(settings, [tmp_path], env={})  # local engines need no key


def _req(**kw: object) -> FimRequest:
    base: dict[str, object] = {
        "prompt": "# path: shop/tax.py\ndef compute_total(a, b):\n    ...\n\ndef f(",
        "suffix": "\n",
        "max_tokens": 32,
        "stop": ["\n\n"],
        "repo_context": REPO,
    }
    return FimRequest(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", list(API))
async def test_fim_streams_in_each_engines_own_shape(tmp_path: Path, engine: str) -> None:
    with FakeMistral(engine=engine) as fake:
        fake.default_fim = "return a + b"
        fake.default_completions = "return a + b"
        svc = _service(fake, tmp_path, engine)
        pieces: list[str] = []
        res = await svc.fim(_req(), pieces.append)
        await svc.aclose()
        (req,) = [r for r in fake.requests if r.route in ("fim", "completions")]
    assert res.text == "return a + b" and "".join(pieces) == res.text and len(pieces) >= 2
    assert res.finish_reason == "stop"
    body = req.body
    if engine == "ollama":
        assert req.path == "/api/generate" and body["suffix"] == "\n"
        assert body["options"]["num_predict"] == 32 and "max_tokens" not in body
        assert body["options"]["stop"] == ["\n\n"] and "raw" not in body
        assert body["prompt"].startswith("# path: shop/tax.py")  # context in the prompt
        assert req.headers["accept"] == "application/x-ndjson"
    elif engine == "llamacpp":
        assert req.path == "/infill" and body["stream"] is True
        assert body["input_extra"] == [
            {"filename": "shop/tax.py", "text": "def compute_total(a, b):\n    ...\n"}
        ]
        assert body["input_prefix"] == "def f(" and body["input_suffix"] == "\n"
        assert body["n_predict"] == 32
    elif engine == "tgi":
        assert req.path == "/generate_stream"
        assert body["parameters"]["do_sample"] is False
        assert "temperature" not in body["parameters"]
        assert body["inputs"].startswith("[SUFFIX]\n[PREFIX]# path: shop/tax.py")
    else:
        assert req.path == "/v1/completions" and body["max_tokens"] == 32
        assert "suffix" not in body and not body["prompt"].startswith("<s>")


async def test_ollama_model_without_insert_names_the_fix(tmp_path: Path) -> None:
    with FakeMistral(engine="ollama") as fake:
        svc = _service(fake, tmp_path, "ollama", completion="llama3.1")
        with pytest.raises(ModelUnfit) as err:
            await svc.fim(_req())
        status = svc.status
        await svc.aclose()
    assert "cannot fill in the middle" in err.value.reason
    assert "codestral" in err.value.fix
    assert status.state == "error" and "insert" in status.message


async def test_ollama_unknown_model_and_mid_stream_error(tmp_path: Path) -> None:
    with FakeMistral(engine="ollama") as fake:
        svc = _service(fake, tmp_path, "ollama", completion="codestrall")
        with pytest.raises(ModelUnfit, match="ollama pull codestrall"):
            await svc.fim(_req())
        await svc.aclose()
        fake.script("fim", Reply(chunks=4, error_after=1, text="one two three four"))
        svc = _service(fake, tmp_path, "ollama")
        with pytest.raises(EndpointHTTPError, match="Ollama stopped the answer"):
            await svc.fim(_req())
        await svc.aclose()


async def test_llamacpp_without_fim_tokens_is_501_with_a_fix(tmp_path: Path) -> None:
    with FakeMistral(engine="llamacpp") as fake:
        fake.fim_models = set()
        svc = _service(fake, tmp_path, "llamacpp")
        with pytest.raises(ModelUnfit, match="FIM model") as err:
            await svc.fim(_req())
        await svc.aclose()
        assert fake.requests[-1].status == 501
    assert "Infill is not supported" in err.value.reason


async def test_llamacpp_stream_ends_without_done(tmp_path: Path) -> None:
    """The native stream's last event has stop: true and no [DONE] follows."""
    with FakeMistral(engine="llamacpp") as fake:
        fake.default_fim = "x = 1"
        svc = _service(fake, tmp_path, "llamacpp")
        res = await svc.fim(_req(repo_context=None))
        await svc.aclose()
        body = fake.requests_for("fim")[0].body
    assert res.text == "x = 1" and res.finish_reason == "stop"
    assert body["input_extra"] == [] and body["input_prefix"].startswith("# path:")


async def test_tgi_sends_at_most_four_stops_and_reports_errors_in_the_stream(
    tmp_path: Path,
) -> None:
    with FakeMistral(engine="tgi") as fake:
        svc = _service(fake, tmp_path, "tgi")
        res = await svc.fim(_req(stop=["a", "b", "c", "d", "e", "f"]))
        assert res.text
        assert fake.requests_for("fim")[0].body["parameters"]["stop"] == ["a", "b", "c", "d"]
        fake.script("fim", Reply(error_after=1))
        with pytest.raises(EndpointHTTPError, match="TGI stopped the answer"):
            await svc.fim(_req())
        res = await svc.fim(_req(temperature=0.3))
        params = fake.requests_for("fim")[-1].body["parameters"]
        await svc.aclose()
    assert params["do_sample"] is True and params["temperature"] == 0.3


async def test_vllm_unknown_model_is_a_model_problem(tmp_path: Path) -> None:
    with FakeMistral(engine="vllm") as fake:
        svc = _service(fake, tmp_path, "vllm", completion="codestral-2501")
        with pytest.raises(ModelUnfit, match="not served"):
            await svc.fim(_req())
        await svc.aclose()


@pytest.mark.parametrize("engine", list(API))
async def test_server_down_says_how_to_start_it(tmp_path: Path, engine: str) -> None:
    with FakeMistral(engine=engine) as fake:
        url = fake.url
    settings = make_settings(url, audit_path=str(tmp_path / "a.jsonl"), api=API[engine])
    svc = EndpointService(settings, [tmp_path], env={})
    with pytest.raises(EndpointOffline, match="cannot connect.*start"):
        await svc.fim(_req())
    await svc.aclose()


def test_fim_layouts_follow_the_model_and_neutralise_tokens() -> None:
    assert layout_for("mistralai/Codestral-22B-v0.1") is CODESTRAL
    assert layout_for("bigcode/starcoder2-15b") is STARCODER
    prompt = CODESTRAL.render("x = '[PREFIX]'", "")
    assert prompt.count("[PREFIX]") == 1 and not prompt.startswith("<s>")
    assert STARCODER.render("a", "b") == "<fim_prefix>a<fim_suffix>b<fim_middle>"


@pytest.mark.parametrize("engine", list(API))
def test_only_llamacpp_takes_the_snippets_apart(tmp_path: Path, engine: str) -> None:
    """The completion engine cuts the snippets out of the prefix only for an engine that
    sends them apart (`uses_repo_context`): llama.cpp's input_extra."""
    with FakeMistral(engine=engine) as fake:
        svc = _service(fake, tmp_path, engine)
        assert svc.uses_repo_context == (engine == "llamacpp")


async def test_the_hot_request_is_the_one_build_request_makes() -> None:
    """`post_request` skips httpx's per-call merging; what it builds must not differ from
    `client.build_request` (headers and their order, URL, body, timeout), and a client
    holding cookies gets build_request's own (they would be sent back)."""
    from lsp_server.endpoint.boundary import build_async_client, origin_of
    from lsp_server.endpoint.engines.mistral import _FimWire
    from lsp_server.endpoint.keys import ApiKey

    base = "https://api.example.test"
    client = build_async_client(frozenset({origin_of(httpx2.URL(base))}))
    engine = _FimWire(client, base, ApiKey("k-123456"))
    body = b'{"prompt": "def f("}'
    try:
        for accept in ("text/event-stream", "application/json"):
            for _ in range(2):  # the second one from the cached merge
                ours = engine.post_request("/v1/fim/completions", body, 7.5, accept)
                theirs = client.build_request(
                    "POST",
                    base + "/v1/fim/completions",
                    content=body,
                    headers=engine._headers(accept),
                    timeout=7.5,
                )
                assert ours.method == theirs.method and ours.url == theirs.url
                assert ours.headers.multi_items() == theirs.headers.multi_items()
                assert ours.content == theirs.content
                assert ours.extensions == theirs.extensions
        client.cookies.set("lb", "sticky", domain="api.example.test")
        with_cookie = engine.post_request("/v1/fim/completions", body, 7.5, "text/event-stream")
        assert "lb=sticky" in with_cookie.headers.get("cookie", "")
    finally:
        await client.aclose()
