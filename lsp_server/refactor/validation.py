"""Is the edited file still a program? Tree-sitter for every language, CPython too for Python.

Tree-sitter recovers from errors and accepts some Python that CPython rejects (an indented
line after a dedent, `return` outside a function), so Python answers also go through
`compile()`. A file that was already broken may stay broken, never get worse.
"""

from __future__ import annotations

import ast
import textwrap
import warnings

from lsp_server.refactor.syntax import error_count, introduced_errors


def python_error(text: str) -> str | None:
    """CPython's complaint about a whole file ("line 4: unexpected indent"), or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<answer>", "exec", dont_inherit=True)
    except SyntaxError as exc:  # IndentationError and TabError included
        return f"line {exc.lineno}: {exc.msg}"
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
        return str(exc) or type(exc).__name__
    return None


def syntax_problems(before: str, after: str, language_id: str) -> list[str]:
    """What the edit broke: new tree-sitter errors, or a Python file CPython no longer takes."""
    problems = introduced_errors(before, after, language_id)
    if problems or language_id != "python":
        return problems
    error = python_error(after)
    if error is not None and python_error(before) is None:
        return [f"{error} (Python rejects the result)"]
    return []


def parses_cleanly(code: str, language_id: str) -> bool:
    """Whether a fragment reads as code of the language with no error at all (for answers
    without a fence: prose does not parse)."""
    if language_id == "python":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(textwrap.dedent(code))
        except (SyntaxError, ValueError, RecursionError):
            return False
    count = error_count(textwrap.dedent(code), language_id)
    return count == 0 if count is not None else language_id == "python"


def fragment_errors(code: str, language_id: str) -> int | None:
    """Tree-sitter's error count for a dedented fragment (None: no grammar here)."""
    return error_count(textwrap.dedent(code), language_id)
