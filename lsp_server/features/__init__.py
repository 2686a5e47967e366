"""LSP features: each module registers its handlers on the server and speaks lsprotocol."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lsp_server.server import MistralLanguageServer


def register_all(server: MistralLanguageServer) -> None:
    from lsp_server.features import (
        assistant_commands,
        completion,
        inline_completion,
        lifecycle,
        symbols,
        sync,
    )

    for module in (lifecycle, sync, symbols, inline_completion, completion, assistant_commands):
        module.register(server)

    from lsp_server.features import code_actions, commands

    for module in (code_actions, commands):
        module.register(server)
