"""Helpers for the refactor tests: a client that records applied edits, listing and
resolving actions, and applying WorkspaceEdits to text the way an editor would."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

from fixtures.fake_mistral import FakeMistral
from tests.lsp_harness import endpoint_options

SAMPLE = '''\
"""Shopping cart helpers."""

TAX = 0.2


def total(prices):
    result = 0
    for p in prices:
        result = result + p
    return result * (1 + TAX)


class Cart:
    def __init__(self):
        self.items = []

    def add(self, name, price):
        self.items.append((name, price))
        return len(self.items)
'''


def capabilities_for(profile: str) -> types.ClientCapabilities:
    """Profiles by name; `neovim-noresolve` is Neovim without codeAction/resolve support,
    `neovim-noliterals` one that takes only Command[] answers, and `emacs` a client without
    resource operations."""
    if profile == "neovim-noliterals":
        caps = copy.deepcopy(client_capabilities("neovim"))
        assert caps.text_document is not None
        caps.text_document.code_action = types.CodeActionClientCapabilities()
        return caps
    if profile == "neovim-noresolve":
        caps = copy.deepcopy(client_capabilities("neovim"))
        assert caps.text_document is not None and caps.text_document.code_action is not None
        caps.text_document.code_action.resolve_support = None
        return caps
    return client_capabilities(profile)


async def start(
    launch: Any,
    workspace: Path,
    env: dict[str, str],
    fake: FakeMistral,
    profile: str = "neovim",
    apply_result: bool = True,
    **sections: Any,
) -> LanguageClient:
    """A server pointed at `fake`, whose client records (and accepts) workspace/applyEdit."""
    client: LanguageClient = await launch(
        root=workspace,
        env=env,
        capabilities=capabilities_for(profile),
        init_options=endpoint_options(fake.url, **sections),
    )
    _fix_code_action_structuring(client)
    applied: list[types.ApplyWorkspaceEditParams] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(_client: LanguageClient, params: types.ApplyWorkspaceEditParams) -> Any:
        applied.append(params)
        return types.ApplyWorkspaceEditResult(applied=apply_result)

    client.applied = applied  # type: ignore[attr-defined]
    return client


def _fix_code_action_structuring(client: LanguageClient) -> None:
    """lsprotocol structures any `Command | CodeAction` carrying a `command` key as a Command
    (losing a CodeAction's nested command); decide by the key's type, as the spec does."""
    converter = client.protocol._converter

    def structure(obj: Any, _type: Any) -> Any:
        if isinstance(obj, dict) and isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], structure)  # noqa: UP007


def write_sample(workspace: Path, name: str = "cart.py", text: str = SAMPLE) -> Path:
    path = workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def line_range(text: str, first: int, last: int) -> types.Range:
    """Lines first..last (0-based, inclusive) as a range ending at the next line's start."""
    del text
    return types.Range(types.Position(first, 0), types.Position(last + 1, 0))


def find_line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n")) if needle in line)


async def code_actions(
    client: LanguageClient,
    uri: str,
    rng: types.Range,
    only: list[str] | None = None,
    diagnostics: list[types.Diagnostic] | None = None,
    trigger: types.CodeActionTriggerKind | None = None,
) -> list[types.CodeAction]:
    context = types.CodeActionContext(
        diagnostics=diagnostics or [], only=only, trigger_kind=trigger
    )
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=rng, context=context
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def by_title(actions: list[types.CodeAction], prefix: str) -> types.CodeAction:
    return next(a for a in actions if a.title.startswith(prefix))


def _offset(text: str, pos: types.Position) -> int:
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[: pos.line]) + pos.character


def apply_text_edits(text: str, edits: list[Any]) -> str:
    """Apply LSP TextEdits (ASCII test texts with \\n line breaks), last first."""
    spans = [(_offset(text, e.range.start), _offset(text, e.range.end), e.new_text) for e in edits]
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def edits_for(edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    out: list[Any] = []
    if edit.changes and uri in edit.changes:
        out.extend(edit.changes[uri])
    for change in edit.document_changes or []:
        if isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri:
            out.extend(change.edits)
    return out


def plain_messages(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages]


def chat_prompt(fake: FakeMistral, index: int = -1) -> str:
    body = fake.requests_for("chat")[index].body
    return "\n".join(str(m.get("content", "")) for m in body["messages"])


def did_change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def progress_titled(client: LanguageClient, title: str) -> list[Any]:
    """The reports of the (last) progress whose begin has this title."""
    found: list[Any] = []
    for reports in client.progress_reports.values():
        if reports and getattr(reports[0], "title", None) == title:
            found = reports
    return found
