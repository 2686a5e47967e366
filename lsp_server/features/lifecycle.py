"""initialize / initialized / configuration / workspace folders / watched files / shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from lsp_server.config import ConfigProblem
from lsp_server.context import warm_up
from lsp_server.documents import uri_to_path
from lsp_server.features.capabilities import supports
from lsp_server.features.convert import encoding_name
from lsp_server.features.indexing import IndexRunner
from lsp_server.features.log import LspLogHandler
from lsp_server.index.ignore_watch import CONFIG_FILE, IgnoreFileWatcher, is_ignore_file
from lsp_server.logs import LOGGER_NAME, add_handler
from lsp_server.status import Status

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)
CONFIG_SECTION = "mistral"
WATCH_GLOBS = ("**/*",)
SHUTDOWN_GRACE_S = 3.0


def _roots(params: types.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    if not uris and params.root_path:
        return [Path(params.root_path)]
    return [p for p in (uri_to_path(u) for u in uris) if p is not None]


def _section(settings: object) -> dict[str, Any] | None:
    """Our settings from what an editor sent: `{"mistral": {...}}` or the section itself."""
    if isinstance(settings, dict) and isinstance(settings.get(CONFIG_SECTION), dict):
        return settings[CONFIG_SECTION]
    return settings if isinstance(settings, dict) and settings else None


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("endpoint warm-up failed: %s", task.exception())


def report_problems(server: MistralLanguageServer, problems: Sequence[ConfigProblem]) -> None:
    """Every configuration problem goes to the log and, once, to the user."""
    for problem in problems:
        log.warning("%s", problem)
        level = (
            types.MessageType.Error if problem.severity == "error" else types.MessageType.Warning
        )
        server.show(str(problem), level)


async def pull_configuration(server: MistralLanguageServer) -> dict[str, Any] | None:
    """The editor's `mistral` section, when the client answers workspace/configuration."""
    if not supports(server, "workspace.configuration"):
        return None
    try:
        items = [types.ConfigurationItem(section=CONFIG_SECTION)]
        result = await asyncio.wait_for(
            server.workspace_configuration_async(types.ConfigurationParams(items=items)), 5
        )
    except Exception as exc:  # noqa: BLE001 - a silent client keeps the settings we have
        log.info("workspace/configuration pull failed: %s", exc)
        return None
    section = result[0] if result else None
    return section if isinstance(section, dict) else None


def register(server: MistralLanguageServer) -> None:
    session = server.session
    indexer = IndexRunner(server)
    pending: list[ConfigProblem] = []
    init_options: dict[str, Any] = {}

    def reconfigure(roots: list[Path] | None = None, editor: dict[str, Any] | None = None) -> None:
        before = dict(session.indexes)
        seen = {str(p) for p in session.config.problems}
        problems = session.configure(roots, editor)
        report_problems(server, [p for p in problems if str(p) not in seen])
        if session.indexes != before:
            indexer.start()

    def ignore_files_changed(paths: Sequence[Path], on_disk: bool = True) -> None:
        """Exclusions follow ignore files before the next request is served: handlers run in
        order on the event loop, so the request after this event already sees the new rules.
        Only a change on disk reloads the configuration and re-walks the index."""
        if session.endpoint is not None:
            session.endpoint.invalidate_exclusions()
        if not on_disk:
            return
        log.info("ignore files changed: %s", ", ".join(str(p) for p in paths))
        if any(p.name == CONFIG_FILE for p in paths):
            reconfigure()  # a new ContentExclusion with the workspace file's privacy.exclude
        indexer.start()

    def start_ignore_watcher(ls: MistralLanguageServer) -> None:
        """The fallback when the client watches no files: poll the ignore files themselves."""
        loop = ls.loop

        def changed(paths: list[Path]) -> None:
            loop.call_soon_threadsafe(ignore_files_changed, paths)

        watcher = IgnoreFileWatcher(lambda: list(session.roots), changed)
        watcher.start()
        ls.ignore_watcher = watcher  # type: ignore[attr-defined]
        log.info("the client watches no files: polling the ignore files")

    @server.feature(types.INITIALIZE)
    def initialize(ls: MistralLanguageServer, params: types.InitializeParams) -> None:
        session.documents.encoding = encoding_name(ls.workspace.position_encoding)
        options = params.initialization_options
        init_options.update(_section(options) or {})
        pending.extend(session.configure(_roots(params), init_options))
        warm_up()  # Mistral's tokenizer loads in a background thread; no request waits for it
        log.info("initialize: roots=%s encoding=%s", session.roots, session.documents.encoding)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: MistralLanguageServer, params: types.InitializedParams) -> None:
        ls.loop = asyncio.get_running_loop()
        add_handler(logging.getLogger(LOGGER_NAME), LspLogHandler(ls, ls.loop))
        ls.notify_status(Status("starting", "starting", "", session.settings.models.completion))
        session.mark_indexing()  # the first build is due: never "ready" before it has run
        pulled = await pull_configuration(ls)
        if pulled is not None:
            session.configure(editor={**init_options, **pulled})
        report_problems(ls, session.config.problems if pulled is not None else pending)
        pending.clear()
        if not await register_file_watchers(ls):
            start_ignore_watcher(ls)
        if session.endpoint is not None:
            warming = asyncio.ensure_future(session.endpoint.warm_up())
            warming.add_done_callback(_log_failure)
        indexer.start()
        ls.notify_status()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: MistralLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        editor = _section(params.settings) or await pull_configuration(ls)
        if editor is not None:
            reconfigure(editor={**init_options, **editor})

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_folders(
        ls: MistralLanguageServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        removed = {uri_to_path(f.uri) for f in params.event.removed}
        added = [p for p in (uri_to_path(f.uri) for f in params.event.added) if p is not None]
        roots = [r for r in session.roots if r not in removed] + added
        reconfigure(roots=roots)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched(
        ls: MistralLanguageServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
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
            ignore_files_changed(rules_changed)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: MistralLanguageServer, params: None) -> None:
        indexer.cancel()
        if (watcher := getattr(ls, "ignore_watcher", None)) is not None:
            watcher.stop()
        try:
            await asyncio.wait_for(session.aclose(), SHUTDOWN_GRACE_S)
        except TimeoutError:
            log.warning("shutdown: closing the session took over %ss", SHUTDOWN_GRACE_S)

    @server.feature(types.EXIT)
    def exit_(ls: MistralLanguageServer, params: None) -> None:
        """pygls exits from the main thread; a worker still busy must not keep us alive."""
        code = 0 if ls.protocol._shutdown else 1
        timer = threading.Timer(SHUTDOWN_GRACE_S, os._exit, args=(code,))
        timer.daemon = True
        timer.start()

    server.indexer = indexer  # type: ignore[attr-defined]
    server.ignore_files_changed = ignore_files_changed  # type: ignore[attr-defined]


async def register_file_watchers(server: MistralLanguageServer) -> bool:
    """Watch the workspace on disk when the client can register watchers dynamically;
    False when it cannot (Neovim on Linux by default) or refused."""
    if not supports(server, "workspace.did_change_watched_files.dynamic_registration"):
        return False
    watchers = [types.FileSystemWatcher(glob_pattern=glob) for glob in WATCH_GLOBS]
    registration = types.Registration(
        id="mistral-watched-files",
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
    )
    try:
        await server.client_register_capability_async(
            types.RegistrationParams(registrations=[registration])
        )
    except Exception as exc:  # noqa: BLE001
        log.info("could not register file watchers: %s", exc)
        return False
    return True
