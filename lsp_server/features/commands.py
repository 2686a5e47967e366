"""workspace/executeCommand for refactors: `mistral.refactor`, `mistral.explain`,
`mistral.generateTests` and `mistral.applyAction` (the code-action path of clients that do
not resolve edits). Each computes through the refactor service, checks the document version,
then applies with workspace/applyEdit — or says why it did not."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from lsp_server.documents import Document, path_to_uri
from lsp_server.features.base import Feature, command
from lsp_server.features.refactor_support import (
    REQUEST_CANCELLED,
    ActionData,
    check_unchanged,
    compute,
    fail,
    show_file,
    show_other_file,
    workspace_edit,
)
from lsp_server.features.shared import (
    APPLY_COMMAND,
    EXPLAIN_COMMAND,
    REFACTOR_COMMAND,
    SHOW_FILE_COMMAND,
    TESTS_COMMAND,
)
from lsp_server.pygls_adapter import CURRENT_COMMAND, link_request_cancellation
from lsp_server.refactor import ACTIONS, RefactorError, RefactorResult
from lsp_server.refactor.actions import EXPLAIN, REFACTOR, TESTS

log = logging.getLogger(__name__)


class RefactorCommandsFeature(Feature):
    async def _run(self, args: tuple[Any, ...], action: str | None) -> Any:
        """The body of every command: parse, compute, apply; errors become answers + messages."""
        server = self.server
        params = CURRENT_COMMAND.get()
        token = params.work_done_token if params is not None else None
        task = asyncio.current_task()
        if task is not None:
            link_request_cancellation(server, task)
        try:
            data = ActionData.from_json(args[0] if args else None, action)
            spec = ACTIONS.get(data.action)
            if spec is None:
                raise RefactorError(f"Unknown Mistral action {data.action!r}.")
            snapshot, result = await compute(server, data, token)
            if spec.id == EXPLAIN:
                return result.markdown
            return await self._apply(snapshot, result, spec.title)
        except RefactorError as exc:
            raise fail(server, exc) from exc
        except asyncio.CancelledError:
            # Answer the request instead of leaving it pending (the task itself was ours).
            raise JsonRpcException(message="Cancelled.", code=REQUEST_CANCELLED) from None

    async def _apply(
        self, snapshot: Document, result: RefactorResult, label: str
    ) -> dict[str, Any]:
        server = self.server
        if not result.changed:
            server.show("Mistral suggested no changes.", types.MessageType.Info)
            return {"applied": False, "reason": "no changes"}
        edit = workspace_edit(server, snapshot, result)
        check_unchanged(server, snapshot)
        answer = await server.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(edit=edit, label=label)
        )
        if not answer.applied:
            reason = answer.failure_reason or "the editor refused the edit"
            raise RefactorError(f"The change was not applied: {reason}.")
        shown = await show_other_file(server, result)
        answer_json: dict[str, Any] = {
            "applied": True,
            "attempts": result.attempts,
            "edits": len(result.edits),
        }
        if result.test_file is not None:
            answer_json["file"] = path_to_uri(result.test_file.path)
            answer_json["shown"] = shown
        return answer_json

    @command(REFACTOR_COMMAND)
    async def refactor(self, *args: Any) -> Any:
        return await self._run(args, REFACTOR)

    @command(EXPLAIN_COMMAND)
    async def explain(self, *args: Any) -> Any:
        return await self._run(args, EXPLAIN)

    @command(TESTS_COMMAND)
    async def generate_tests(self, *args: Any) -> Any:
        return await self._run(args, TESTS)

    @command(APPLY_COMMAND)
    async def apply_action(self, *args: Any) -> Any:
        return await self._run(args, None)

    @command(SHOW_FILE_COMMAND)
    async def show_file(self, *args: Any) -> bool:
        """Run by the client after it applied a resolved action that wrote another file."""
        if not args or not isinstance(args[0], str):
            return False
        return await show_file(self.server, Path(args[0]), created=bool(args[1:2] and args[1]))
