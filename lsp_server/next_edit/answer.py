"""The rewritten window out of a chat answer: the fenced block, cursor marker and redaction
placeholders handled as refactors handle them."""

from __future__ import annotations

from lsp_server.next_edit.prompt import CURSOR
from lsp_server.refactor.answer_blocks import extract_code
from lsp_server.refactor.redaction import restore_redactions


def window_from_answer(answer: str, language_id: str, window: str, sent: str) -> str | None:
    """The window as the model rewrote it, or None when the answer holds no usable code."""
    block = extract_code(answer, language_id, window)
    if block is None or not block.closed:
        return None
    code = block.code.replace(CURSOR, "")
    code, problems = restore_redactions(code, sent)
    if problems:
        return None
    return code
