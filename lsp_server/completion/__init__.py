"""Inline completions: when to ask, what to ask, and what to show (no LSP types)."""

from lsp_server.completion.engine import CompletionEngine, CompletionQuery, Suggestion

__all__ = ["CompletionEngine", "CompletionQuery", "Suggestion"]
