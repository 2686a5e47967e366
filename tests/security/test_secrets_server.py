"""Secret redaction through the real server and the fake endpoint: what reaches the
endpoint when a PEM block is cut by the prompt budget, and what `block` mode refuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from fixtures.fake_mistral import FakeMistral
from lsp_server.endpoint.secrets import SecretScanner
from tests.lsp_harness import endpoint_options, open_document, wait_for_state

BODY = [
    f"MIIEpAIBAAKCAQEA{i:02d}" + "".join(chr(65 + (i * 5 + j) % 26) for j in range(46))
    for i in range(27)
]
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(BODY) + "\n-----END RSA PRIVATE KEY-----"


def keys_file(statements: int) -> str:
    """A key block, then `statements` lines of code (no definitions, so no snippets)."""
    code = "".join(
        f'app.route("/v1/items/{i}", methods=["GET"])(handle)\n' for i in range(statements)
    )
    return f'SIGNING_KEY = """{PEM}"""\n\n{code}app.route('


TOKEN = "ghp_" + "Q7wE9rT1yU3iO5pA2sD4fG6hJ8kL0zX1cV3b"


Launch = Callable[..., Awaitable[LanguageClient]]


async def _ready(
    launch: Launch, root: Path, env: dict[str, str], fake: FakeMistral, **sections: Any
) -> LanguageClient:
    options = endpoint_options(fake.url, **sections)
    client = await launch(root=root, env=env, profile="visual_studio_code", init_options=options)
    await wait_for_state(client, "ready")
    return client


async def _inline(
    client: LanguageClient, uri: str, line: int, character: int
) -> list[types.InlineCompletionItem]:
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    return list(result.items if isinstance(result, types.InlineCompletionList) else result or [])


def _end(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines) - 1, len(lines[-1])


async def test_a_pem_block_cut_by_the_budget_never_reaches_the_endpoint(
    launch: Launch, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    """The cursor is below the block, with more or less code between them, so that for some
    of the files the 256-token prompt starts inside the block, without its header."""
    from lsp_server.endpoint import secrets as secrets_module

    client = await _ready(launch, workspace, env, fake, completion={"contextTokens": 256})
    cut_inside = 0
    for statements in range(0, 24, 2):
        text = keys_file(statements)
        uri = open_document(client, workspace / f"keys_{statements}.py", text)
        await _inline(client, uri, *_end(text))
        prompt = fake.requests_for("fim")[-1].body["prompt"]
        assert [line for line in BODY if line in fake.all_bytes().decode()] == []
        # control: where the header was cut off, the same lines of the file scanned on their
        # own (the old order: cut, then scan) would have sent key material
        original = "\n".join(text.split("\n")[-(prompt.count("\n") + 1) :])
        if "BEGIN RSA" in original or "# path:" in prompt:
            continue
        secrets_module.forget_learned()  # this process learned nothing; the server did
        if [line for line in BODY if line in SecretScanner().scan(original).text]:
            cut_inside += 1
    assert cut_inside >= 1, "no prompt started inside the block: the test proves nothing"


async def test_block_mode_refuses_only_what_would_be_sent(
    launch: Launch, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    shared = (
        "def sync_orders(client, orders):\n    for order in orders:\n        client.push(order)\n"
    )
    other = f'API_TOKEN = "{TOKEN}"\n\n{shared}\n\ndef sync_refunds(client, refunds):\n    return '
    clean = (
        f"{shared}\n\ndef sync_invoices(client, invoices):\n    for order in invoices:\n        "
    )
    fake.default_fim = "client.push(order)"
    client = await _ready(launch, workspace, env, fake, privacy={"secrets": "block"})
    other_uri = open_document(client, workspace / "other.py", other)
    clean_uri = open_document(client, workspace / "clean.py", clean)

    items = await _inline(client, clean_uri, *_end(clean))
    assert [i.insert_text for i in items] == ["client.push(order)"]
    (request,) = fake.requests_for("fim")
    assert "sync_refunds" in request.body["prompt"] or "API_TOKEN" in request.body["prompt"], (
        "the other file's similar code was not in the prompt: the test proves nothing"
    )
    assert TOKEN.encode() not in fake.all_bytes()

    # control: the secret is in the prefix that would be sent, and the request is refused
    await _inline(client, other_uri, *_end(other))
    assert len(fake.requests_for("fim")) == 1
    assert TOKEN.encode() not in fake.all_bytes()
