"""Packing: nothing twice in one prompt, a total order; test files only for tests."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from lsp_server.context import ContextBuilder
from lsp_server.context.pack import Piece, pack
from lsp_server.context.render import render_snippets
from lsp_server.context.testfiles import is_test_path
from lsp_server.endpoint.secrets import current_scanner, forget_learned
from lsp_server.index.repo_index import IndexOptions, RepoIndex


def piece(path: str, line: int, text: str, score: float = 1.0, **kw: object) -> Piece:
    return Piece((path, line), path, line, score, "definition", functools.partial(str, text), **kw)  # type: ignore[arg-type]


def prompt(pieces: list[Piece], budget: int = 2000) -> str:
    return render_snippets(pack(pieces, budget, "#").snippets, "#")


def test_the_same_header_twice_in_a_file_is_shown_once() -> None:
    pieces = [piece("a.py", 1, "def noop(): ...\n"), piece("a.py", 9, "def noop(): ...\n")]
    assert prompt(pieces).count("def noop()") == 1
    # control: the same header in two files is two definitions
    other = [piece("a.py", 1, "def noop(): ...\n"), piece("b.py", 1, "def noop(): ...\n")]
    assert prompt(other).count("def noop()") == 2


def test_the_same_member_header_in_two_classes_is_kept() -> None:
    def member(container: str, line: int) -> Piece:
        return piece(
            "a.py",
            line,
            "    def close(self): ...\n",
            group=("a.py", container),
            group_open=lambda: (f"class {container}:\n", ""),
        )

    text = prompt([member("A", 2), member("B", 8)])
    assert text.count("def close(self)") == 2
    assert "class A:" in text and "class B:" in text
    # control: twice in the same class it is the same line
    assert prompt([member("A", 2), member("A", 5)]).count("def close(self)") == 1


def test_a_skeleton_replaces_the_pieces_whose_headers_it_lists() -> None:
    skeleton = "class Outer:\n    class Inner: ...\n    def run(self): ...\n"
    inner = piece("a.py", 2, "class Inner:\n    ...\n", score=2.0, scope="Outer")
    outer = Piece(
        ("a.py", 1),
        "a.py",
        1,
        1.0,
        "skeleton",
        functools.partial(str, skeleton),
        compact=functools.partial(str, "class Outer: ...\n"),
        covers=("a.py", "Outer"),
    )
    text = prompt([inner, outer])
    assert text.count("class Inner") == 1 and "def run(self)" in text
    # control: without the skeleton the nested class is shown on its own
    assert prompt([inner]).count("class Inner") == 1


def test_a_window_of_similar_code_replaces_a_header_it_holds() -> None:
    window = Piece(
        ("a.py", -1),
        "a.py",
        0,
        0.5,
        "similar",
        functools.partial(str, "def f(x):\n    return g(x)\n"),
    )
    text = prompt([piece("a.py", 0, "def f(x): ...\n", score=2.0), window])
    assert text.count("def f(x)") == 1 and "return g(x)" in text


def test_a_second_piece_that_reads_the_same_is_left_out() -> None:
    # two nested helpers of different functions, `def post(tlist): ...` each
    twins = [
        piece("a.py", 3, "def post(tlist): ...\n", scope="group_a"),
        piece("a.py", 9, "def post(tlist): ...\n", scope="group_b"),
    ]
    assert prompt(twins).count("def post(tlist)") == 1
    # control: the same text in two files is kept in both
    apart = [twins[0], piece("b.py", 9, "def post(tlist): ...\n", scope="group_b")]
    assert prompt(apart).count("def post(tlist)") == 2


def test_a_nested_class_shown_with_its_members_is_not_listed_by_its_outer_skeleton() -> None:
    skeleton = "class Queue {\n  void add() { … }\n  static class Mode extends Base {\n}\n"
    outer = Piece(
        ("Q.java", 1),
        "Q.java",
        1,
        3.0,
        "skeleton",
        functools.partial(str, skeleton),
        covers=("Q.java", "Queue"),
    )
    field = piece(
        "Q.java",
        5,
        "  private final Engine engine;\n",
        group=("Q.java", "Mode"),
        group_open=lambda: ("static class Mode extends Base {\n", "}\n"),
    )
    text = prompt([outer, field])
    assert text.count("class Mode extends Base") == 1 and "private final Engine" in text
    assert "void add()" in text
    # control: alone, the skeleton lists the nested class
    assert prompt([outer]).count("class Mode extends Base") == 1


def test_ties_are_broken_by_place_not_by_arrival() -> None:
    pieces = [piece(f"m{i}.py", 0, f"def f{i}(): ...\n") for i in range(6)]
    small = 40  # room for a few of them only
    assert prompt(pieces, small) == prompt(list(reversed(pieces)), small)


@pytest.mark.parametrize(
    ("path", "test"),
    [
        ("tests/helpers.py", True),
        ("pkg/test_models.py", True),
        ("pkg/models_test.py", True),
        ("pkg/conftest.py", True),
        ("server/handler_test.go", True),
        ("src/app.spec.ts", True),
        ("src/app.test.js", True),
        ("src/__tests__/app.js", True),
        ("src/test/java/a/AppTest.java", True),
        ("src/multi/tests.rs", True),
        ("alembic/testing/fixtures.py", True),
        ("Sources/Tests/ParserTests.swift", True),
        ("spec/models/user_spec.rb", True),
        ("src/org/a/TestParser.java", True),
        ("src/org/a/Testament.java", False),
        ("src/tests_util.rs", False),
        ("pkg/models.py", False),
        ("pkg/testing_utils.py", False),
        ("src/contest.ts", False),
        ("server/handler.go", False),
        ("src/main/java/a/App.java", False),
    ],
)
def test_test_paths(path: str, test: bool) -> None:
    assert is_test_path(path) is test


# -- through the builder: test files, and secrets of the file a piece comes from -----


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RepoIndex]:
    root = tmp_path_factory.mktemp("pack-repo")
    (root / "pkg").mkdir()
    (root / "tests").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "keys.py").write_text(
        'DB_PASSWORD = "Zq8rT2mWx9LpV4bN7cK3"\n\n\n'
        'def connect(host, fallback="Zq8rT2mWx9LpV4bN7cK3"):\n    return host\n'
    )
    (root / "tests" / "fakes.py").write_text("def make_fake_connection(host):\n    return host\n")
    index = RepoIndex(root, IndexOptions(cache_dir=tmp_path_factory.mktemp("pack-cache")))
    index.build()
    return root, index


def build(root: Path, index: RepoIndex, rel: str, text: str) -> str:
    builder = ContextBuilder(index, is_excluded=lambda _p: False)
    context = builder.build(
        path=root / rel, language_id="python", text=text, offset=len(text), budget_tokens=600
    )
    return context.prefix


def test_test_files_only_for_a_test(repo: tuple[Path, RepoIndex]) -> None:
    root, index = repo
    text = "from tests.fakes import make_fake_connection\n\nconn = make_fake_connection("
    assert "def make_fake_connection" not in build(root, index, "pkg/app.py", text)
    # control: the same lines in a test file bring the fake
    assert "def make_fake_connection" in build(root, index, "tests/test_app.py", text)


def test_a_chosen_piece_carries_no_secret_of_its_file(repo: tuple[Path, RepoIndex]) -> None:
    root, index = repo
    forget_learned()
    prefix = build(root, index, "pkg/app.py", "from pkg.keys import connect\n\nconn = ")
    assert "def connect(host," in prefix
    assert "Zq8rT2mWx9LpV4bN7cK3" not in prefix
    # control: the header alone is not recognised as a secret; only the whole file says so
    forget_learned()
    header = 'def connect(host, fallback="Zq8rT2mWx9LpV4bN7cK3"):'
    assert "Zq8rT2mWx9LpV4bN7cK3" in current_scanner().scan(header).text
