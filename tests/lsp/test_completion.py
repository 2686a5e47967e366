"""Completions through the real server and the fake endpoint."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from lsprotocol import types

from fixtures.fake_mistral import FakeMistral, Reply
from tests.lsp_harness import (
    endpoint_options,
    isolated_env,
    open_document,
    wait_for_state,
    wait_until,
)
from tests.paths import FIXTURES

DEMO = FIXTURES / "demo"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop_ws"
    shutil.copytree(DEMO, root)
    return root


def _inline_params(uri: str, line: int, character: int, invoked: bool = False):
    kind = (
        types.InlineCompletionTriggerKind.Invoked
        if invoked
        else types.InlineCompletionTriggerKind.Automatic
    )
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=kind),
    )


async def _inline(client, uri: str, line: int, character: int, invoked: bool = False):
    result = await client.text_document_inline_completion_async(
        _inline_params(uri, line, character, invoked)
    )
    items = result.items if isinstance(result, types.InlineCompletionList) else result or []
    return list(items)


async def _ready(launch, root: Path, env, fake: FakeMistral, profile="visual_studio_code", **kw):
    client = await launch(
        root=root, env=env, profile=profile, init_options=endpoint_options(fake.url, **kw)
    )
    await wait_for_state(client, "ready")
    return client


def _cart(shop: Path) -> tuple[Path, str]:
    path = shop / "shop" / "cart.py"
    return path, path.read_text()


async def test_inline_completion_with_cross_file_context(launch, shop, env, fake) -> None:
    fake.default_fim = "ute_total(subtotal, discount, self.country)"
    client = await _ready(launch, shop, env, fake)
    path, text = _cart(shop)
    uri = open_document(client, path, text)
    items = await _inline(client, uri, 15, len("        return comp"))
    assert [i.insert_text for i in items] == ["ute_total(subtotal, discount, self.country)"]
    assert items[0].command.command == "mistral.accepted"
    assert items[0].range.start == types.Position(line=15, character=19)
    (request,) = fake.requests_for("fim")
    prompt = request.body["prompt"]
    assert "def compute_total(subtotal: float, discount: Discount | None, country: str)" in prompt
    assert "shop/pricing.py" in prompt
    assert prompt.rstrip().endswith("return comp")
    assert request.body["model"] == "codestral-latest"


async def test_plain_completion_puts_ai_first_then_index(launch, shop, env, fake) -> None:
    fake.default_fim = "ute_total(subtotal, discount, self.country)"
    client = await _ready(launch, shop, env, fake, profile="neovim")
    path, text = _cart(shop)
    uri = open_document(client, path, text)
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=15, character=19),
        )
    )
    first, *rest = result.items
    assert first.label == "compute_total(subtotal, discount, self.country)"
    assert first.text_edit.new_text == "compute_total(subtotal, discount, self.country)"
    assert first.command.command == "mistral.accepted"
    assert "compute_total" in {item.label for item in rest}


async def test_single_line_mid_line_and_block_on_empty_line(launch, workspace, env, fake) -> None:
    client = await _ready(launch, workspace, env, fake)
    text = "def area(w, h):\n    \n\nvalue = area(\n"
    uri = open_document(client, workspace / "geo.py", text)
    fake.script(
        "fim",
        Reply(text="result = w * h\n    return result\n\ndef other():\n    pass\n"),
        Reply(text="2, 3)\nprint(value)\n"),
    )
    block = await _inline(client, uri, 1, 4)
    assert block[0].insert_text == "result = w * h\n    return result"
    line = await _inline(client, uri, 3, len("value = area("))
    assert line[0].insert_text == "2, 3)"
    stops = [r.body.get("stop") for r in fake.requests_for("fim")]
    assert stops[1] == ["\n"]


async def test_no_automatic_completion_before_code(launch, workspace, env, fake) -> None:
    client = await _ready(launch, workspace, env, fake)
    uri = open_document(client, workspace / "a.py", "x = compute(1)\n")
    assert await _inline(client, uri, 0, 4) == []
    assert fake.requests_for("fim") == []
    assert await _inline(client, uri, 0, 4, invoked=True) != []


async def test_excluded_file_gets_nothing_and_sends_nothing(launch, shop, env, fake) -> None:
    (shop / ".mistralignore").write_text("shop/cart.py\n")
    client = await _ready(launch, shop, env, fake)
    path, text = _cart(shop)
    uri = open_document(client, path, text)
    assert await _inline(client, uri, 15, 19, invoked=True) == []
    assert fake.requests == []


async def test_excluded_file_text_never_in_context(launch, shop, env, fake) -> None:
    (shop / ".mistralignore").write_text("shop/pricing.py\n")
    client = await _ready(launch, shop, env, fake)
    path, text = _cart(shop)
    uri = open_document(client, path, text)
    await _inline(client, uri, 15, 19)
    assert fake.requests_for("fim")
    assert b"vat_for" not in fake.all_bytes()
    assert b"def compute_total" not in fake.all_bytes()


async def test_secrets_never_reach_the_endpoint(launch, workspace, env, fake) -> None:
    client = await _ready(launch, workspace, env, fake)
    text = f'AWS_KEY = "{AWS_KEY}"\ndef handler():\n    return '
    uri = open_document(client, workspace / "cfg.py", text)
    items = await _inline(client, uri, 2, 11)
    assert items
    assert AWS_KEY.encode() not in fake.all_bytes()
    assert b"REDACTED" in fake.all_bytes()


async def test_cache_and_typing_forward_need_no_second_request(
    launch, workspace, env, fake
) -> None:
    fake.default_fim = "total_price(items)"
    client = await _ready(launch, workspace, env, fake)
    text = "def f(items):\n    return \n"
    uri = open_document(client, workspace / "c.py", text)
    first = await _inline(client, uri, 1, 11)
    again = await _inline(client, uri, 1, 11)
    assert first[0].insert_text == again[0].insert_text == "total_price(items)"
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=1, character=11),
                        end=types.Position(line=1, character=11),
                    ),
                    text="total",
                )
            ],
        )
    )
    forward = await _inline(client, uri, 1, 16)
    assert forward[0].insert_text == "_price(items)"
    assert len(fake.requests_for("fim")) == 1


async def test_cancel_request_closes_the_stream(launch, workspace, env, fake) -> None:
    fake.script("fim", Reply(text="a" * 40, chunks=40, delay_s=0.1))
    client = await _ready(launch, workspace, env, fake)
    uri = open_document(client, workspace / "s.py", "def f():\n    return \n")
    msg_id = str(uuid.uuid4())
    future = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, _inline_params(uri, 1, 11), msg_id=msg_id
        )
    )
    assert await wait_until(lambda: len(fake.requests_for("fim")) == 1)
    await asyncio.sleep(0.3)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
    with pytest.raises(Exception):  # noqa: B017 - RequestCancelled or an empty answer
        result = await asyncio.wait_for(future, 10)
        assert not result.items
        raise RuntimeError("answered")
    assert await wait_until(lambda: fake.closed_streams == 1, 5)


async def test_newer_request_supersedes_older(launch, workspace, env, fake) -> None:
    fake.script("fim", Reply(text="slow_one()", chunks=10, delay_s=0.2), Reply(text="fast_one()"))
    client = await _ready(launch, workspace, env, fake)
    uri = open_document(client, workspace / "s.py", "def f():\n    return \n")
    older = asyncio.ensure_future(_inline(client, uri, 1, 11))
    assert await wait_until(lambda: len(fake.requests_for("fim")) == 1)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(text="def f():\n    x = \n")
            ],
        )
    )
    newer = await _inline(client, uri, 1, 8)
    assert [i.insert_text for i in newer] == ["fast_one()"]
    assert await older == []
    assert await wait_until(lambda: fake.closed_streams == 1, 5)


async def test_offline_completions_come_from_the_index(launch, shop, tmp_path) -> None:
    env = isolated_env(tmp_path, api_key=None)
    client = await launch(root=shop, env=env, profile="visual_studio_code")
    await wait_for_state(client, "offline")
    path, text = _cart(shop)
    uri = open_document(client, path, text)

    async def offered() -> list:
        return await _inline(client, uri, 15, 19)

    for _ in range(100):
        items = await offered()
        if items:
            break
        await asyncio.sleep(0.1)
    assert [i.insert_text for i in items] == ["ute_total("]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
async def test_multibyte_positions(launch, workspace, env, fake, encoding) -> None:
    fake.fim_responder = lambda body: "ok"
    client = await launch(
        root=workspace,
        env=env,
        position_encodings=[encoding],
        init_options=endpoint_options(fake.url),
    )
    await wait_for_state(client, "ready")
    line = "s = '😀é' + "
    uri = open_document(client, workspace / "u.py", line + "\n")
    column = {"utf-16": 12, "utf-8": 15, "utf-32": 11}[encoding]
    items = await _inline(client, uri, 0, column)
    assert items[0].range.start.character == column
    assert fake.requests_for("fim")[0].body["prompt"].endswith("😀é' + ")


def test_complete_command_offline(tmp_path: Path, shop: Path) -> None:
    env = isolated_env(tmp_path, api_key=None)
    result = subprocess.run(
        [sys.executable, "-m", "lsp_server", "complete", f"{shop}/shop/cart.py:16:20", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["source"] == "index" and data["text"] == "ute_total("
    assert "offline" in result.stderr and "key" in result.stderr.lower()


def test_complete_command_with_endpoint(tmp_path: Path, shop: Path) -> None:
    with FakeMistral() as fake:
        fake.default_fim = "ute_total(subtotal, discount, self.country)"
        env = isolated_env(tmp_path)
        config = Path(env["XDG_CONFIG_HOME"]) / "mistral-lsp" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(f'[endpoint]\npreset = "custom"\nurl = "{fake.url}"\n')
        result = subprocess.run(
            [sys.executable, "-m", "lsp_server", "complete", f"{shop}/shop/cart.py:16:20"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert "[AI] ute_total(subtotal, discount, self.country)" in result.stdout


LAYOUTS = FIXTURES / "repos" / "context_layouts"


async def test_prompt_has_the_definition_of_a_submodule_imported_by_name(
    launch, tmp_path, env, fake
) -> None:
    """`from . import models, pricing` then `pricing.compute_total(cart)`: the index keeps
    one file per import statement (here the package's __init__), the context resolves each
    name. Control: the same file without `pricing` in the import gets no such definition."""
    root = tmp_path / "layouts"
    shutil.copytree(LAYOUTS, root)
    checkout = root / "src" / "shop" / "checkout.py"
    control = root / "src" / "shop" / "control.py"
    text = checkout.read_text()
    control.write_text(text.replace("from . import models, pricing", "from . import models"))
    fake.fim_responder = lambda body: "pricing.compute_total(cart)"
    client = await _ready(launch, root, env, fake)
    line = text.split("\n").index("    total = pricing.compute_total(cart)")
    prompts = []
    for path in (checkout, control):
        uri = open_document(client, path, path.read_text())
        await _inline(client, uri, line, len("    total = "), invoked=True)
        prompts.append(fake.requests_for("fim")[-1].body["prompt"])
    with_import, without = prompts
    assert "def compute_total(cart, tax_rate=0.2):" in with_import
    assert "# path: src/shop/pricing.py" in with_import
    assert with_import.endswith("    total = ")
    assert "def compute_total(cart, tax_rate=0.2):" not in without
