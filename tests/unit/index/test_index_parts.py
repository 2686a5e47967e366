"""The index stores each definition's part (`model.part_of`) and finds a name's or a file's
rows of one part through its index: a bare `close` does not read every method `close`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lsp_server.index.model import MEMBERS, NESTED, TOP, Definition, part_of
from lsp_server.index.repo_index import RepoIndex
from lsp_server.index.store import DEF_COLUMNS, PART_CODES
from tests.index_helpers import copy_repo, make_index

LANGUAGES = ["python", "typescript", "go", "rust", "java", "csharp", "cpp"]


def _index(language: str, tmp_path: Path) -> RepoIndex:
    index = make_index(copy_repo(language, tmp_path), tmp_path / "cache")
    index.build()
    return index


@contextmanager
def _recorded(index: RepoIndex) -> Iterator[list[tuple[str, tuple[object, ...]]]]:
    """The queries the index sends to its store inside the block."""
    asked: list[tuple[str, tuple[object, ...]]] = []
    query = index._store.query

    def recording(sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        asked.append((sql, params))
        return query(sql, params)

    index._store.query = recording  # type: ignore[method-assign]
    try:
        yield asked
    finally:
        index._store.query = query  # type: ignore[method-assign]


def _plan(index: RepoIndex, sql: str, params: tuple[object, ...]) -> str:
    return " ".join(str(r[-1]) for r in index._store.query(f"EXPLAIN QUERY PLAN {sql}", params))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_stored_part_is_the_models(language: str, tmp_path: Path) -> None:
    index = _index(language, tmp_path)
    rows = index._store.query(f"SELECT {DEF_COLUMNS}, part FROM defs")
    assert rows
    wrong = [row for row in rows if row[-1] != PART_CODES[part_of(Definition(*row[:-1]))]]
    assert not wrong, wrong[:5]
    assert {row[-1] for row in rows} >= {PART_CODES[TOP], PART_CODES[MEMBERS]}
    index.close()


def test_a_lookup_by_part_seeks_only_that_part(tmp_path: Path) -> None:
    index = _index("python", tmp_path)
    with _recorded(index) as asked:
        for parts in ((TOP,), (MEMBERS,), (TOP, NESTED)):
            index.definitions_named(["close", "area"], parts)
        index.top_level_definitions_of(["src/shop/cart.py", "src/shop/util.py"])
    assert len(asked) == 4
    for sql, params in asked:
        plan = _plan(index, sql, params)
        index_name = "defs_path (path" if "path IN" in sql else "defs_name (name"
        assert f"USING INDEX {index_name}=? AND part=?)" in plan, plan
    index.close()


def test_open_documents_answer_a_lookup_of_many_names_in_name_order(tmp_path: Path) -> None:
    index = _index("python", tmp_path)
    path = index.root / "src/shop/opened.py"
    text = (
        "def zeta():\n    pass\n\ndef area():\n    pass\n\nclass Box:\n"
        "    def area(self):\n        pass\n\ndef alpha():\n    pass\n"
    )
    path.write_text(text)
    index.update_text(path, text)
    found = [
        (d.name, d.line)
        for d in index.definitions_named(["zeta", "area", "missing"], (TOP,))
        if d.path == "src/shop/opened.py"
    ]
    # the names asked for, sorted; each name's top-level definitions only; `alpha` not asked
    assert found == [("area", 3), ("zeta", 0)]
    members = index.definitions_named(["area", "alpha"], (MEMBERS,))
    assert [(d.name, d.container) for d in members if d.path == "src/shop/opened.py"] == [
        ("area", "Box")
    ]
    index.close()


def test_many_files_rows_come_in_source_order_without_a_sort(tmp_path: Path) -> None:
    index = _index("python", tmp_path)
    files = ["src/shop/util.py", "src/shop/cart.py", "src/shop/pricing.py"]
    with _recorded(index) as asked:
        tops = index.top_level_definitions_of(files)
        imports = index.imports_of_files(files)
    for rel in files:
        assert tops[rel] == [d for d in index.file_definitions(rel) if d.container is None]
        assert imports[rel] == index.imports_of(rel)
    assert sum(len(found) for found in tops.values()) > 3
    assert len(asked) == 2
    for sql, params in asked:
        assert "TEMP B-TREE" not in _plan(index, sql, params)
    index.close()
