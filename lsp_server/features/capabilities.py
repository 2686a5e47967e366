"""Asking what the client supports, by dotted path into its capabilities."""

from __future__ import annotations

from typing import Any

from pygls.lsp.server import LanguageServer


def capability(server: LanguageServer, path: str, default: Any = None) -> Any:
    node: Any = server.client_capabilities
    for part in path.split("."):
        node = getattr(node, part, None)
        if node is None:
            return default
    return node


def supports(server: LanguageServer, path: str) -> bool:
    return bool(capability(server, path, False))
