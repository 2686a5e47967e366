"""Each action keeps its promise, judged on the parsed code."""

from __future__ import annotations

from lsp_server.refactor.guards import promise_problems

PY = "def add(a, b):\n    return a + b\n"
TS = "function add(a, b) {\n  return a + b;\n}\n"
NONE: frozenset[int] = frozenset()


def test_docstring_may_only_add_documentation() -> None:
    documented = 'def add(a, b):\n    """Add two numbers."""\n    return a + b\n'
    assert promise_problems("docstring", PY, documented, "python", NONE) == []
    stub = 'class Adder:\n    """Adds."""\n'
    (problem,) = promise_problems("docstring", PY, stub, "python", NONE)
    assert "not only documentation" in problem and "return a + b" in problem
    jsdoc = "/** Adds. */\n" + TS
    assert promise_problems("docstring", TS, jsdoc, "typescript", NONE) == []
    assert promise_problems("docstring", TS, TS.replace("+", "-"), "typescript", NONE)


def test_types_may_only_add_annotations() -> None:
    typed = "def add(a: int, b: int) -> int:\n    return a + b\n"
    assert promise_problems("types", PY, typed, "python", NONE) == []
    changed = "def add(a: int, b: int) -> int:\n    return a - b\n"
    assert "type annotations" in promise_problems("types", PY, changed, "python", NONE)[0]
    ts_typed = "function add(a: number, b: number): number {\n  return a + b;\n}\n"
    assert promise_problems("types", TS, ts_typed, "typescript", NONE) == []
    rust = "fn f() -> i32 {\n    let x = 1;\n    x\n}\n"
    rust_typed = "fn f() -> i32 {\n    let x: i32 = 1;\n    x\n}\n"
    assert promise_problems("types", rust, rust_typed, "rust", NONE) == []
    assert promise_problems("types", rust, rust_typed.replace("x\n}", "x + 1\n}"), "rust", NONE)


def test_simplify_and_fix_keep_names_and_signatures() -> None:
    renamed = "def plus(a, b):\n    return a + b\n"
    assert "add(a, b)" in promise_problems("simplify", PY, renamed, "python", NONE)[0]
    reparam = "def add(x, y):\n    return x + y\n"
    assert "signature" in promise_problems("simplify", PY, reparam, "python", NONE)[0]
    # A Fix asked about the signature line may change it.
    assert promise_problems("fix", PY, reparam, "python", frozenset({1})) == []
    assert promise_problems("simplify", TS, TS.replace("add", "sum"), "typescript", NONE)
    # Annotations are not a signature change; adding a helper is fine.
    helper = "def _twice(x):\n    return 2 * x\n\n\n" + PY
    assert promise_problems("simplify", PY, helper, "python", NONE) == []
