"""The command line: `mistral-lsp serve | index | complete | refactor | doctor | config`."""

from lsp_server.cli.main import main

__all__ = ["main"]
