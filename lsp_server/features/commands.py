"""workspace/executeCommand for refactors: `mistral.refactor`, `mistral.explain`,
`mistral.generateTests` and `mistral.applyAction` (the code-action path of clients that do
not resolve edits). Each computes through the refactor service, checks the document version,
then applies with workspace/applyEdit — or says why it did not."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from lsp_server.documents import Document
from lsp_server.features.refactor_support import (
    REQUEST_CANCELLED,
    REQUEST_FAILED,
    ActionData,
    RefactorProgress,
    check_unchanged,
    diagnostic_infos,
    link_request_cancellation,
    offsets,
    snapshot_of,
    workspace_edit,
)
from lsp_server.refactor import (
    ACTIONS,
    RefactorError,
    RefactorRequest,
    RefactorResult,
    RefactorService,
)
from lsp_server.refactor.actions import EXPLAIN, REFACTOR, TESTS
from lsp_server.server import CURRENT_COMMAND

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)

REFACTOR_COMMAND = "mistral.refactor"
EXPLAIN_COMMAND = "mistral.explain"
TESTS_COMMAND = "mistral.generateTests"
APPLY_COMMAND = "mistral.applyAction"
PROGRESS_TITLES = {EXPLAIN: "Mistral: explaining…", TESTS: "Mistral: writing tests…"}


def service_for(server: MistralLanguageServer) -> RefactorService:
    service = getattr(server, "_mistral_refactors", None)
    if service is None:
        service = RefactorService(server.session)
        server._mistral_refactors = service  # type: ignore[attr-defined]
    return service


def fail(server: MistralLanguageServer, error: RefactorError) -> JsonRpcException:
    """Tell the user why (showMessage) and build the request's error answer."""
    level = types.MessageType.Warning if error.kind != "error" else types.MessageType.Error
    server.show(error.reason, level)
    return JsonRpcException(message=error.reason, code=REQUEST_FAILED, data={"kind": error.kind})


async def compute(
    server: MistralLanguageServer, data: ActionData, token: types.ProgressToken | None
) -> tuple[Document, RefactorResult]:
    """Run one action on the document as it is now; the snapshot is what edits refer to."""
    session = server.session
    doc = session.documents.get(data.uri)
    if doc is None:
        raise RefactorError("The file is not open in the editor.")
    if data.version is not None and doc.version != data.version:
        raise RefactorError("The file changed since the action was offered; try again.")
    snapshot = snapshot_of(doc)
    start, end = offsets(snapshot, data.range, session.documents.encoding)
    request = RefactorRequest(
        action=data.action,
        path=snapshot.path,
        language_id=snapshot.language_id,
        text=snapshot.text,
        start=start,
        end=end,
        instruction=data.instruction,
        diagnostics=diagnostic_infos(data),
        uri=data.uri,
    )
    progress = RefactorProgress(
        server, PROGRESS_TITLES.get(data.action, "Mistral: refactoring…"), token
    )
    await progress.begin(asyncio.current_task())
    try:
        result = await service_for(server).run(request, on_progress=progress.report)
    except asyncio.CancelledError:
        progress.end("cancelled")
        raise
    except RefactorError as exc:
        progress.end(exc.reason)
        raise
    progress.end("done" if result.changed or result.markdown else "no changes")
    return snapshot, result


async def apply(
    server: MistralLanguageServer, snapshot: Document, result: RefactorResult, label: str
) -> dict[str, Any]:
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
    return {"applied": True, "attempts": result.attempts, "edits": len(result.edits)}


async def run_command(
    server: MistralLanguageServer, args: tuple[Any, ...], action: str | None
) -> Any:
    """The body of every command: parse, compute, apply; errors become answers + messages."""
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
        return await apply(server, snapshot, result, spec.title)
    except RefactorError as exc:
        raise fail(server, exc) from exc
    except asyncio.CancelledError:
        # Answer the request instead of leaving it pending (the task itself was ours).
        raise JsonRpcException(message="Cancelled.", code=REQUEST_CANCELLED) from None


def register(server: MistralLanguageServer) -> None:
    """Register the commands. pygls evaluates command handlers' type hints at run time, so
    `ls` is annotated with a runtime name; the typed server comes from the closure."""

    @server.command(REFACTOR_COMMAND)
    async def refactor(ls: LanguageServer, *args: Any) -> Any:
        return await run_command(server, args, REFACTOR)

    @server.command(EXPLAIN_COMMAND)
    async def explain(ls: LanguageServer, *args: Any) -> Any:
        return await run_command(server, args, EXPLAIN)

    @server.command(TESTS_COMMAND)
    async def generate_tests(ls: LanguageServer, *args: Any) -> Any:
        return await run_command(server, args, TESTS)

    @server.command(APPLY_COMMAND)
    async def apply_action(ls: LanguageServer, *args: Any) -> Any:
        return await run_command(server, args, None)
