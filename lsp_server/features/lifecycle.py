"""initialize / initialized / shutdown / exit."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from lsp_server.config import ConfigProblem
from lsp_server.context import warm_up
from lsp_server.documents import uri_to_path
from lsp_server.features.base import Feature, handler
from lsp_server.features.convert import encoding_name
from lsp_server.features.log import LspLogHandler
from lsp_server.features.workspace import WorkspaceFeature, editor_section
from lsp_server.logs import LOGGER_NAME, add_handler
from lsp_server.pygls_adapter import shutdown_requested
from lsp_server.status import Status

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_S = 3.0


def _roots(params: types.InitializeParams) -> list[Path]:
    uris = [f.uri for f in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    if not uris and params.root_path:
        return [Path(params.root_path)]
    return [p for p in (uri_to_path(u) for u in uris) if p is not None]


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("endpoint warm-up failed: %s", task.exception())


class LifecycleFeature(Feature):
    def __init__(self, server: MistralLanguageServer, workspace: WorkspaceFeature) -> None:
        super().__init__(server)
        self.workspace = workspace
        #: Problems found at initialize, shown once the client can take messages.
        self.pending: list[ConfigProblem] = []

    @handler(types.INITIALIZE)
    def initialize(self, params: types.InitializeParams) -> None:
        session = self.session
        session.documents.encoding = encoding_name(self.server.workspace.position_encoding)
        self.workspace.init_options.update(editor_section(params.initialization_options) or {})
        self.pending.extend(session.configure(_roots(params), self.workspace.init_options))
        warm_up()  # Mistral's tokenizer loads in a background thread; no request waits for it
        log.info("initialize: roots=%s encoding=%s", session.roots, session.documents.encoding)

    @handler(types.INITIALIZED)
    async def initialized(self, params: types.InitializedParams) -> None:
        server, session = self.server, self.session
        server.loop = asyncio.get_running_loop()
        add_handler(logging.getLogger(LOGGER_NAME), LspLogHandler(server, server.loop))
        server.notify_status(Status("starting", "starting", "", session.settings.models.completion))
        session.mark_indexing()  # the first build is due: never "ready" before it has run
        pulled = await self.workspace.pull_configuration()
        if pulled is not None:
            session.configure(editor={**self.workspace.init_options, **pulled})
        self.workspace.report_problems(
            session.config.problems if pulled is not None else self.pending
        )
        self.pending.clear()
        await self.workspace.watch_files()
        if session.endpoint is not None:
            warming = asyncio.ensure_future(session.endpoint.warm_up())
            warming.add_done_callback(_log_failure)
        server.indexer.start()
        server.notify_status()

    @handler(types.SHUTDOWN)
    async def shutdown(self, params: None) -> None:
        self.server.indexer.cancel()
        self.workspace.stop_watching()
        try:
            await asyncio.wait_for(self.session.aclose(), SHUTDOWN_GRACE_S)
        except TimeoutError:
            log.warning("shutdown: closing the session took over %ss", SHUTDOWN_GRACE_S)

    @handler(types.EXIT)
    def exit_(self, params: None) -> None:
        """pygls exits from the main thread; a worker still busy must not keep us alive."""
        code = 0 if shutdown_requested(self.server) else 1
        timer = threading.Timer(SHUTDOWN_GRACE_S, os._exit, args=(code,))
        timer.daemon = True
        timer.start()
