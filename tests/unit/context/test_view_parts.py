"""A name's definitions are fetched by part (top-level, class members, other nested ones):
each lookup gets exactly what filtering the whole answer would give, in the same order, and
rows no caller asked for never leave the index."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from lsp_server.context.view import IndexView, clear_shared_cache
from lsp_server.index.model import MEMBERS, NESTED, PARTS, TOP, Definition, Import, part_of
from lsp_server.index.pymodules import exported
from lsp_server.index.repo_index import IndexOptions, RepoIndex

SOURCES = {
    "a.py": (
        "def close():\n    pass\n\n"
        "class Reader:\n"
        "    def close(self):\n        pass\n"
        "    class close:\n        pass\n"
        "    close_count = 0\n"
    ),
    "b.py": (
        "class Writer:\n    def close(self):\n        def close():\n            pass\n"
        "close = None\n"
    ),
    "edited.py": "class Mine:\n    def close(self):\n        pass\n\ndef close():\n    pass\n",
}
SUBSETS = [frozenset(s) for s in ((TOP,), (MEMBERS,), (NESTED,), (TOP, NESTED), (MEMBERS, NESTED))]


class RecordingIndex(RepoIndex):
    """A real index that records which parts each name question asked for."""

    def __init__(self, root: Path, options: IndexOptions) -> None:
        super().__init__(root, options)
        self.asked: list[frozenset[str]] = []

    def definitions_in(self, name: str, parts: Iterable[str]) -> list[Definition]:
        self.asked.append(frozenset(parts))
        return super().definitions_in(name, parts)


class WholeAnswersIndex:
    """An index that only answers whole questions (as the `IndexReader` protocol asks)."""

    def __init__(self, index: RepoIndex) -> None:
        self.root = index.root
        self._index = index

    def definitions(self, name: str) -> list[Definition]:
        return self._index.definitions(name)

    def file_definitions(self, path: str) -> list[Definition]:
        return self._index.file_definitions(path)

    def files(self) -> list[str]:
        return self._index.files()

    def aliased_imports(self) -> list[tuple[str, Import]]:
        return self._index.aliased_imports()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[RecordingIndex]:
    root = tmp_path / "repo"
    root.mkdir()
    for name, text in SOURCES.items():
        (root / name).write_text(text)
    built = RecordingIndex(root, IndexOptions(cache_dir=tmp_path / "cache"))
    built.build()
    clear_shared_cache()
    yield built
    built.close()
    clear_shared_cache()


def _places(definitions: Iterable[Definition]) -> list[tuple[str, int, str]]:
    return [(d.path, d.line, d.kind) for d in definitions]


def test_the_parts_cover_every_definition_once(index: RecordingIndex) -> None:
    whole = index.definitions("close")
    assert {part_of(d) for d in whole} == PARTS  # the sources hold each part
    by_part = [index.definitions_in("close", [part]) for part in sorted(PARTS)]
    assert sorted(_places(d for part in by_part for d in part)) == sorted(_places(whole))


def test_each_subset_is_the_whole_answer_filtered_in_the_same_order(
    index: RecordingIndex,
) -> None:
    index.update_text(index.root / "edited.py", SOURCES["edited.py"] + "class close:\n    x = 1\n")
    whole = IndexView(index, lambda _p: True, "edited.py").definitions("close")
    for parts in SUBSETS:
        clear_shared_cache()
        view = IndexView(index, lambda _p: True, "edited.py")
        expected = [d for d in whole if part_of(d) in parts]
        assert _places(view.definitions("close", parts)) == _places(expected), parts
        # and once more from what this view holds, and the whole answer after a part
        assert _places(view.definitions("close", parts)) == _places(expected), parts
        assert _places(view.definitions("close")) == _places(whole), parts


def test_only_the_missing_parts_are_asked_for(index: RecordingIndex) -> None:
    view = IndexView(index, lambda _p: True, "edited.py")
    view.definitions("close", frozenset((TOP,)))
    view.definitions("close", frozenset((TOP, NESTED)))
    view.definitions("close")
    view.definitions("close", frozenset((MEMBERS,)))
    assert index.asked == [{TOP}, {NESTED}, {MEMBERS}]


def test_an_index_of_whole_answers_is_filtered_by_the_view(index: RecordingIndex) -> None:
    whole = IndexView(index, lambda _p: True, "edited.py").definitions("close")
    clear_shared_cache()
    index.asked.clear()
    view = IndexView(WholeAnswersIndex(index), lambda _p: True, "edited.py")  # type: ignore[arg-type]
    top = [d for d in whole if part_of(d) == TOP]
    assert _places(view.definitions("close", frozenset((TOP,)))) == _places(top)
    assert [d.name for d in view.top_level("a.py")] == ["close", "Reader"]
    assert index.asked == []


def test_top_level_definitions_of_a_file_stored_and_open(index: RecordingIndex) -> None:
    assert [(d.name, d.line) for d in index.top_level_definitions("a.py")] == [
        ("close", 0),
        ("Reader", 3),
    ]
    index.update_text(index.root / "a.py", "class Reader:\n    def close(self): ...\nX = 1\n")
    assert [d.name for d in index.top_level_definitions("a.py")] == ["Reader", "X"]
    view = IndexView(index, lambda _p: True, "edited.py")
    assert [d.name for d in view.top_level("a.py")] == ["Reader", "X"]


def test_the_imports_bound_to_one_alias(tmp_path: Path) -> None:
    root = tmp_path / "aliases"
    root.mkdir()
    (root / "ds.py").write_text("X = 1\n")
    (root / "a.py").write_text("from . import ds as d\nimport ds as dsx\nfrom ds import X as ds\n")
    (root / "b.py").write_text("import ds as d, os.path as ds\nfrom . import ds\n")
    index = RepoIndex(root, IndexOptions(cache_dir=tmp_path / "cache"))
    index.build()
    try:
        for alias in ("d", "ds", "dsx", "X", "s"):
            expected = [
                (path, imp)
                for path, imp in index.aliased_imports()
                if any(bound == alias for _name, bound in imp.aliases)
            ]
            assert index.imports_aliased_as(alias) == expected, alias
            view = IndexView(WholeAnswersIndex(index), lambda _p: True, "a.py")  # type: ignore[arg-type]
            assert view.aliased_as(alias) == expected, alias
        assert [path for path, _imp in index.imports_aliased_as("ds")] == ["a.py", "b.py"]
        assert index.imports_aliased_as("s") == []
        # one alias's imports are sought by that alias, not found by reading every alias
        plan = index._store.query(
            "EXPLAIN QUERY PLAN SELECT * FROM import_aliases WHERE alias = ?", ("ds",)
        )
        assert "import_aliases_alias (alias=?)" in str(plan)
        # a file's aliases go with its imports: rewritten, then deleted
        (root / "a.py").write_text("import ds as renamed\n")
        index.refresh_path(root / "a.py")
        assert [p for p, _imp in index.imports_aliased_as("renamed")] == ["a.py"]
        assert [p for p, _imp in index.imports_aliased_as("ds")] == ["b.py"]
        stored = "SELECT alias, line FROM import_aliases WHERE path = 'a.py'"
        assert index._store.query(stored) == [("renamed", 0)]
        (root / "b.py").unlink()
        index.remove_path(root / "b.py")
        assert index.imports_aliased_as("ds") == []
        assert index._store.query("SELECT path FROM import_aliases WHERE path = 'b.py'") == []
    finally:
        index.close()


def test_members_of_one_file_stored_and_open(index: RecordingIndex) -> None:
    for path in ("a.py", "b.py", "edited.py"):
        for container in ("Reader", "Writer", "Mine", "close"):
            expected = [d for d in index.members(container) if d.path == path]
            assert index.members_in(container, path) == expected, (container, path)
    index.update_text(index.root / "b.py", "class Reader:\n    def open(self): ...\n")
    assert [d.name for d in index.members_in("Reader", "b.py")] == ["open"]
    assert [d.name for d in index.members_in("Reader", "a.py")] == ["close", "close", "close_count"]
    view = IndexView(index, lambda _p: True, "edited.py")
    assert [d.path for d in view.members("Reader", "b.py")] == ["b.py"]


def test_the_definitions_of_a_name_in_one_file(index: RecordingIndex) -> None:
    view = IndexView(index, lambda _p: True, "edited.py")
    for path in ("a.py", "b.py", "edited.py"):
        expected = [d for d in index.file_definitions(path) if d.name == "close"]
        assert sorted(_places(view.named_in("close", path))) == sorted(_places(expected))
    assert view.named_in("Writer", "a.py") == []
    index.update_text(index.root / "b.py", "def close(): ...\n")
    view = IndexView(index, lambda _p: True, "edited.py")
    assert _places(view.named_in("close", "b.py")) == [("b.py", 0, "function")]


def test_top_level_definitions_of_many_files_at_once(index: RecordingIndex) -> None:
    index.update_text(index.root / "b.py", "class Reader:\n    def close(self): ...\nX = 1\n")
    found = index.top_level_definitions_of(["a.py", "b.py", "edited.py", "missing.py"])
    for path in ("a.py", "b.py", "edited.py", "missing.py"):
        expected = [d for d in index.file_definitions(path) if d.container is None]
        assert found[path] == expected, path
    view = IndexView(index, lambda _p: True, "edited.py")
    view.prefetch_modules(["a.py", "b.py"])
    assert [d.name for d in view.top_level("b.py")] == ["Reader", "X"]


def test_imports_of_many_files_at_once(tmp_path: Path) -> None:
    root = tmp_path / "imports"
    root.mkdir()
    (root / "a.py").write_text("import os\nfrom b import X as Y, Z\n")
    (root / "b.py").write_text("X = Z = 1\n")
    (root / "c.py").write_text("from a import Y\nimport b\n")
    index = RepoIndex(root, IndexOptions(cache_dir=tmp_path / "cache"))
    index.build()
    try:
        index.update_text(root / "c.py", "import a\n")
        found = index.imports_of_files(["a.py", "b.py", "c.py", "missing.py"])
        for path in ("a.py", "b.py", "c.py", "missing.py"):
            assert found[path] == index.imports_of(path), path
        assert [imp.module for imp in found["a.py"]] == ["os", "b"]
        view = IndexView(index, lambda _p: True, "c.py")
        view.prefetch_modules(["a.py"])
        assert view.imports_of("a.py") == found["a.py"]
    finally:
        index.close()


def test_member_counts_and_the_members_of_named_classes(index: RecordingIndex) -> None:
    """What the view says of a name's members matches the whole answer, from the index's
    own questions and from one that answers whole questions only."""
    for reader in (index, WholeAnswersIndex(index)):
        clear_shared_cache()
        view = IndexView(reader, lambda _p: True, "edited.py")  # type: ignore[arg-type]
        members = [d for d in index.definitions("close") if part_of(d) == MEMBERS]
        assert view.member_counts(["close", "nothing"]) == {"close": len(members), "nothing": 0}
        mine = [d for d in members if d.container in ("Reader", "Nobody") and d.path != "edited.py"]
        assert _places(view.members_named("close", ["Reader", "Nobody"])) == _places(mine)
        assert view.members_named("close", []) == []
    assert [d.container for d in index.members_named("close", ["Mine"])] == ["Mine"]


class FileListsIndex(RepoIndex):
    """A real index that records whose whole top-level list was read."""

    def __init__(self, root: Path, options: IndexOptions) -> None:
        super().__init__(root, options)
        self.lists_read: set[str] = set()

    def top_level_definitions(self, path: Path | str) -> list[Definition]:
        self.lists_read.add(str(path))
        return super().top_level_definitions(path)

    def top_level_definitions_of(self, paths: Iterable[str]) -> dict[str, list[Definition]]:
        paths = list(paths)
        self.lists_read.update(paths)
        return super().top_level_definitions_of(paths)


def _reexporting_package(root: Path) -> None:
    """`pkg/__init__.py` re-exports one name from each of three modules of 50 functions."""
    (root / "pkg").mkdir(parents=True)
    init = []
    for module in ("alpha", "beta", "gamma"):
        body = "".join(f"def {module}_{i}(x):\n    return x\n\n" for i in range(50))
        (root / "pkg" / f"{module}.py").write_text(body)
        init.append(f"from .{module} import {module}_7\n")
    (root / "pkg" / "__init__.py").write_text("".join(init) + "VERSION = '1'\n")


@pytest.mark.parametrize("by_name", [True, False], ids=["by-name", "control-whole-lists"])
def test_a_package_reexport_is_found_without_reading_its_modules_lists(
    tmp_path: Path, by_name: bool
) -> None:
    root = tmp_path / "repo"
    _reexporting_package(root)
    index = FileListsIndex(root, IndexOptions(cache_dir=tmp_path / "cache"))
    index.build()
    clear_shared_cache()
    try:
        view = IndexView(index, lambda _p: True, "main.py")
        offer = exported(
            "pkg/__init__.py",
            view.python_modules(),
            view.top_level,
            view.imports_of,
            view.prefetch_modules,
            named=view if by_name else None,
        )
        assert sorted((d.name, d.path) for d in offer) == [
            ("VERSION", "pkg/__init__.py"),
            ("alpha_7", "pkg/alpha.py"),
            ("beta_7", "pkg/beta.py"),
            ("gamma_7", "pkg/gamma.py"),
        ]
        modules_read = index.lists_read - {"pkg/__init__.py"}
        assert modules_read == (
            set() if by_name else {f"pkg/{m}.py" for m in ("alpha", "beta", "gamma")}
        )
    finally:
        index.close()
        clear_shared_cache()
