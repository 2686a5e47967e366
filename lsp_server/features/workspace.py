"""The workspace as the editor changes it: settings, folders, files on disk, ignore files."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability

from lsp_server.config import ConfigProblem
from lsp_server.documents import DocumentEvent, uri_to_path
from lsp_server.features.base import Feature, handler
from lsp_server.index.ignore_watch import CONFIG_FILE, IgnoreFileWatcher, is_ignore_file

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)
CONFIG_SECTION = "mistral"
WATCH_GLOBS = ("**/*",)


def editor_section(settings: object) -> dict[str, Any] | None:
    """Our settings from what an editor sent: `{"mistral": {...}}` or the section itself."""
    if isinstance(settings, dict):
        section = settings.get(CONFIG_SECTION)
        if isinstance(section, dict):
            return section
        return settings or None
    return None


class WorkspaceFeature(Feature):
    def __init__(self, server: MistralLanguageServer) -> None:
        super().__init__(server)
        #: initializationOptions: later configuration changes are merged on top of them.
        self.init_options: dict[str, Any] = {}
        self.watcher: IgnoreFileWatcher | None = None

    # -- settings ------------------------------------------------------------------

    def report_problems(self, problems: Sequence[ConfigProblem]) -> None:
        """Every configuration problem goes to the log and, once, to the user."""
        for problem in problems:
            log.warning("%s", problem)
            level = (
                types.MessageType.Error
                if problem.severity == "error"
                else types.MessageType.Warning
            )
            self.server.show(str(problem), level)

    def reconfigure(
        self, roots: list[Path] | None = None, editor: dict[str, Any] | None = None
    ) -> None:
        session = self.session
        before = dict(session.indexes)
        seen = {str(p) for p in session.config.problems}
        problems = session.configure(roots, editor)
        self.report_problems([p for p in problems if str(p) not in seen])
        if session.indexes != before:
            self.server.indexer.start()

    async def pull_configuration(self) -> dict[str, Any] | None:
        """The editor's `mistral` section, when the client answers workspace/configuration."""
        if not get_capability(self.server.client_capabilities, "workspace.configuration", False):
            return None
        try:
            items = [types.ConfigurationItem(section=CONFIG_SECTION)]
            result = await asyncio.wait_for(
                self.server.workspace_configuration_async(types.ConfigurationParams(items=items)),
                5,
            )
        except Exception as exc:  # noqa: BLE001 - a silent client keeps the settings we have
            log.info("workspace/configuration pull failed: %s", exc)
            return None
        section = result[0] if result else None
        return section if isinstance(section, dict) else None

    @handler(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(self, params: types.DidChangeConfigurationParams) -> None:
        editor = editor_section(params.settings) or await self.pull_configuration()
        if editor is not None:
            self.reconfigure(editor={**self.init_options, **editor})

    @handler(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(self, params: types.DidChangeWorkspaceFoldersParams) -> None:
        removed = {uri_to_path(f.uri) for f in params.event.removed}
        added = [p for p in (uri_to_path(f.uri) for f in params.event.added) if p is not None]
        self.reconfigure(roots=[r for r in self.session.roots if r not in removed] + added)

    # -- files on disk -------------------------------------------------------------

    @handler(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(self, params: types.DidChangeWatchedFilesParams) -> None:
        session = self.session
        rules_changed: list[Path] = []
        for event in params.changes:
            path = uri_to_path(event.uri)
            if path is None:
                continue
            if is_ignore_file(path):
                rules_changed.append(path)
            index = session.index_for(path)
            if index is None or session.documents.get(event.uri) is not None:
                continue
            if event.type == types.FileChangeType.Deleted:
                index.remove_path(path)
            else:
                index.refresh_path(path)
        if rules_changed:
            # What may be sent and what is indexed both follow the ignore files.
            self.ignore_files_changed(rules_changed)

    def ignore_files_changed(self, paths: Sequence[Path], on_disk: bool = True) -> None:
        """Exclusions follow ignore files before the next request is served: handlers run in
        order on the event loop, so the request after this event already sees the new rules.
        Only a change on disk reloads the configuration and re-walks the index."""
        if self.session.endpoint is not None:
            self.session.endpoint.invalidate_exclusions()
        if not on_disk:
            return
        log.info("ignore files changed: %s", ", ".join(str(p) for p in paths))
        if any(p.name == CONFIG_FILE for p in paths):
            self.reconfigure()  # a new ContentExclusion with the workspace file's exclusions
        self.server.indexer.start()

    def on_document(self, event: DocumentEvent) -> None:
        """An ignore file opened, edited, saved or closed in the editor: exclusions are
        refreshed now, whatever file watching the client offers (Neovim offers none)."""
        doc = event.document
        path = doc.path if doc is not None else uri_to_path(event.uri)
        if path is not None and is_ignore_file(path):
            self.ignore_files_changed([path], on_disk=event.kind == "save")

    async def watch_files(self) -> None:
        """Ask the client to watch the workspace; when it cannot (Neovim on Linux by default)
        or refuses, poll the ignore files ourselves."""
        if not await self._register_file_watchers():
            loop = asyncio.get_running_loop()

            def changed(paths: list[Path]) -> None:
                loop.call_soon_threadsafe(self.ignore_files_changed, paths)

            self.watcher = IgnoreFileWatcher(lambda: list(self.session.roots), changed)
            self.watcher.start()
            log.info("the client watches no files: polling the ignore files")

    async def _register_file_watchers(self) -> bool:
        caps = self.server.client_capabilities
        if not get_capability(
            caps, "workspace.did_change_watched_files.dynamic_registration", False
        ):
            return False
        watchers = [types.FileSystemWatcher(glob_pattern=glob) for glob in WATCH_GLOBS]
        registration = types.Registration(
            id="mistral-watched-files",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        try:
            await self.server.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            )
        except Exception as exc:  # noqa: BLE001
            log.info("could not register file watchers: %s", exc)
            return False
        return True

    def stop_watching(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
