"""LSP features: one class per feature, the only code (with server.py) that speaks lsprotocol.

See CONTRIBUTING.md for where a new feature goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer


def register_all(server: MistralLanguageServer) -> None:
    """Create every feature, register its handlers, and subscribe to document events in
    the order they must run: ignore rules first (the others then see the new exclusions),
    then the index, then completions."""
    from lsp_server.features.assistant_commands import AssistantCommandsFeature
    from lsp_server.features.code_actions import CodeActionsFeature
    from lsp_server.features.commands import RefactorCommandsFeature
    from lsp_server.features.completion import CompletionFeature
    from lsp_server.features.completion_events import CompletionEventsFeature
    from lsp_server.features.config_report import ConfigReportFeature
    from lsp_server.features.inline_completion import InlineCompletionFeature
    from lsp_server.features.lifecycle import LifecycleFeature
    from lsp_server.features.next_edit import NextEditFeature
    from lsp_server.features.symbols import SymbolsFeature
    from lsp_server.features.sync import SyncFeature
    from lsp_server.features.workspace import WorkspaceFeature

    workspace = WorkspaceFeature(server)
    next_edit = NextEditFeature(server)
    features = (
        LifecycleFeature(server, workspace),
        workspace,
        SyncFeature(server),
        SymbolsFeature(server),
        InlineCompletionFeature(server),
        CompletionFeature(server),
        CompletionEventsFeature(server),
        AssistantCommandsFeature(server),
        CodeActionsFeature(server),
        RefactorCommandsFeature(server),
        ConfigReportFeature(server),
        next_edit,
    )
    for feature in features:
        feature.register()
    events = server.session.events
    events.subscribe(workspace.on_document)
    events.subscribe(server.session.index_document)
    events.subscribe(server.completions.on_document)
    events.subscribe(next_edit.service.on_document)
