"""Which repository files (and Rust blocks) are tests: they go into a prompt only when a
test is edited.

A test file's definitions (fixtures, fakes, helpers named like the code under test) and its
code look like good context by name, but for code that is not a test they spend the budget
on what the completion will not use (the issue's Go case: three `_test.go` files).
"""

from __future__ import annotations

import functools
import posixpath
import re

from lsp_server.index.model import Definition

#: Directories whose files are tests (any level of the path, any case: `Tests/` in Swift
#: and .NET); `testing/` holds a package's test support (`numpy/testing`, `alembic/testing`).
TEST_DIRS = frozenset(("test", "tests", "__tests__", "testdata", "testing", "spec", "specs"))
#: File name endings of tests (JavaScript/TypeScript, Go, Python, Rust, Java and others).
_TEST_SUFFIXES = tuple(
    f"{infix}{ext}"
    for infix in (".test", ".spec", "_test", "_spec", ".e2e-spec")
    for ext in (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".py", ".go", ".rs")
) + ("Test.java", "Tests.java", "IT.java", "Test.kt", "Tests.kt")
#: JUnit's other convention: `TestParser.java`.
_TEST_CLASS = re.compile(r"Test[A-Z0-9_]\w*\.(?:java|kt)$")
_TEST_NAMES = frozenset(
    ("conftest.py", "setup_tests.py", "jest.setup.js", "jest.setup.ts", "tests.rs", "test.rs")
)  # Rust: the file of `#[cfg(test)] mod tests;`


@functools.lru_cache(maxsize=16384)
def is_test_path(path: str) -> bool:
    """`tests/x.py`, `pkg/test_x.py`, `x_test.go`, `a.spec.ts`, `__tests__/a.js`,
    `src/test/java/...`, `TestParser.java`: a repository-relative posix path that holds
    tests."""
    directory, name = posixpath.split(path)
    if name.startswith("test_") and name.endswith((".py", ".pyi")):
        return True
    if name in _TEST_NAMES or name.endswith(_TEST_SUFFIXES) or _TEST_CLASS.match(name):
        return True
    return any(part.lower() in TEST_DIRS for part in directory.split("/"))


#: Rust's unit tests live in the file they test, in `#[cfg(test)] mod tests { ... }` (the
#: convention's names; the index keeps no attributes).
RUST_TEST_MODULES = frozenset(("tests", "test"))


def is_test_definition(definition: Definition) -> bool:
    """A definition of a test file, or a Rust source file's test module or a definition
    directly in it (`fn helper()` of `mod tests`: named like the code under test)."""
    if is_test_path(definition.path):
        return True
    if not definition.path.endswith(".rs"):
        return False
    if definition.kind == "module" and definition.name in RUST_TEST_MODULES:
        return True
    return definition.container in RUST_TEST_MODULES
