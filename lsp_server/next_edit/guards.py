"""Suggestions never shown: those that undo the user's last step, touch what is being typed,
or leave the file with more syntax errors than it has (the refactors' validation)."""

from __future__ import annotations

from lsp_server.next_edit.edits import Edit
from lsp_server.next_edit.history import EditHistory
from lsp_server.refactor.validation import syntax_problems


def undoes_last_step(edit: Edit, history: EditHistory) -> bool:
    """Whether applying `edit` brings back the text as it was before the last step."""
    before = history.before_last()
    return before is not None and edit.apply(history.text) == before


def touches_typing(edit: Edit, history: EditHistory) -> bool:
    """Whether `edit` changes characters of the last step (what the user is typing).

    Appending right after it or inserting right before it is allowed: that continues the
    step rather than rewriting it.
    """
    last = history.last
    if last is None:
        return False
    lo, hi = last.change.start, last.change.end_after
    if edit.start == edit.end:
        return lo < edit.start < hi
    return edit.start < hi and edit.end > lo if hi > lo else edit.start < lo < edit.end


def breaks_syntax(edits: list[Edit], text: str, language_id: str) -> bool:
    after = text
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        after = edit.apply(after)
    return bool(syntax_problems(text, after, language_id))


def keep(edits: list[Edit], history: EditHistory, language_id: str) -> list[Edit]:
    """The edits worth proposing; empty when the prediction as a whole breaks the syntax."""
    kept = [e for e in edits if not undoes_last_step(e, history) and not touches_typing(e, history)]
    if kept and breaks_syntax(kept, history.text, language_id):
        return []
    return kept
