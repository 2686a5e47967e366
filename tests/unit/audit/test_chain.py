"""The hash chain: every removed or edited record is found, with its file and line."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lsp_server.audit.chain import GENESIS, head_path, line_hash, log_files, verify
from lsp_server.endpoint.audit import AuditLog, AuditRecord

ROOT = Path(__file__).resolve().parents[3]


def _write(log: AuditLog, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        log.write(AuditRecord(f"r{i}", "fim", "https://x.example", "codestral", "sent"))


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_each_record_names_the_hash_of_the_one_before(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    _write(log, 3)
    lines = [line.rstrip(b"\n") for line in _lines(log.path)]
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [1, 2, 3]
    assert records[0]["prev"] == GENESIS
    assert records[1]["prev"] == line_hash(lines[0])
    assert records[2]["prev"] == line_hash(lines[1])
    result = verify(log.path)
    assert result.ok and result.records == 3 and not result.notes


def test_rotation_keeps_the_chain_across_files(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=2500, backups=9)
    _write(log, 20)
    files = log_files(log.path)
    assert len(files) >= 3
    for older, newer in zip(files, files[1:], strict=False):
        last = _lines(older)[-1].rstrip(b"\n")
        first = json.loads(_lines(newer)[0])
        assert first["prev"] == line_hash(last)
    result = verify(log.path)
    assert result.ok and result.records == 20


def test_rotated_away_history_is_a_note_not_a_break(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=1500, backups=1)
    _write(log, 20)
    result = verify(log.path)
    assert result.ok
    assert any("rotated away" in n for n in result.notes)


def test_an_edited_record_breaks_the_next_link(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    _write(log, 5)
    lines = _lines(log.path)
    lines[1] = lines[1].replace(b'"decision":"sent"', b'"decision":"blocked:policy"')
    log.path.write_bytes(b"".join(lines))
    result = verify(log.path)
    assert not result.ok and result.broken is not None
    assert result.broken.file == str(log.path) and result.broken.line == 3
    assert "edited or removed" in result.broken.problem


def test_a_removed_record_is_missing_link(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    _write(log, 5)
    lines = _lines(log.path)
    del lines[2]
    log.path.write_bytes(b"".join(lines))
    result = verify(log.path)
    assert result.broken is not None and result.broken.line == 3
    assert "1 record(s) missing" in result.broken.problem


def test_a_removed_rotated_file_is_found(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=2500, backups=9)
    _write(log, 20)
    files = log_files(log.path)
    files[1].unlink()
    result = verify(log.path)
    assert result.broken is not None
    assert result.broken.file == str(files[2]) and result.broken.line == 1
    assert "missing" in result.broken.problem


def test_records_cut_off_the_end_are_found(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    _write(log, 5)
    lines = _lines(log.path)
    log.path.write_bytes(b"".join(lines[:-2]))
    result = verify(log.path)
    assert result.broken is not None and result.broken.line == 4
    assert "2 record(s) missing at the end" in result.broken.problem
    # The next record keeps the evidence: it follows the head, not the shortened file.
    _write(log, 1, start=5)
    result = verify(log.path)
    assert result.broken is not None and result.broken.line == 4


def test_an_edited_last_record_is_found(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    _write(log, 3)
    text = log.path.read_bytes().replace(b'"request_id":"r2"', b'"request_id":"zz"')
    log.path.write_bytes(text)
    result = verify(log.path)
    assert result.broken is not None and result.broken.line == 3
    assert "edited" in result.broken.problem


def test_a_crash_between_append_and_head_update_is_not_a_break(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    _write(log, 2)
    stale = head_path(log.path).read_bytes()
    _write(log, 1, start=2)
    head_path(log.path).write_bytes(stale)  # as if the process died before updating it
    log.close()
    log = AuditLog(tmp_path / "audit.jsonl")
    _write(log, 1, start=3)
    result = verify(log.path)
    assert result.ok and result.records == 4


def test_records_from_before_the_chain_are_counted_not_broken(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text('{"decision":"sent","request_id":"old"}\n')
    log = AuditLog(path)
    _write(log, 2)
    result = verify(path)
    assert result.ok and result.unchained == 1 and result.records == 2
    first = json.loads(_lines(path)[1])
    assert first["prev"] == line_hash(b'{"decision":"sent","request_id":"old"}')


def test_events_carry_no_text(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.write_event("shown", "python", "abc123")
    log.write_event("partially_accepted", "def f():\n  return 1", "x y z", accepted_chars=7)
    with pytest.raises(ValueError):
        log.write_event("typed", "python", "r")  # type: ignore[arg-type]
    shown, partial = log.read()
    assert shown["kind"] == "event" and shown["event"] == "shown"
    assert shown["language"] == "python" and shown["request_id"] == "abc123"
    assert "accepted_chars" not in shown
    assert partial["language"] == "other" and partial["request_id"] == ""
    assert partial["accepted_chars"] == 7
    assert verify(log.path).ok


WRITER = textwrap.dedent(
    """
    import sys
    from lsp_server.endpoint.audit import AuditLog, AuditRecord
    path, name, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    log = AuditLog(path, max_bytes=20000, backups=50)
    import os, time
    deadline = time.monotonic() + 60
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.005)
    for i in range(count):
        if i % 3 == 0:
            log.write_event("shown", "python", f"{name}-{i}")
        else:
            log.write(AuditRecord(f"{name}-{i}", "fim", "https://x.example", "m", "sent"))
    """
)


def test_parallel_writer_processes_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    go = tmp_path / "go"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    count, procs = 300, 4
    children = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), f"w{n}", str(count), str(go)], cwd=ROOT
        )
        for n in range(procs)
    ]
    go.touch()  # all start writing at once (each waits for this file after its imports)
    for child in children:
        assert child.wait(timeout=120) == 0
    result = verify(path)
    assert result.ok, result.broken
    assert result.records == count * procs and result.first_seq == 1
    assert len(log_files(path)) > 3  # rotations happened under contention


def test_verify_while_processes_write_and_rotate_finds_no_false_break(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    go = tmp_path / "go"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    children = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), f"w{n}", "1500", str(go)], cwd=ROOT
        )
        for n in range(2)
    ]
    go.touch()
    runs = 0
    try:
        while any(child.poll() is None for child in children) or runs == 0:
            result = verify(path)
            assert result.ok, result.broken
            runs += 1
    finally:
        for child in children:
            assert child.wait(timeout=120) == 0
    assert verify(path).records == 3000 and runs > 1
