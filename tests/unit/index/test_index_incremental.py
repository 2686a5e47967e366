"""Open documents (update_text/close_text) and disk changes (refresh_path/remove_path)."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from lsp_server.index import worker
from lsp_server.index.extract import extract_from_tree
from lsp_server.index.languages import language_by_id, parse_bytes
from lsp_server.index.repo_index import RepoIndex
from tests.index_helpers import copy_repo, make_index, names


def _built(tmp_path: Path) -> tuple[Path, RepoIndex]:
    """A copy of the Python fixture repository, indexed."""
    root = copy_repo("python", tmp_path)
    index = make_index(root, tmp_path / "cache")
    index.build()
    return root, index


def _importers(index: RepoIndex, path: str) -> list[str]:
    """Files whose imports resolve to `path` (open documents' imports shadowing the disk)."""
    return sorted(f for f in index.files() if any(i.resolved == path for i in index.imports_of(f)))


def test_update_text_adds_and_removes_names(tmp_path: Path) -> None:
    root, index = _built(tmp_path)
    path = root / "src/shop/util.py"
    text = path.read_text()
    assert index.definitions("clamp")

    edited = text.replace("def clamp(", "def clamp_value(")
    index.update_text(path, edited)
    assert index.definitions("clamp") == []
    (renamed,) = index.definitions("clamp_value")
    assert renamed.path == "src/shop/util.py"
    assert "clamp_value" in names(index.search("clampval"))
    assert "clamp_value" in names(index.file_definitions("src/shop/util.py"))
    assert "clamp_value" in index.record(path).references

    # a second edit on the same document: incremental reparse from the previous tree
    edited2 = edited + "\n\nclass Late:\n    def go(self):\n        pass\n"
    index.update_text("src/shop/util.py", edited2)
    assert [d.container for d in index.definitions("go")] == ["Late"]

    # imports of the open document are resolved too
    index.update_text(path, "from .pricing import price_of\n" + edited2)
    assert index.imports_of(path)[0].resolved == "src/shop/pricing.py"
    assert "src/shop/util.py" in _importers(index, "src/shop/pricing.py")

    # closing falls back to the disk content
    index.close_text(path)
    assert index.definitions("clamp") and not index.definitions("clamp_value")
    assert not index.definitions("Late")
    index.close()


def test_incremental_matches_full_parse(tmp_path: Path) -> None:
    """Random edits applied through update_text give the same symbols as a fresh parse."""
    root = tmp_path / "r"
    root.mkdir()
    lines = []
    for i in range(60):
        lines += [
            f"class K{i}:",
            f'    """Doc {i}."""',
            f"    def m{i}(self, x):",
            "        return x",
            "",
        ]
    text = "\n".join(lines)
    (root / "m.py").write_text(text)
    index = make_index(root, tmp_path / "cache")
    index.build()
    index.update_text("m.py", text)
    spec = language_by_id("python")
    rng = random.Random(7)
    for step in range(40):
        pos = rng.randrange(len(text))
        choice = rng.random()
        if choice < 0.4:
            text = text[:pos] + rng.choice(["x", "\n", "def ", "é", ":", "class Z:\n"]) + text[pos:]
        elif choice < 0.8:
            text = text[:pos] + text[pos + rng.randrange(1, 12) :]
        else:
            text = text.replace(f"m{step}(", f"renamed{step}(")
        index.update_text("m.py", text)
        data = text.encode()
        expected, _ = extract_from_tree(data, spec, parse_bytes(data, spec))
        got = [
            (d.name, d.kind, d.line, d.column, d.end_line, d.end_column, d.container)
            for d in index.file_definitions("m.py")
        ]
        assert got == [row[:7] for row in expected], step
    index.close()


def test_update_text_speed_on_a_large_file(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    body = "".join(
        f"def function_{i}(a, b):\n    '''Doc {i}.'''\n    return a + b * {i}\n\n"
        for i in range(1500)
    )
    (root / "big.py").write_text(body)  # 6,000 lines
    index = make_index(root, tmp_path / "cache")
    index.build()
    index.update_text("big.py", body)
    timings = []
    text = body
    for i in range(21):
        text = text.replace(f"return a + b * {i}\n", f"return a - b * {i}\n", 1)
        started = time.perf_counter()
        index.update_text("big.py", text)
        timings.append(time.perf_counter() - started)
    timings.sort()
    # generous bound for a loaded CI machine; bench/index_speed.py measures the real p50
    assert timings[len(timings) // 2] < 0.05
    assert len(index.file_definitions("big.py")) == 1500
    index.close()


def test_excluded_documents_are_not_indexed_when_opened(tmp_path: Path) -> None:
    root = copy_repo("python", tmp_path)
    (root / ".mistralignore").write_text("private/\n")
    index = make_index(root, tmp_path / "cache", privacy_exclude=("secret_*.py",))
    index.build()
    index.update_text(root / "private/p.py", "def should_not_appear(): pass\n")
    index.update_text(root / "secret_keys.py", "def nor_this(): pass\n")
    index.update_text(root / "notes.md", "# heading\n")
    index.update_text(tmp_path / "outside.py", "def outside(): pass\n")
    assert index.search("should_not_appear") == []
    assert index.search("nor_this") == []
    assert index.definitions("outside") == []
    index.close()


def test_refresh_and_remove_paths(tmp_path: Path) -> None:
    root = copy_repo("typescript", tmp_path)
    index = make_index(root, tmp_path / "cache")
    index.build()
    main = root / "src/main.ts"
    assert index.imports_of(main)[0].resolved == "src/app/service.ts"

    new = root / "src/app/extra.ts"
    new.write_text("export function extraThing(): number { return 1; }\n")
    main.write_text('import { extraThing } from "@app/extra";\n' + main.read_text())
    index.refresh_path(new)
    index.refresh_path(main)
    assert index.definitions("extraThing")[0].path == "src/app/extra.ts"
    assert index.imports_of(main)[0].resolved == "src/app/extra.ts"
    assert _importers(index, "src/app/extra.ts") == ["src/main.ts"]

    service = root / "src/app/service.ts"
    service.unlink()
    index.remove_path(service)
    assert index.definitions("Service") == []
    assert "src/app/service.ts" not in index.files()
    assert [i.resolved for i in index.imports_of(main) if i.module == "@app/service"] == [None]

    # a re-created file is resolved again
    service.write_text("export class Service {}\n")
    index.refresh_path(service)
    assert [i.resolved for i in index.imports_of(main) if i.module == "@app/service"] == [
        "src/app/service.ts"
    ]

    # a removed folder drops everything below it
    index.remove_path(root / "src/models")
    assert not [f for f in index.files() if f.startswith("src/models/")]
    # a changed mtime with the same content keeps the record
    before = index.record(main)
    os.utime(main, ns=(main.stat().st_atime_ns, main.stat().st_mtime_ns + 10**9))
    index.refresh_path(main)
    assert index.record(main).sha256 == before.sha256
    index.close()


def test_the_file_list_is_one_object_until_a_file_comes_or_goes(tmp_path: Path) -> None:
    root, index = _built(tmp_path)
    listed = index.files()
    assert index.files() is listed  # what is derived from it is reused
    (root / "src/shop/added.py").write_text("def added():\n    return 1\n")
    index.refresh_path(root / "src/shop/added.py")
    with_added = index.files()
    assert "src/shop/added.py" in with_added and "src/shop/added.py" not in listed
    index.update_text(root / "scratch.py", "x = 1\n")  # an open document, not on disk
    assert "scratch.py" in index.files()
    index.close_text(root / "scratch.py")
    assert "scratch.py" not in index.files()
    (root / "src/shop/added.py").unlink()
    index.remove_path(root / "src/shop/added.py")
    assert index.files() == listed


def test_editing_an_indexed_file_keeps_the_file_list(tmp_path: Path) -> None:
    # every keystroke used to sort the repository's whole file list again
    root, index = _built(tmp_path)
    listed = index.files()
    opened = next(f for f in listed if f.endswith(".py"))
    index.update_text(root / opened, "x = 1\n")
    index.update_text(root / opened, "x = 2\n")
    assert index.files() is listed
    index.close_text(root / opened)
    assert index.files() is listed


def test_a_same_size_rewrite_with_the_mtime_set_back_is_indexed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, index = _built(tmp_path)
    path = root / "src/shop/util.py"
    text = path.read_text()
    before = os.stat(path)
    path.write_text(text.replace("def clamp(", "def clomp("))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    # control: size and mtime alone say the file is unchanged
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    index.refresh_path(path)
    assert index.definitions("clamp") == []
    assert [d.path for d in index.definitions("clomp")] == ["src/shop/util.py"]
    # and a refresh with nothing changed reads nothing again
    read: list[str] = []
    real = worker.process
    monkeypatch.setattr(worker, "process", lambda task: read.append(task.path) or real(task))
    index.refresh_path(path)
    assert read == []
    os.utime(path)  # control: touched, it is read again (and found unchanged)
    index.refresh_path(path)
    assert read == ["src/shop/util.py"]
    assert [d.path for d in index.definitions("clomp")] == ["src/shop/util.py"]


def test_a_restart_indexes_again_a_same_size_rewrite_with_the_mtime_set_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # written while no server ran: the next start's build must not trust size and mtime
    root, index = _built(tmp_path)
    index.close()
    path = root / "src/shop/util.py"
    before = os.stat(path)
    path.write_text(path.read_text().replace("def clamp(", "def clomp("))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    read: list[str] = []
    real = worker.process
    monkeypatch.setattr(worker, "process", lambda task: read.append(task.path) or real(task))
    index = make_index(root, tmp_path / "cache")
    index.build()
    assert read == ["src/shop/util.py"]  # the other files are trusted by their stat
    assert index.definitions("clamp") == []
    assert [d.path for d in index.definitions("clomp")] == ["src/shop/util.py"]
    index.close()


def test_a_snapshot_reads_one_state_while_another_thread_writes(tmp_path: Path) -> None:
    import threading

    root, index = _built(tmp_path)
    path = root / "src/shop/util.py"

    def rewrite(old: str, new: str) -> None:
        path.write_text(path.read_text().replace(f"def {old}(", f"def {new}(", 1))
        writer = threading.Thread(target=index.refresh_path, args=(path,))
        writer.start()
        writer.join(timeout=30)

    with index.snapshot():
        assert index.definitions("clamp")
        rewrite("clamp", "clamp_a")  # stored by another thread's connection meanwhile
        assert index.definitions("clamp") and not index.definitions("clamp_a")
    assert index.definitions("clamp_a") and not index.definitions("clamp")
    # control: outside a snapshot the next read sees the other thread's write at once
    rewrite("clamp_a", "clamp_b")
    assert index.definitions("clamp_b") and not index.definitions("clamp_a")


def test_a_snapshot_survives_a_broken_or_rebuilt_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    root, index = _built(tmp_path)
    store = index._store
    with index.snapshot():
        store.recover()  # a read met a corrupt cache: every connection is closed
    assert index.definitions("clamp") == []  # an empty cache, not an error
    index.build()

    def refuse() -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    with monkeypatch.context() as patched:
        patched.setattr(store, "conn", refuse)
        with index.snapshot():  # no snapshot, no error: the reads recover as they do
            pass
    assert index.definitions("clamp")
