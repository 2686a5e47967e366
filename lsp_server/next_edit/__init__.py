"""Next-edit suggestions: edit history, prediction through the chat model, edits derived
from the rewritten window. LSP-free; the feature in `features/next_edit.py` speaks LSP."""

from lsp_server.next_edit.edits import Edit, Window, derive_edits, window_around
from lsp_server.next_edit.history import EditHistory, Step
from lsp_server.next_edit.service import NextEdits, NextEditService

__all__ = [
    "Edit",
    "EditHistory",
    "NextEditService",
    "NextEdits",
    "Step",
    "Window",
    "derive_edits",
    "window_around",
]
