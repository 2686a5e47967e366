"""textDocument/codeAction (instant: no model call) and codeAction/resolve (the model call).

Listing only reads the document's URI and version. Clients that resolve `edit` get actions
with `data` and compute on resolve; others get a command that computes and applies.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server.features.capabilities import capability, supports
from lsp_server.features.commands import (
    APPLY_COMMAND,
    EXPLAIN_COMMAND,
    REFACTOR_COMMAND,
    compute,
    fail,
    service_for,
)
from lsp_server.features.refactor_support import (
    ActionData,
    check_unchanged,
    diagnostic_json,
    workspace_edit,
)
from lsp_server.refactor import (
    ACTIONS,
    KIND_QUICKFIX,
    KIND_REWRITE,
    KIND_SOURCE,
    RefactorError,
    kind_matches,
)
from lsp_server.refactor.actions import (
    DOCSTRING,
    EXPLAIN,
    FIX,
    REFACTOR,
    SIMPLIFY,
    TESTS,
    TYPES,
)

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)

#: The order actions appear in the menu.
LISTED = (REFACTOR, DOCSTRING, TYPES, SIMPLIFY, EXPLAIN, TESTS)
#: Actions whose edit can be resolved lazily (Refactor needs an instruction the editor asks
#: for; Explain answers with Markdown, not an edit).
RESOLVABLE = frozenset({DOCSTRING, TYPES, SIMPLIFY, FIX, TESTS})
FIX_TITLE_CHARS = 60


def resolves_edit(server: MistralLanguageServer) -> bool:
    props = capability(server, "text_document.code_action.resolve_support.properties", None)
    return bool(props) and "edit" in props


def _only(params: types.CodeActionParams) -> list[str] | None:
    only = params.context.only
    if not only:
        return None
    return [str(getattr(kind, "value", kind)) for kind in only]


def _action(
    server: MistralLanguageServer, data: ActionData, title: str, kind: str, lazy: bool
) -> types.CodeAction:
    payload = data.to_json()
    action = types.CodeAction(title=title, kind=kind, data=payload)
    if data.action == REFACTOR:
        args = {"uri": data.uri, "range": payload["range"]}
        action.command = types.Command(title=title, command=REFACTOR_COMMAND, arguments=[args])
    elif data.action == EXPLAIN:
        args = {"uri": data.uri, "range": payload["range"]}
        action.command = types.Command(title=title, command=EXPLAIN_COMMAND, arguments=[args])
    elif not lazy:
        action.command = types.Command(title=title, command=APPLY_COMMAND, arguments=[payload])
    return action


def _apply_command(action: types.CodeAction) -> types.Command:
    return types.Command(title=action.title, command=APPLY_COMMAND, arguments=[action.data])


def list_actions(
    server: MistralLanguageServer, params: types.CodeActionParams
) -> list[types.CodeAction]:
    session = server.session
    uri = params.text_document.uri
    doc = session.documents.get(uri)
    if doc is None or not service_for(server).allowed(doc.path, doc.uri):
        return []
    only = _only(params)
    lazy = resolves_edit(server)
    # VS Code asks automatically on every cursor move: a caret alone gets only the fixes
    # (no light bulb on every line); a selection, or an explicit request, gets everything.
    automatic = params.context.trigger_kind == types.CodeActionTriggerKind.Automatic
    caret_only = automatic and params.range.start == params.range.end
    actions: list[types.CodeAction] = []
    if kind_matches(KIND_QUICKFIX, only):
        for diagnostic in params.context.diagnostics:
            data = ActionData(
                FIX, uri, diagnostic.range, doc.version, diagnostics=[diagnostic_json(diagnostic)]
            )
            message = " ".join(diagnostic.message.split())
            if len(message) > FIX_TITLE_CHARS:
                message = message[: FIX_TITLE_CHARS - 1] + "…"
            action = _action(server, data, f"Mistral: Fix: {message}", KIND_QUICKFIX, lazy)
            action.diagnostics = [diagnostic]
            actions.append(action)
    for action_id in () if caret_only else LISTED:
        spec = ACTIONS[action_id]
        if not kind_matches(spec.kind, only):
            continue
        data = ActionData(action_id, uri, params.range, doc.version)
        actions.append(_action(server, data, spec.title, spec.kind, lazy))
    return actions


async def resolve_action(
    server: MistralLanguageServer, action: types.CodeAction
) -> types.CodeAction:
    if action.edit is not None or action.command is not None or action.data is None:
        return action
    try:
        data = ActionData.from_json(action.data)
        if data.action not in RESOLVABLE:
            raise RefactorError(f"The action {data.action!r} cannot be resolved to an edit.")
        snapshot, result = await compute(server, data, None)
        if not result.changed:
            server.show("Mistral suggested no changes.", types.MessageType.Info)
            return action
        edit = workspace_edit(server, snapshot, result)
        check_unchanged(server, snapshot)
    except RefactorError as exc:
        raise fail(server, exc) from exc
    action.edit = edit
    return action


def register(server: MistralLanguageServer) -> None:
    options = types.CodeActionOptions(
        code_action_kinds=[KIND_REWRITE, KIND_QUICKFIX, KIND_SOURCE], resolve_provider=True
    )

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, options)
    def code_action(
        ls: MistralLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | list[types.Command]:
        actions = list_actions(ls, params)
        if supports(ls, "text_document.code_action.code_action_literal_support"):
            return actions
        # Clients without CodeAction literals take plain commands (spec: Command[]).
        return [a.command or _apply_command(a) for a in actions]

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(
        ls: MistralLanguageServer, params: types.CodeAction
    ) -> types.CodeAction:
        return await resolve_action(ls, params)
