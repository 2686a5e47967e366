"""From a model's code to an edit the action may make: reconciled with the file, still a
program, and within the action's promise. Shared by the service and `bench/apply.py`."""

from __future__ import annotations

from lsp_server.refactor.guards import promise_problems
from lsp_server.refactor.reconcile import Reconciled, Unreconcilable, reconcile
from lsp_server.refactor.validation import syntax_problems


def fit_code(
    code: str,
    text: str,
    start: int,
    end: int,
    language_id: str,
    action: str,
    allowed_lines: frozenset[int] = frozenset(),
) -> tuple[Reconciled | None, list[str]]:
    """The edit that puts `code` in place of text[start:end], or the problems that refuse it.

    When the likeliest reading of the answer breaks the syntax, the next readings (which
    trivial lines such as `}` are context) are tried before refusing.
    """
    try:
        result = reconcile(text, start, end, code)
    except Unreconcilable as exc:
        return None, [exc.reason]
    errors = syntax_problems(text, result.new_text, language_id)
    for reading in (1, 2):
        if not errors:
            break
        try:
            other = reconcile(text, start, end, code, reading)
        except Unreconcilable:
            break
        if not syntax_problems(text, other.new_text, language_id):
            result, errors = other, []
    if errors:
        return None, [f"syntax error at {e}" for e in errors]
    broken = promise_problems(action, text, result.new_text, language_id, allowed_lines)
    if broken:
        return None, broken
    return result, []
