"""Completions through the real server against each engine's fake: context where the engine
expects it, cancellation closing the stream, a model unfit for FIM, a wrong model name and the
server down, each reported through `mistral/status` with its fix."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest
from lsprotocol import types

from fixtures.fake_mistral import FakeMistral, Reply
from tests.lsp_harness import endpoint_options, open_document, wait_for_state, wait_until
from tests.paths import FIXTURES

API = {"ollama": "ollama", "llamacpp": "llamacpp", "tgi": "tgi", "vllm": "openai"}
MODEL = {
    "ollama": "codestral",
    "llamacpp": "codestral-22b-v0.1-q4_k_m",
    "tgi": "mistralai/Codestral-22B-v0.1",
    "vllm": "codestral-latest",
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop_ws"
    shutil.copytree(FIXTURES / "demo", root)
    return root


def _params(uri: str, line: int, character: int) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked
        ),
    )


async def _inline(client, uri: str, line: int, character: int) -> list:
    result = await client.text_document_inline_completion_async(_params(uri, line, character))
    items = result.items if isinstance(result, types.InlineCompletionList) else result or []
    return list(items)


async def _launch(launch, root: Path, env, url: str, engine: str, model: str = "", **kw):
    options = endpoint_options(
        url,
        endpoint={"api": API[engine]},
        models={"completion": model or MODEL[engine]},
        **kw,
    )
    return await launch(root=root, env=env, profile="visual_studio_code", init_options=options)


def _sent(fake: FakeMistral):
    return [r for r in fake.requests if r.route in ("fim", "completions")]


@pytest.mark.parametrize("engine", list(API))
async def test_completion_with_repository_context(launch, shop, env, engine) -> None:
    with FakeMistral(engine=engine) as fake:
        fake.default_fim = fake.default_completions = "ute_total(subtotal, discount, self.country)"
        client = await _launch(launch, shop, env, fake.url, engine)
        await wait_for_state(client, "ready")
        path = shop / "shop" / "cart.py"
        uri = open_document(client, path, path.read_text())
        items = await _inline(client, uri, 15, len("        return comp"))
        (request,) = _sent(fake)
    assert [i.insert_text for i in items] == ["ute_total(subtotal, discount, self.country)"]
    body = request.body
    if engine == "llamacpp":
        files = [chunk["filename"] for chunk in body["input_extra"]]
        assert "shop/pricing.py" in files
        assert any("def compute_total" in chunk["text"] for chunk in body["input_extra"])
        assert body["input_prefix"].rstrip().endswith("return comp")
        assert "shop/pricing.py" not in body["input_prefix"]
    else:
        prompt = {"ollama": "prompt", "tgi": "inputs", "vllm": "prompt"}[engine]
        assert "shop/pricing.py" in body[prompt]
        assert "def compute_total(" in body[prompt]


@pytest.mark.parametrize("engine", list(API))
async def test_cancellation_closes_the_stream(launch, workspace, env, engine) -> None:
    with FakeMistral(engine=engine) as fake:
        fake.script(
            "completions" if engine == "vllm" else "fim",
            Reply(text=" ".join("a" * 40), chunks=40, delay_s=0.1),
        )
        client = await _launch(launch, workspace, env, fake.url, engine)
        await wait_for_state(client, "ready")
        uri = open_document(client, workspace / "s.py", "def f():\n    return \n")
        msg_id = str(uuid.uuid4())
        future = asyncio.ensure_future(
            client.protocol.send_request_async(
                types.TEXT_DOCUMENT_INLINE_COMPLETION, _params(uri, 1, 11), msg_id=msg_id
            )
        )
        assert await wait_until(lambda: len(_sent(fake)) == 1)
        await asyncio.sleep(0.3)
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        with pytest.raises(Exception):  # noqa: B017 - RequestCancelled or an empty answer
            result = await asyncio.wait_for(future, 10)
            assert not result.items
            raise RuntimeError("answered")
        assert await wait_until(lambda: fake.closed_streams == 1, 5)


@pytest.mark.parametrize(
    ("engine", "model", "expected"),
    [
        ("ollama", "llama3.1", "cannot fill in the middle"),
        ("llamacpp", "", "cannot fill in the middle"),
        ("ollama", "codestrall", "ollama pull codestrall"),
        ("vllm", "codestral-2501", "not served"),
    ],
)
async def test_unfit_or_wrong_model_reaches_the_status(
    launch, workspace, env, engine, model, expected
) -> None:
    with FakeMistral(engine=engine) as fake:
        if engine == "llamacpp":
            fake.fim_models = set()
        client = await _launch(launch, workspace, env, fake.url, engine, model)
        await wait_for_state(client, "ready")
        uri = open_document(client, workspace / "s.py", "def f():\n    return \n")
        await _inline(client, uri, 1, 11)
        status = await wait_for_state(client, "error")
        assert expected in status["message"]
        await _inline(client, uri, 1, 11)  # paused: served from the index, nothing sent
        assert len(_sent(fake)) == 1


@pytest.mark.parametrize("engine", list(API))
async def test_server_down_says_how_to_start_it(launch, workspace, env, engine) -> None:
    with FakeMistral(engine=engine) as fake:
        url = fake.url
    client = await _launch(launch, workspace, env, url, engine)
    await wait_for_state(client, "ready")
    uri = open_document(client, workspace / "s.py", "def f():\n    return \n")
    assert await _inline(client, uri, 1, 11) == []
    status = await wait_for_state(client, "offline")
    assert "cannot connect" in status["message"] and "start" in status["message"]


async def test_local_preset_finds_the_engine(launch, workspace, env) -> None:
    with FakeMistral(engine="ollama") as fake:
        fake.default_fim = "1"
        options = endpoint_options(fake.url, models={"completion": "codestral"})
        options["endpoint"]["preset"] = "local"
        client = await launch(root=workspace, env=env, init_options=options)
        status = await wait_for_state(client, "ready")
        assert status["endpoint"] == fake.url  # found by identifying the engine
        uri = open_document(client, workspace / "s.py", "def f():\n    return \n")
        assert [i.insert_text for i in await _inline(client, uri, 1, 11)] == ["1"]
        assert [r.path for r in fake.requests][-1] == "/api/generate"
