"""The definitions held in memory (`definitions_in_memory`) answer every lookup exactly as
SQLite does -- the same definitions in the same order -- before and after files change,
are added or removed, and without a query."""

from __future__ import annotations

import contextlib
import shutil
import sysconfig
import threading
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from lsp_server.index import defs_memory
from lsp_server.index.model import PARTS
from lsp_server.index.repo_index import RepoIndex
from lsp_server.index.store import DEF_COLUMNS
from tests.index_helpers import copy_repo, make_index

LANGUAGES = ["python", "typescript", "go", "rust", "java", "csharp", "cpp", "stdlib email"]


def _index(language: str, tmp_path: Path) -> RepoIndex:
    if language == "stdlib email":  # a real package: overloads, same names in many files
        root = tmp_path / "email"
        shutil.copytree(Path(sysconfig.get_paths()["stdlib"]) / "email", root)
    else:
        root = copy_repo(language, tmp_path)
    index = make_index(root, tmp_path / "cache", definitions_in_memory=True)
    index.build()
    assert index._memory is not None
    return index


def _answers(index: RepoIndex) -> dict[str, Any]:
    """Every lookup the memory serves, for every name, file and container stored."""
    rows = index._store.query(f"SELECT {DEF_COLUMNS} FROM defs")
    names = sorted({row[0] for row in rows} | {"no_such_name"})
    files = sorted({row[2] for row in rows} | {"gone.py"})
    owners = sorted({(row[7], row[2]) for row in rows if row[7] is not None})
    answers: dict[str, Any] = {
        "counts": index.member_counts(names),
        "tops": index.top_level_definitions_of(files),
    }
    for size in (1, 2, 3):
        for parts in combinations(sorted(PARTS), size):
            answers[f"named {parts}"] = index.definitions_named(names, parts)
    for name in names:
        answers[f"name {name}"] = index.definitions(name)
    for file in files:
        answers[f"file {file}"] = index.file_definitions(file)
    for container, file in owners:
        answers[f"members {container} {file}"] = index.members_in(container, file)
    return answers


def _from_sqlite(index: RepoIndex, ask: Callable[[RepoIndex], Any]) -> Any:
    memory, index._memory = index._memory, None
    try:
        return ask(index)
    finally:
        index._memory = memory


def _assert_same_as_sqlite(index: RepoIndex) -> dict[str, Any]:
    held = _answers(index)
    asked = _from_sqlite(index, _answers)
    assert held.keys() == asked.keys()
    different = [key for key in held if held[key] != asked[key]]
    assert not different, [(key, held[key], asked[key]) for key in different[:3]]
    return held


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_lookup_answers_as_sqlite_does(language: str, tmp_path: Path) -> None:
    index = _index(language, tmp_path)
    held = _assert_same_as_sqlite(index)
    assert sum(len(v) for k, v in held.items() if k.startswith("name ")) > 5
    index.close()


def test_an_open_document_hides_its_stored_rows_as_with_sqlite(tmp_path: Path) -> None:
    index = _index("python", tmp_path)
    path = index.root / "src/shop/cart.py"
    text = "def price_of():\n    pass\n\nclass Opened:\n    def apply(self):\n        pass\n"
    index.update_text(path, text)
    held = _assert_same_as_sqlite(index)
    assert {d.path for d in held["name price_of"]} == {"src/shop/pricing.py", "src/shop/cart.py"}
    assert not any(d.name == "Cart" for d in held["file src/shop/cart.py"])
    index.close()


def _rows(index: RepoIndex) -> list[tuple[Any, ...]]:
    return index._store.query(f"SELECT rowid, part, {DEF_COLUMNS} FROM defs ORDER BY rowid")


def test_changed_added_and_removed_files_are_seen_as_with_sqlite(tmp_path: Path) -> None:
    index = _index("python", tmp_path)
    as_built = defs_memory.DefsInMemory(_rows(index))
    root = index.root
    changed = root / "src/shop/cart.py"
    changed.write_text(changed.read_text() + "\n\ndef freshly_written(x):\n    return x\n")
    index.refresh_path(changed)
    added = root / "src/shop/added.py"
    added.write_text("class Added:\n    def freshly_written(self):\n        pass\n")
    index.refresh_path(added)
    removed = root / "src/shop/pricing.py"
    gone = index.relative(removed)
    assert index.file_definitions(removed)
    removed.unlink()
    index.remove_path(removed)

    held = _assert_same_as_sqlite(index)
    found = {(d.path, d.container) for d in held["name freshly_written"]}
    assert found == {("src/shop/cart.py", None), ("src/shop/added.py", "Added")}
    assert (
        index.file_definitions(removed)
        == []
        == _from_sqlite(index, lambda i: i.file_definitions(removed))
    )
    assert index.top_level_definitions_of([gone]) == {gone: []}
    # control: a memory not told of the changes answers as the files were
    index._memory = as_built
    assert index.definitions("freshly_written") == []
    assert index.file_definitions(removed)
    index.close()


def test_a_file_changed_by_another_process_is_read_again_when_refreshed(tmp_path: Path) -> None:
    index = _index("python", tmp_path)
    other = make_index(index.root, tmp_path / "cache")  # the same cache, another process
    changed = index.root / "src/shop/cart.py"
    changed.write_text("def written_elsewhere():\n    pass\n")
    other.refresh_path(changed)
    assert index.definitions("written_elsewhere") == []  # not told yet: the memory is stale
    index.refresh_path(changed)  # the watcher's event: the stored state is already current
    assert [d.path for d in index.definitions("written_elsewhere")] == ["src/shop/cart.py"]
    _assert_same_as_sqlite(index)
    other.close()
    index.close()


def test_lookups_ask_sqlite_nothing(tmp_path: Path) -> None:
    index = _index("python", tmp_path)
    asked: list[str] = []
    query = index._store.query

    def recording(sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        asked.append(sql)
        return query(sql, params)

    index._store.query = recording  # type: ignore[method-assign]
    files = ["src/shop/cart.py", "src/shop/util.py"]

    def lookups(i: RepoIndex) -> None:
        i.definitions_named(["close", "area"], ["top"])
        i.definitions("area")
        i.member_counts(["close"])
        i.top_level_definitions_of(files)
        i.file_definitions(files[0])

    lookups(index)
    assert asked == []
    _from_sqlite(index, lookups)  # control: the same lookups through SQLite
    assert len(asked) == 5
    index.close()


def test_a_repository_above_the_limit_is_asked_through_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lsp_server.index.repo_index.MAX_ROWS", 5)
    root = copy_repo("python", tmp_path)
    index = make_index(root, tmp_path / "cache", definitions_in_memory=True)
    index.build()
    assert index._memory is None
    assert [d.path for d in index.definitions("price_of")] == ["src/shop/pricing.py"]
    index.close()


def test_a_command_does_not_read_them(tmp_path: Path) -> None:
    index = make_index(copy_repo("python", tmp_path), tmp_path / "cache")
    index.build()
    assert index._memory is None
    index.close()


class _Watched:
    """A lock (or none) that tells when a thread other than the test's asks for it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.asked = threading.Event()

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            self.asked.set()
        self.inner.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.inner.__exit__(*exc)


@pytest.mark.parametrize("locked", [True, False])
def test_a_file_stored_while_a_build_reads_the_table_is_in_the_new_memory(
    locked: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A watcher's refresh stores a file after the build read the table, before the new
    memory takes the old one's place. Control (`locked=False`, no lock): the refresh runs
    to its end meanwhile, updates the memory about to be replaced, and the change is lost."""
    root = copy_repo("python", tmp_path)
    index = make_index(root, tmp_path / "cache", definitions_in_memory=True)
    watched = _Watched(index._memory_lock if locked else contextlib.nullcontext())
    monkeypatch.setattr(index, "_memory_lock", watched)
    changed = root / "src/shop/cart.py"
    read = defs_memory.DefsInMemory.read.__func__  # type: ignore[attr-defined]
    refresh = threading.Thread(target=index.refresh_path, args=(changed,))

    def reading(cls: type, rows: Callable[[], Any]) -> defs_memory.DefsInMemory:
        taken = rows()  # the table as the build left it
        changed.write_text("def stored_meanwhile():\n    pass\n")
        refresh.start()
        assert watched.asked.wait(30)  # the refresh stored the file and turns to the memory
        if not locked:
            refresh.join(30)  # nothing holds it: it is done before the build goes on
        return read(cls, lambda: taken)  # type: ignore[no-any-return]

    monkeypatch.setattr(defs_memory.DefsInMemory, "read", classmethod(reading))
    index.build()
    refresh.join(30)
    assert not refresh.is_alive()
    found = [d.path for d in index.definitions("stored_meanwhile")]
    assert found == (["src/shop/cart.py"] if locked else [])
    index.close()
