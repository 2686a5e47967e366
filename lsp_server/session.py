"""One editor window's state, free of LSP types: roots, settings, documents, indexes, endpoint.

The server and the CLI both drive a Session, so a completion computed from the command
line goes through exactly the code an editor's request does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lsp_server.config import ConfigProblem, LoadedConfig, load_settings
from lsp_server.config.settings import Settings
from lsp_server.context.tokens import exact_tokenizer_enabled, use_exact_tokenizer, warm_up
from lsp_server.documents import DocumentEvent, DocumentEvents, DocumentStore, uri_excluded
from lsp_server.endpoint import EndpointService, EndpointStatus
from lsp_server.index.model import IndexStats
from lsp_server.index.repo_index import IndexOptions, RepoIndex
from lsp_server.status import Status

log = logging.getLogger(__name__)


class Session:
    def __init__(
        self,
        on_status: Callable[[Status], None] | None = None,
        config_loader: Callable[..., LoadedConfig] = load_settings,
        *,
        serving: bool = False,
    ) -> None:
        """`serving`: a language server's session (long-lived), not a command's."""
        self._on_status = on_status or (lambda status: None)
        self._serving = serving
        self._load = config_loader
        self.roots: list[Path] = []
        self.editor_settings: dict[str, Any] = {}
        self.config: LoadedConfig = config_loader([])
        self.documents = DocumentStore()
        self.events = DocumentEvents()
        self.indexes: dict[Path, RepoIndex] = {}
        self.endpoint: EndpointService | None = None
        self._indexing = False
        self._index_message = ""
        self._index_lock = threading.Lock()
        self._status: Status | None = None
        # Open documents too large to re-parse on every keystroke.
        self._oversized: set[str] = set()
        self._configured = False

    @property
    def settings(self) -> Settings:
        return self.config.settings

    # -- configuration -------------------------------------------------------------

    def configure(
        self, roots: Sequence[Path] | None = None, editor: Mapping[str, Any] | None = None
    ) -> list[ConfigProblem]:
        """(Re)load settings for these roots and editor settings; returns what was wrong."""
        if roots is not None:
            self.roots = [Path(r) for r in dict.fromkeys(roots)]
        if editor is not None:
            self.editor_settings = dict(editor)
        old_index_options = self._index_options()
        was_exact = exact_tokenizer_enabled()
        self.config = self._load(self.roots, self.editor_settings)
        self._apply_tokenizer(was_exact)
        if self.endpoint is None:
            self.endpoint = EndpointService(self.settings, self.roots, self._endpoint_changed)
        else:
            self.endpoint.reconfigure(self.settings, self.roots)
        if self._index_options() != old_index_options or set(self.indexes) != set(self.roots):
            self._reset_indexes()
        self.publish_status()
        return list(self.config.problems)

    def _apply_tokenizer(self, was_exact: bool) -> None:
        """`completion.exact_tokenizer`: the first configuration only chooses (the server loads
        the tokenizer in the background after `initialize`; the CLI when first counting); a
        later switch on loads it in the background at once, so no keystroke waits for it."""
        exact = self.settings.completion.exact_tokenizer
        use_exact_tokenizer(exact)
        if exact and not was_exact and self._configured:
            warm_up()
        self._configured = True

    def _index_options(self) -> IndexOptions:
        s = self.settings
        return IndexOptions(
            max_file_kb=s.index.max_file_kb,
            exclude=s.index.exclude_layers,
            privacy_exclude=s.privacy.exclude_layers,
            worker_nice=10,  # cold indexing must never slow down typing
            # the index's secret verdicts count only under the rules the endpoint scans with
            secret_rules=s.privacy.secret_rules or "",
            definitions_in_memory=self._serving,
        )

    def _reset_indexes(self) -> None:
        with self._index_lock:
            for index in self.indexes.values():
                index.close()
            self.indexes = {}
            if self.settings.index.enabled:
                options = self._index_options()
                self.indexes = {root: RepoIndex(root, options) for root in self.roots}
        for doc in self.documents.all():
            if doc.path is not None and (open_in := self.index_for(doc.path)) is not None:
                open_in.update_text(doc.path, doc.text)

    # -- indexing ------------------------------------------------------------------

    def mark_indexing(self) -> None:
        """Say "indexing" from the moment a build is due, not when a worker picks it up."""
        if self.indexes:
            self._indexing = True
            self.publish_status()

    def build_indexes(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> list[IndexStats]:
        """Index every root (blocking: run it in a worker thread)."""
        stats: list[IndexStats] = []
        self.mark_indexing()
        try:
            for index in list(self.indexes.values()):
                stats.append(index.build(progress=progress, cancel=cancel))
                if cancel is not None and cancel.is_set():
                    break
        finally:
            self._indexing = False
            files = sum(s.files for s in stats)
            self._index_message = f"indexed {files} files" if stats else ""
            self.publish_status()
        return stats

    @property
    def indexing(self) -> bool:
        return self._indexing

    def index_for(self, path: Path) -> RepoIndex | None:
        """The index of the innermost root containing `path`."""
        best: RepoIndex | None = None
        best_len = -1
        for root, index in list(self.indexes.items()):
            if index.relative(path) is not None and len(str(root)) > best_len:
                best, best_len = index, len(str(root))
        return best

    def index_document(self, event: DocumentEvent) -> None:
        """Keep the index in step with open documents (a DocumentEvents subscriber)."""
        doc = event.document
        if doc is None or doc.path is None or (index := self.index_for(doc.path)) is None:
            return
        if event.kind == "close":
            self._oversized.discard(event.uri)
            index.close_text(doc.path)
        elif event.kind == "save":
            index.refresh_path(doc.path)
        elif len(doc.text) > self.settings.index.max_file_kb * 1024:
            # The index skips such files on disk too; parsing one here would hold the event
            # loop for seconds on every keystroke (a 20 MB document: ~3 s each).
            if event.uri not in self._oversized:
                self._oversized.add(event.uri)
                log.info("not indexing %s while open: larger than index.max_file_kb", doc.path)
                index.close_text(doc.path)
        else:
            self._oversized.discard(event.uri)
            index.update_text(doc.path, doc.text)

    def is_excluded(self, path: Path | None, uri: str | None = None) -> bool:
        """Whether a file's text may never be sent. With the document's `uri`, a diff or
        history view is judged by the working-tree file it shows and an unknown scheme is
        refused (`documents.uri_paths`); a path alone, or none, is judged as it is."""
        endpoint = self.endpoint
        if uri is not None:
            return uri_excluded(uri, path, endpoint.is_excluded if endpoint else _never)
        if path is None or endpoint is None:
            return False
        return endpoint.is_excluded(path)

    # -- status --------------------------------------------------------------------

    def _endpoint_changed(self, _status: EndpointStatus) -> None:
        self.publish_status()

    def current_status(self) -> Status:
        s = self.settings
        endpoint = self.endpoint.status if self.endpoint else None
        origin = endpoint.origin if endpoint else ""
        model = s.models.completion
        if not s.completion.enabled and not s.refactor.enabled:
            return Status("disabled", "completions and refactors are turned off", origin, model)
        if endpoint is not None and endpoint.state == "error":
            return Status("error", endpoint.message, origin, model)
        if self._indexing:
            return Status("indexing", "indexing the workspace", origin, model)
        if endpoint is None or endpoint.state == "offline":
            reason = endpoint.message if endpoint else "no endpoint configured"
            return Status(
                "offline", f"{reason}; completions come from the index only", origin, model
            )
        message = "ready" + (f" ({self._index_message})" if self._index_message else "")
        return Status("ready", message, origin, model)

    def publish_status(self) -> None:
        status = self.current_status()
        if status != self._status:
            self._status = status
            self._on_status(status)

    async def aclose(self) -> None:
        if self.endpoint is not None:
            await self.endpoint.aclose()
        for index in self.indexes.values():
            index.close()


def _never(_path: Path) -> bool:
    return False
