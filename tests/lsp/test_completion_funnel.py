"""The completion funnel through the real server: shown, accepted and partially accepted
become audit events with the language and without any text."""

from __future__ import annotations

import json
from pathlib import Path

from lsprotocol import types

from fixtures.fake_mistral import FakeMistral
from tests.lsp_harness import endpoint_options, open_document, wait_for_state, wait_until

CODE = "def shipping_cost_for_parcel(weight):\n    return weigh"


def _events(audit: Path) -> list[dict]:
    if not audit.exists():
        return []
    records = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
    return [r for r in records if r.get("kind") == "event"]


async def test_shown_accepted_and_partial_become_events_without_text(
    launch, workspace: Path, env: dict[str, str], fake: FakeMistral
) -> None:
    fake.default_fim = "t * 2.5"
    audit = workspace.parent / "audit.jsonl"
    options = endpoint_options(fake.url, privacy={"auditPath": str(audit)})
    client = await launch(root=workspace, env=env, init_options=options)
    await wait_for_state(client, "ready")
    uri = open_document(client, workspace / "parcel.py", CODE)
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=len("    return weigh")),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    assert isinstance(result, types.InlineCompletionList) and result.items
    item = result.items[0]
    assert item.command is not None
    client.protocol.notify("textDocument/didShowCompletion", {"item": {"languageId": "python"}})
    client.protocol.notify(
        "textDocument/didPartiallyAcceptCompletion",
        {"textDocument": {"uri": uri}, "acceptedLength": 3},
    )
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=item.command.command, arguments=item.command.arguments)
    )
    assert await wait_until(lambda: len(_events(audit)) >= 3)
    events = _events(audit)
    assert [e["event"] for e in events] == ["shown", "partially_accepted", "accepted"]
    assert {e["language"] for e in events} == {"python"}
    assert events[1]["accepted_chars"] == 3
    text = audit.read_text()
    # The FIM request itself was audited (control: the log is the one being written) …
    assert '"decision":"sent"' in text.replace(" ", "")
    # … and no code or suggestion text is in it.
    assert "shipping_cost_for_parcel" not in text and "2.5" not in text
