"""textDocument/codeAction (instant: no model call) and codeAction/resolve (the model call).

Listing only reads the document's URI and version. Clients that resolve `edit` get actions
with `data` and compute on resolve; others get a command that computes and applies.
"""

from __future__ import annotations

import logging

from lsprotocol import types
from pygls.capabilities import get_capability

from lsp_server.features.base import Feature, handler
from lsp_server.features.refactor_support import (
    ActionData,
    check_unchanged,
    compute,
    diagnostic_json,
    fail,
    show_file_command,
    workspace_edit,
)
from lsp_server.features.shared import APPLY_COMMAND, EXPLAIN_COMMAND, REFACTOR_COMMAND
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

log = logging.getLogger(__name__)

#: The order actions appear in the menu.
LISTED = (REFACTOR, DOCSTRING, TYPES, SIMPLIFY, EXPLAIN, TESTS)
#: Actions whose edit can be resolved lazily (Refactor needs an instruction the editor asks
#: for; Explain answers with Markdown, not an edit).
RESOLVABLE = frozenset({DOCSTRING, TYPES, SIMPLIFY, FIX, TESTS})
FIX_TITLE_CHARS = 60


def _only(params: types.CodeActionParams) -> list[str] | None:
    only = params.context.only
    if not only:
        return None
    return [str(getattr(kind, "value", kind)) for kind in only]


def _action(data: ActionData, title: str, kind: str, lazy: bool) -> types.CodeAction:
    payload = data.to_json()
    action = types.CodeAction(title=title, kind=kind, data=payload)
    if data.action in (REFACTOR, EXPLAIN):
        name = REFACTOR_COMMAND if data.action == REFACTOR else EXPLAIN_COMMAND
        args = {"uri": data.uri, "range": payload["range"]}
        action.command = types.Command(title=title, command=name, arguments=[args])
    elif not lazy:
        action.command = types.Command(title=title, command=APPLY_COMMAND, arguments=[payload])
    return action


def _apply_command(action: types.CodeAction) -> types.Command:
    return types.Command(title=action.title, command=APPLY_COMMAND, arguments=[action.data])


def _fix_title(diagnostic: types.Diagnostic) -> str:
    message = " ".join(diagnostic.message.split())
    if len(message) > FIX_TITLE_CHARS:
        message = message[: FIX_TITLE_CHARS - 1] + "…"
    return f"Mistral: Fix: {message}"


class CodeActionsFeature(Feature):
    @handler(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[KIND_REWRITE, KIND_QUICKFIX, KIND_SOURCE], resolve_provider=True
        ),
    )
    def code_action(
        self, params: types.CodeActionParams
    ) -> list[types.CodeAction] | list[types.Command]:
        actions = self.list_actions(params)
        caps = self.server.client_capabilities
        if get_capability(caps, "text_document.code_action.code_action_literal_support"):
            return actions
        # Clients without CodeAction literals take plain commands (spec: Command[]).
        return [a.command or _apply_command(a) for a in actions]

    def _resolves_edit(self) -> bool:
        support = get_capability(
            self.server.client_capabilities, "text_document.code_action.resolve_support"
        )
        return support is not None and "edit" in support.properties

    def list_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        doc = self.session.documents.get(uri)
        if doc is None or not self.server.refactors.allowed(doc.path, doc.uri):
            return []
        only = _only(params)
        lazy = self._resolves_edit()
        # VS Code asks automatically on every cursor move: a caret alone gets only the fixes
        # (no light bulb on every line); a selection, or an explicit request, gets everything.
        automatic = params.context.trigger_kind == types.CodeActionTriggerKind.Automatic
        caret_only = automatic and params.range.start == params.range.end
        actions: list[types.CodeAction] = []
        if kind_matches(KIND_QUICKFIX, only):
            for diagnostic in params.context.diagnostics:
                data = ActionData(
                    uri,
                    diagnostic.range,
                    FIX,
                    doc.version,
                    diagnostics=[diagnostic_json(diagnostic)],
                )
                action = _action(data, _fix_title(diagnostic), KIND_QUICKFIX, lazy)
                action.diagnostics = [diagnostic]
                actions.append(action)
        for action_id in () if caret_only else LISTED:
            spec = ACTIONS[action_id]
            if kind_matches(spec.kind, only):
                data = ActionData(uri, params.range, action_id, doc.version)
                actions.append(_action(data, spec.title, spec.kind, lazy))
        return actions

    @handler(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(self, action: types.CodeAction) -> types.CodeAction:
        if action.edit is not None or action.command is not None or action.data is None:
            return action
        server = self.server
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
        # The client applies this edit itself; the command then opens the file it created.
        action.command = show_file_command(result)
        return action
