"""Refactors as a service: prompts, extraction, validation and minimal edits (no LSP here)."""

from lsp_server.refactor.actions import (
    ACTIONS,
    KIND_QUICKFIX,
    KIND_REWRITE,
    KIND_SOURCE,
    ActionSpec,
    kind_matches,
)
from lsp_server.refactor.service import (
    DiagnosticInfo,
    FileChange,
    InvalidAnswer,
    NotAllowed,
    RefactorError,
    RefactorRequest,
    RefactorResult,
    RefactorService,
    SelectionTooLarge,
)
from lsp_server.refactor.textops import TextEdit, apply_edits, unified_diff

__all__ = [
    "ACTIONS",
    "KIND_QUICKFIX",
    "KIND_REWRITE",
    "KIND_SOURCE",
    "ActionSpec",
    "DiagnosticInfo",
    "FileChange",
    "InvalidAnswer",
    "NotAllowed",
    "RefactorError",
    "RefactorRequest",
    "RefactorResult",
    "RefactorService",
    "SelectionTooLarge",
    "TextEdit",
    "apply_edits",
    "kind_matches",
    "unified_diff",
]
