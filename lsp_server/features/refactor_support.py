"""Shared by code actions and commands: action data, progress while Mistral works, and
turning the refactor service's offset edits into a WorkspaceEdit the client understands."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.documents import Document, path_to_uri
from lsp_server.features.capabilities import capability, supports
from lsp_server.features.convert import offset_of, position_at
from lsp_server.refactor import DiagnosticInfo, RefactorError, RefactorResult, TextEdit

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)

REQUEST_FAILED = -32803
REQUEST_CANCELLED = -32800


class StaleDocument(RefactorError):
    """The user edited the document while Mistral worked: nothing is applied."""

    kind = "stale"


# -- action data ------------------------------------------------------------------------


@dataclass
class ActionData:
    """What a code action carries from listing to resolve/command (plain JSON in `data`)."""

    action: str
    uri: str
    range: types.Range
    version: int | None = None
    instruction: str = ""
    diagnostics: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        r = self.range
        out: dict[str, Any] = {
            "action": self.action,
            "uri": self.uri,
            "range": {
                "start": {"line": r.start.line, "character": r.start.character},
                "end": {"line": r.end.line, "character": r.end.character},
            },
        }
        if self.version is not None:
            out["version"] = self.version
        if self.instruction:
            out["instruction"] = self.instruction
        if self.diagnostics:
            out["diagnostics"] = self.diagnostics
        return out

    @classmethod
    def from_json(cls, value: Any, action: str | None = None) -> ActionData:
        if not isinstance(value, dict):
            raise RefactorError("Expected one argument: {uri, range, …}.")
        try:
            r = value["range"]
            rng = types.Range(
                start=types.Position(int(r["start"]["line"]), int(r["start"]["character"])),
                end=types.Position(int(r["end"]["line"]), int(r["end"]["character"])),
            )
            uri = str(value["uri"])
        except (KeyError, TypeError, ValueError) as exc:
            raise RefactorError(f"Malformed arguments: missing or invalid {exc}.") from exc
        version = value.get("version")
        return cls(
            action=action or str(value.get("action", "")),
            uri=uri,
            range=rng,
            version=int(version) if isinstance(version, int) else None,
            instruction=str(value.get("instruction") or ""),
            diagnostics=list(value.get("diagnostics") or []) or None,
        )


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


def offsets(doc: Document, rng: types.Range, encoding: str) -> tuple[int, int]:
    return offset_of(doc, rng.start, encoding), offset_of(doc, rng.end, encoding)


# -- progress ---------------------------------------------------------------------------


class RefactorProgress:
    """Work-done progress for one action: streamed text as messages, cancel → task.cancel().

    Uses the client's token when the request carried one, else creates one when the client
    supports `window/workDoneProgress`; without either it does nothing.
    """

    INTERVAL_S = 0.1

    def __init__(
        self, server: MistralLanguageServer, title: str, token: types.ProgressToken | None
    ) -> None:
        self._server = server
        self._title = title
        self._token = token
        self._last = 0.0
        self._active = False

    async def begin(self, task: asyncio.Task[Any] | None) -> None:
        server = self._server
        if self._token is None and supports(server, "window.work_done_progress"):
            token = f"mistral-refactor-{uuid.uuid4().hex[:12]}"
            try:
                await asyncio.wait_for(server.work_done_progress.create_async(token), 5)
                self._token = token
            except Exception as exc:  # noqa: BLE001 - progress is a nicety
                log.info("could not create progress: %s", exc)
        if self._token is None:
            return
        server.work_done_progress.begin(
            self._token,
            types.WorkDoneProgressBegin(
                title=self._title, cancellable=True, message="waiting for Mistral…"
            ),
        )
        self._active = True
        future: Future[Any] | None = server.work_done_progress.tokens.get(self._token)
        if future is not None and task is not None:

            def cancelled(f: Future[Any]) -> None:
                if f.cancelled() and not task.done():
                    log.info("refactor cancelled by the user")
                    task.cancel()

            future.add_done_callback(cancelled)

    def report(self, text: str) -> None:
        """Show the tail of the streamed answer (throttled)."""
        if not self._active or self._token is None:
            return
        now = time.monotonic()
        if now - self._last < self.INTERVAL_S:
            return
        self._last = now
        lines = [line for line in text.splitlines() if line.strip()]
        tail = lines[-1].strip() if lines else ""
        message = f"{len(text)} characters received" + (f": {tail[:60]}" if tail else "")
        self._server.work_done_progress.report(
            self._token, types.WorkDoneProgressReport(message=message)
        )

    def end(self, message: str) -> None:
        if not self._active or self._token is None:
            return
        self._active = False
        server = self._server
        server.work_done_progress.end(self._token, types.WorkDoneProgressEnd(message=message))
        server.work_done_progress.tokens.pop(self._token, None)


def link_request_cancellation(server: MistralLanguageServer, task: asyncio.Task[Any]) -> None:
    """Make `$/cancelRequest` of the current request cancel `task` (and so the HTTP stream).

    pygls runs workspace/executeCommand as a generator whose outer future is what a
    cancelRequest cancels; the coroutine running the command would otherwise go on.
    """
    protocol = server.protocol
    msg_id = protocol.msg_id
    futures = getattr(protocol, "_request_futures", None)
    outer = futures.get(msg_id) if isinstance(futures, dict) and msg_id is not None else None
    if outer is None or outer is task:
        return

    def cancelled(f: Any) -> None:
        if f.cancelled() and not task.done():
            task.cancel()

    outer.add_done_callback(cancelled)


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
    operations = capability(server, "workspace.workspace_edit.resource_operations", None) or []
    return any(str(getattr(op, "value", op)) == "create" for op in operations)


def workspace_edit(
    server: MistralLanguageServer, snapshot: Document, result: RefactorResult
) -> types.WorkspaceEdit:
    """The result as a WorkspaceEdit: versioned documentChanges when the client takes them
    (so it refuses an edit meant for an older version itself), else plain `changes`."""
    session = server.session
    encoding = session.documents.encoding
    versioned = supports(server, "workspace.workspace_edit.document_changes")
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
