"""Attack class 6: an excluded file opened through a diff or history URI must send nothing.

Editors show the old side of a diff or a file at a commit as documents with their own URI
schemes. Through the real server: every form that shows the excluded `secret.py` sends
nothing (completion, Explain); the same forms showing the ordinary `public.py` are sent
(the control: the mapping is not a blanket refusal); schemes whose file cannot be known
send nothing, while an `untitled:` scratch buffer with the same text is sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from fixtures.fake_mistral import FakeMistral
from lsp_server.documents import classify_uri
from tests.lsp_harness import endpoint_options, wait_for_state, wait_until

SHA = "0123456789abcdef0123456789abcdef01234567"


def view_uris(root: Path, name: str) -> dict[str, str]:
    """The URIs editors give a view of `root/name` (see documents/uri_paths.py)."""
    path = f"{root}/{name}"
    git_query = quote(json.dumps({"path": path, "ref": "HEAD"}))
    return {
        "vscode-git": f"git:{quote(path)}?{git_query}",
        "vscode-git-renamed": f"git:{quote(path)}.git?{git_query}",
        "gitlens": f"gitlens://eyJyZWYiOiJhYmMxMjMifQ{quote(path)}?%7B%22ref%22%3A%22abc123%22%7D",
        "jj": f"jj:{quote(path)}?{quote(json.dumps({'rev': '@-'}))}",
        "fugitive-index": f"fugitive://{root}/.git//0/{name}",
        "fugitive-commit": f"fugitive://{root}/.git//{SHA}/{name}",
        "diffview-commit": f"diffview://{root}/.git/{SHA[:11]}/{name}",
        "diffview-stage": f"diffview://{root}/.git/:0:/{name}",
    }


REFUSED = (
    "output:extension-output-mistral",
    "vscode-userdata:/home/u/.config/Code/User/settings.json",
    "zipfile:///home/u/.m2/lib.jar::com/example/Secret.java",
    "diffview://null",
    f"fugitive:///nowhere//{SHA}",  # a commit object: no working-tree file
)


def text_of(mark: str) -> str:
    return f'"""Module."""\n\nTITLE = "{mark}"\n\n\ndef run():\n    return '


def did_open(client: LanguageClient, uri: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )


async def complete_end(client: LanguageClient, uri: str, text: str) -> None:
    lines = text.split("\n")
    await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(len(lines) - 1, len(lines[-1])),
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
    )


async def explain(client: LanguageClient, uri: str) -> Any:
    rng = {"start": {"line": 0, "character": 0}, "end": {"line": 7, "character": 0}}
    params = types.ExecuteCommandParams(
        command="mistral.explain", arguments=[{"uri": uri, "range": rng}]
    )
    return await client.workspace_execute_command_async(params)


def received(fake: FakeMistral) -> str:
    return "\n".join(str(r.body) for r in fake.requests)


@pytest.fixture
def repo(workspace: Path) -> Path:
    (workspace / ".mistralignore").write_text("secret.py\nprivate.ipynb\n", encoding="utf-8")
    (workspace / "secret.py").write_text(text_of("ON-DISK"), encoding="utf-8")
    (workspace / "public.py").write_text(text_of("ON-DISK"), encoding="utf-8")
    return workspace


async def test_views_of_an_excluded_file_send_nothing_views_of_others_do(
    launch: Any, repo: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await launch(
        root=repo, env=env, profile="visual_studio_code", init_options=endpoint_options(fake.url)
    )
    await wait_for_state(client, "ready")
    attacks = dict(view_uris(repo, "secret.py"))
    attacks["notebook-cell"] = (
        f"vscode-notebook-cell:{quote(str(repo))}/private.ipynb#W0sZmlsZQ%3D%3D"
    )
    controls = dict(view_uris(repo, "public.py"))
    controls["notebook-cell"] = (
        f"vscode-notebook-cell:{quote(str(repo))}/public.ipynb#W0sZmlsZQ%3D%3D"
    )
    for form, uri in attacks.items():
        assert classify_uri(uri).paths[0] == repo / (
            "private.ipynb" if "notebook" in form else "secret.py"
        ), form
        text = text_of(f"ATTACK-{form}")
        did_open(client, uri, text)
        await complete_end(client, uri, text)
        with pytest.raises(JsonRpcException, match="excluded"):
            await explain(client, uri)
    for form, uri in controls.items():
        text = text_of(f"CONTROL-{form}")
        did_open(client, uri, text)
        await complete_end(client, uri, text)
    assert await wait_until(lambda: all(f"CONTROL-{f}" in received(fake) for f in controls)), (
        "control: views of an ordinary file were not sent"
    )
    await explain(client, controls["fugitive-index"])  # Explain works on a view too
    assert "CONTROL-fugitive-index" in str(fake.requests_for("chat")[-1].body)
    leaked = [form for form in attacks if f"ATTACK-{form}" in received(fake)]
    assert leaked == []


async def test_unknown_schemes_send_nothing_scratch_buffers_do(
    launch: Any, repo: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await launch(
        root=repo, env=env, profile="visual_studio_code", init_options=endpoint_options(fake.url)
    )
    await wait_for_state(client, "ready")
    for i, uri in enumerate(REFUSED):
        assert classify_uri(uri).refused, uri
        text = text_of(f"REFUSED-{i}")
        did_open(client, uri, text)
        await complete_end(client, uri, text)
        with pytest.raises(JsonRpcException, match="excluded"):
            await explain(client, uri)
    # Controls: an untitled buffer is the user's own typing and gets completions; one that
    # will be saved as an excluded file does not.
    scratch = text_of("SCRATCH")
    did_open(client, "untitled:Untitled-1", scratch)
    await complete_end(client, "untitled:Untitled-1", scratch)
    doomed = text_of("DOOMED")
    did_open(client, f"untitled:{quote(str(repo))}/secret.py", doomed)
    await complete_end(client, f"untitled:{quote(str(repo))}/secret.py", doomed)
    file_uri = (repo / "public.py").as_uri()
    plain = text_of("FILE")
    did_open(client, file_uri, plain)
    await complete_end(client, file_uri, plain)
    assert await wait_until(lambda: "SCRATCH" in received(fake) and "FILE" in received(fake))
    assert "REFUSED-" not in received(fake)
    assert "DOOMED" not in received(fake)
