"""Attack class 4: an ignore file changes and the very next request already follows it.

The client is Neovim-like with no `workspace/didChangeWatchedFiles` capability at all, so
the server hears of an edited `.mistralignore` only through text synchronisation — or not
at all when the file changes on disk behind the editor's back (its own fallback watcher).
Each attack has a control: the same request before the rule exists sends the text.
"""

from __future__ import annotations

import asyncio
import copy
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient, client_capabilities

from fixtures.fake_mistral import FakeMistral
from tests.lsp_harness import endpoint_options, open_document, wait_for_state, wait_until

NEEDLE = "ZETA_ROTATION_7741"
PLAN = f'''"""Launch plan."""


def launch_codes(site: str) -> str:
    """Codes for {NEEDLE}: rotate every Tuesday."""
    return "{NEEDLE}-" + site
'''
APP = """from plan import launch_codes


def start(site: str) -> str:
    code = launch_codes(site)
    return code
"""
CURSOR = (4, len("    code = launch_codes("))
CURSOR_2 = (5, len("    return code"))  # another position: no cached answer to reuse
WHOLE_PLAN = types.Range(types.Position(0, 0), types.Position(7, 0))


def no_watching_capabilities() -> types.ClientCapabilities:
    """Neovim on Linux: no dynamic registration of file watchers (here: none at all)."""
    caps = copy.deepcopy(client_capabilities("neovim"))
    if caps.workspace is not None:
        caps.workspace.did_change_watched_files = None
    return caps


async def start(launch: Any, root: Path, env: dict[str, str], fake: FakeMistral) -> Any:
    (root / "plan.py").write_text(PLAN, encoding="utf-8")
    (root / "app.py").write_text(APP, encoding="utf-8")
    client = await launch(
        root=root,
        env=env,
        capabilities=no_watching_capabilities(),
        init_options=endpoint_options(fake.url),
    )
    await wait_for_state(client, "ready")
    return client


async def complete(client: LanguageClient, uri: str, cursor: tuple[int, int] = CURSOR) -> None:
    await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(*cursor),
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
    )


def sent(fake: FakeMistral) -> str:
    """Everything the endpoint received so far, as one string."""
    return "\n".join(str(r.body) for r in fake.requests)


async def explain(client: LanguageClient, uri: str) -> Any:
    rng = {"start": {"line": 0, "character": 0}, "end": {"line": 7, "character": 0}}
    params = types.ExecuteCommandParams(
        command="mistral.explain", arguments=[{"uri": uri, "range": rng}]
    )
    return await client.workspace_execute_command_async(params)


def save(client: LanguageClient, uri: str, version: int, text: str, path: Path) -> None:
    """What an editor does on `:w`: the edit, the write, then didSave."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    path.write_text(text, encoding="utf-8")
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


async def test_saving_mistralignore_applies_to_the_next_completion_and_explain(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake)
    plan_uri = open_document(client, workspace / "plan.py")
    app_uri = open_document(client, workspace / "app.py")
    ignore = workspace / ".mistralignore"
    ignore.write_text("# nothing private yet\n", encoding="utf-8")
    ignore_uri = open_document(client, ignore, language_id="ignore")

    # Control: before the rule, the plan's text reaches the endpoint both ways.
    await complete(client, app_uri)
    assert await wait_until(lambda: NEEDLE in sent(fake)), "control: context never sent"
    await explain(client, plan_uri)
    assert NEEDLE in str(fake.requests_for("chat")[-1].body)
    before = len(fake.requests)

    # Attack: the user adds plan.py and saves; the client has no file watching at all.
    save(client, ignore_uri, 2, "# nothing private yet\nplan.py\n", ignore)
    await complete(client, app_uri, CURSOR_2)
    with pytest.raises(JsonRpcException, match="excluded"):
        await explain(client, plan_uri)
    assert await wait_until(lambda: len(fake.requests) > before)  # the completion did go out
    assert NEEDLE not in "\n".join(str(r.body) for r in fake.requests[before:])
    assert len(fake.requests_for("chat")) == 1


async def test_gitignore_below_the_root_and_git_info_exclude_apply_on_save(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    (workspace / ".git" / "info").mkdir(parents=True)
    exclude = workspace / ".git" / "info" / "exclude"
    exclude.write_text("", encoding="utf-8")
    client = await start(launch, workspace, env, fake)
    plan_uri = open_document(client, workspace / "plan.py")
    await explain(client, plan_uri)  # control
    assert NEEDLE in str(fake.requests_for("chat")[-1].body)

    exclude_uri = open_document(client, exclude, language_id="gitignore")
    save(client, exclude_uri, 2, "/plan.py\n", exclude)  # the root one only
    with pytest.raises(JsonRpcException, match="excluded"):
        await explain(client, plan_uri)

    # A nested .gitignore, saved from the editor, applies to its own directory.
    sub = workspace / "pkg"
    sub.mkdir()
    (sub / "plan.py").write_text(PLAN, encoding="utf-8")
    sub_uri = open_document(client, sub / "plan.py")
    await explain(client, sub_uri)  # control
    chats = len(fake.requests_for("chat"))
    assert NEEDLE in str(fake.requests_for("chat")[-1].body)
    nested = sub / ".gitignore"
    nested.write_text("", encoding="utf-8")
    nested_uri = open_document(client, nested, language_id="gitignore")
    save(client, nested_uri, 2, "plan.py\n", nested)
    with pytest.raises(JsonRpcException, match="excluded"):
        await explain(client, sub_uri)
    assert len(fake.requests_for("chat")) == chats


async def test_the_server_watches_ignore_files_when_the_client_does_not(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake)
    plan_uri = open_document(client, workspace / "plan.py")
    await explain(client, plan_uri)  # control: sent while no rule exists
    assert NEEDLE in str(fake.requests_for("chat")[-1].body)

    # Attack: the rule appears on disk with no LSP notification at all (a checkout, a script).
    (workspace / ".mistralignore").write_text("plan.py\n", encoding="utf-8")
    deadline = time.monotonic() + 15
    refused = False
    while time.monotonic() < deadline and not refused:
        try:
            await explain(client, plan_uri)
        except JsonRpcException:
            refused = True
        else:
            await asyncio.sleep(0.1)
    assert refused, "the exclusion never applied without a client notification"
    chats = len(fake.requests_for("chat"))
    with pytest.raises(JsonRpcException, match="excluded"):
        await explain(client, plan_uri)  # and it stays applied
    assert len(fake.requests_for("chat")) == chats
