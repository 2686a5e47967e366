"""Shared by code actions and commands: action data, progress while Mistral works, and
turning the refactor service's offset edits into a WorkspaceEdit the client understands."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from cattrs.errors import ClassValidationError
from cattrs.v import transform_error
from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.capabilities import get_capability
from pygls.exceptions import JsonRpcException

from lsp_server.documents import Document, path_to_uri
from lsp_server.features.convert import offset_of, position_at
from lsp_server.features.progress import WorkDoneProgress
from lsp_server.features.shared import SHOW_FILE_COMMAND
from lsp_server.refactor import (
    DiagnosticInfo,
    RefactorError,
    RefactorRequest,
    RefactorResult,
    TextEdit,
)
from lsp_server.refactor.actions import EXPLAIN, TESTS

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)

REQUEST_FAILED = -32803
REQUEST_CANCELLED = -32800


class StaleDocument(RefactorError):
    """The user edited the document while Mistral worked: nothing is applied."""

    kind = "stale"


# -- action data ------------------------------------------------------------------------

_CONVERTER = get_converter()


@attrs.define
class ActionData:
    """What a code action carries from listing to resolve/command (plain JSON in `data`)."""

    uri: str
    range: types.Range
    action: str = ""
    version: int | None = None
    instruction: str = ""
    diagnostics: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = _CONVERTER.unstructure(self)
        return value

    @classmethod
    def from_json(cls, value: Any, action: str | None = None) -> ActionData:
        """Parse with lsprotocol's converter; a malformed value says which field is wrong."""
        if not isinstance(value, dict):
            raise RefactorError("Expected one argument: {uri, range, …}.")
        try:
            data = _CONVERTER.structure(value, cls)
        except Exception as exc:  # noqa: BLE001 - cattrs raises several kinds
            problems = (
                "; ".join(transform_error(exc))
                if isinstance(exc, ClassValidationError)
                else str(exc)
            )
            raise RefactorError(f"Malformed arguments: {problems}.") from exc
        return attrs.evolve(data, action=action) if action else data


def diagnostic_json(diagnostic: types.Diagnostic) -> dict[str, Any]:
    return {
        "message": diagnostic.message,
        "line": diagnostic.range.start.line + 1,
        "code": None if diagnostic.code is None else str(diagnostic.code),
        "source": diagnostic.source,
    }


def diagnostic_infos(data: ActionData) -> tuple[DiagnosticInfo, ...]:
    out: list[DiagnosticInfo] = []
    for d in data.diagnostics or []:
        if isinstance(d, dict) and d.get("message"):
            out.append(
                DiagnosticInfo(
                    message=str(d["message"]),
                    line=int(d.get("line") or 0),
                    code=None if d.get("code") is None else str(d["code"]),
                    source=None if d.get("source") is None else str(d["source"]),
                )
            )
    return tuple(out)


# -- progress ---------------------------------------------------------------------------

PROGRESS_INTERVAL_S = 0.1


class RefactorProgress:
    """Progress for one action: the streamed answer's tail as messages, cancel → the task."""

    def __init__(
        self, server: MistralLanguageServer, title: str, token: types.ProgressToken | None
    ) -> None:
        self._progress = WorkDoneProgress(server, "mistral-refactor", token)
        self._title = title
        self._last = 0.0

    async def begin(self, task: asyncio.Task[Any] | None) -> None:
        def cancel() -> None:
            if task is not None and not task.done():
                log.info("refactor cancelled by the user")
                task.cancel()

        await self._progress.begin(self._title, "waiting for Mistral…", on_cancel=cancel)

    def report(self, text: str) -> None:
        """Show the tail of the streamed answer (throttled)."""
        now = time.monotonic()
        if not self._progress.active or now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last = now
        lines = [line for line in text.splitlines() if line.strip()]
        tail = lines[-1].strip() if lines else ""
        self._progress.report(
            f"{len(text)} characters received" + (f": {tail[:60]}" if tail else "")
        )

    def end(self, message: str) -> None:
        self._progress.end(message)


# -- workspace edits --------------------------------------------------------------------


def _lsp_edits(doc: Document, edits: list[TextEdit], encoding: str) -> list[types.TextEdit]:
    return [
        types.TextEdit(
            range=types.Range(
                start=position_at(doc, e.start, encoding), end=position_at(doc, e.end, encoding)
            ),
            new_text=e.new_text,
        )
        for e in edits
    ]


def can_create_files(server: MistralLanguageServer) -> bool:
    caps = server.client_capabilities
    operations = get_capability(caps, "workspace.workspace_edit.resource_operations", [])
    return types.ResourceOperationKind.Create in operations


def workspace_edit(
    server: MistralLanguageServer, snapshot: Document, result: RefactorResult
) -> types.WorkspaceEdit:
    """The result as a WorkspaceEdit: versioned documentChanges when the client takes them
    (so it refuses an edit meant for an older version itself), else plain `changes`."""
    session = server.session
    encoding = session.documents.encoding
    versioned = get_capability(
        server.client_capabilities, "workspace.workspace_edit.document_changes", False
    )
    creates = can_create_files(server)
    doc_changes: list[Any] = []
    changes: dict[str, list[types.TextEdit]] = {}
    if result.edits:
        lsp = _lsp_edits(snapshot, result.edits, encoding)
        if versioned:
            ident = types.OptionalVersionedTextDocumentIdentifier(
                uri=snapshot.uri, version=snapshot.version
            )
            doc_changes.append(types.TextDocumentEdit(text_document=ident, edits=lsp))
        changes[snapshot.uri] = lsp
    if result.test_file is not None:
        change = result.test_file
        uri = path_to_uri(change.path)
        open_doc = session.documents.get(uri)
        target = Document(uri, snapshot.language_id, 0, change.old_text, change.path)
        lsp = _lsp_edits(target, change.edits, encoding)
        if not change.exists:
            if not creates:
                raise RefactorError(
                    f"Your editor cannot create files through LSP: create {change.path} "
                    "and run Generate tests again."
                )
            options = types.CreateFileOptions(overwrite=False, ignore_if_exists=True)
            doc_changes.append(types.CreateFile(uri=uri, options=options))
            ident = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None)
            doc_changes.append(types.TextDocumentEdit(text_document=ident, edits=lsp))
        else:
            version = open_doc.version if open_doc is not None else None
            ident = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
            doc_changes.append(types.TextDocumentEdit(text_document=ident, edits=lsp))
            changes[uri] = lsp
    if doc_changes and (versioned or any(isinstance(c, types.CreateFile) for c in doc_changes)):
        return types.WorkspaceEdit(document_changes=doc_changes)
    return types.WorkspaceEdit(changes=changes)


def _shown_path(server: MistralLanguageServer, path: Path) -> str:
    for root in server.session.roots:
        try:
            return str(path.relative_to(root))
        except ValueError:
            continue
    return str(path)


async def show_other_file(server: MistralLanguageServer, result: RefactorResult) -> bool:
    """After an applied edit that created or changed another file (generated tests), open it
    (`window/showDocument`) when the client can, else say where it went. Never fails the
    refactor: the edit is already in."""
    change = result.test_file
    if change is None:
        return False
    return await show_file(server, change.path, created=not change.exists)


def show_file_command(result: RefactorResult) -> types.Command | None:
    """For a code action whose edit the client applies itself (resolve): the command it runs
    afterwards, which opens the other file the edit created or changed."""
    change = result.test_file
    if change is None:
        return None
    return types.Command(
        title="Open the generated tests",
        command=SHOW_FILE_COMMAND,
        arguments=[str(change.path), not change.exists],
    )


async def show_file(server: MistralLanguageServer, path: Path, created: bool) -> bool:
    verb = "created" if created else "changed"
    where = _shown_path(server, path)
    if get_capability(server.client_capabilities, "window.show_document.support", False):
        params = types.ShowDocumentParams(uri=path_to_uri(path), take_focus=True)
        try:
            shown = await server.window_show_document_async(params)
        except Exception as exc:  # noqa: BLE001 - a client error must not undo a good refactor
            log.info("window/showDocument for %s failed: %s", where, exc)
        else:
            if shown is not None and shown.success:
                return True
    server.show(f"Mistral {verb} {where}.", types.MessageType.Info)
    return False


def check_unchanged(server: MistralLanguageServer, snapshot: Document) -> None:
    """Refuse to apply when the user edited the document meanwhile (nothing is clobbered)."""
    current = server.session.documents.get(snapshot.uri)
    if current is None:
        raise StaleDocument("The file was closed while Mistral was working; nothing was changed.")
    if current.version != snapshot.version or current.text != snapshot.text:
        raise StaleDocument(
            "The file changed while Mistral was working; nothing was applied. Run the action again."
        )


def snapshot_of(doc: Document) -> Document:
    return Document(doc.uri, doc.language_id, doc.version, doc.text, doc.path)


# -- running an action ------------------------------------------------------------------

PROGRESS_TITLES = {EXPLAIN: "Mistral: explaining…", TESTS: "Mistral: writing tests…"}


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
    encoding = session.documents.encoding
    request = RefactorRequest(
        action=data.action,
        path=snapshot.path,
        language_id=snapshot.language_id,
        text=snapshot.text,
        start=offset_of(snapshot, data.range.start, encoding),
        end=offset_of(snapshot, data.range.end, encoding),
        instruction=data.instruction,
        diagnostics=diagnostic_infos(data),
        uri=data.uri,
    )
    progress = RefactorProgress(
        server, PROGRESS_TITLES.get(data.action, "Mistral: refactoring…"), token
    )
    await progress.begin(asyncio.current_task())
    try:
        result = await server.refactors.run(request, on_progress=progress.report)
    except asyncio.CancelledError:
        progress.end("cancelled")
        raise
    except RefactorError as exc:
        progress.end(exc.reason)
        raise
    progress.end("done" if result.changed or result.markdown else "no changes")
    return snapshot, result
