"""The hash chain: line format, the files of one log, and verification across rotations.

Every line starts with `{"seq":N,"prev":"<sha256 of the previous line>",` and the rest of the
record follows (keys sorted). The hash is over the exact bytes of a line without its newline,
so editing or removing any record breaks the next link, and a sequence number that does not
follow shows a removed record even where a whole rotated file went missing. The last link is
kept in a head file next to the log, so cutting records off the end is detected too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from lsp_server.audit import lock

GENESIS = "0" * 64
_LINK = re.compile(rb'^\{"seq":(\d{1,19}),"prev":"([0-9a-f]{64})",')
# Only a string value matches, so a nested count named "time" cannot be taken for it.
_TIME = re.compile(rb'"time":"(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d))"')


@dataclass(frozen=True)
class Link:
    """Where the chain stands: the last record's sequence number and hash."""

    seq: int
    hash: str


START = Link(0, GENESIS)


@dataclass(frozen=True)
class Entry:
    """One record as read back for forwarding: its link and its exact line."""

    seq: int
    hash: str
    line: bytes


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def encode(record: dict[str, Any], after: Link) -> bytes:
    """The record as one chained line (newline included), following `after`."""
    body = json.dumps(record, separators=(",", ":"), sort_keys=True)
    if not body.startswith("{") or body == "{}":
        raise ValueError("an audit record is a non-empty JSON object")
    head = f'{{"seq":{after.seq + 1},"prev":"{after.hash}",'
    return (head + body[1:] + "\n").encode("utf-8")


def parse_link(line: bytes) -> tuple[int, str] | None:
    """(seq, prev) of a chained line, or None for a line that is not one."""
    m = _LINK.match(line)
    if m is None:
        return None
    return int(m.group(1)), m.group(2).decode("ascii")


def record_time(line: bytes) -> str | None:
    """A line's RFC 3339 `time`, without parsing the whole record (forwarding hot path)."""
    m = _TIME.search(line)
    return m.group(1).decode("ascii") if m else None


def head_path(path: Path) -> Path:
    """The head file: the last link, and the lock writers take."""
    return path.with_name(path.name + ".head")


def log_files(path: Path) -> list[Path]:
    """The files of one log, oldest first: `audit.jsonl.N`, ..., `audit.jsonl.1`, `audit.jsonl`."""
    rotated: list[tuple[int, Path]] = []
    prefix = path.name + "."
    try:
        names = os.listdir(path.parent)
    except OSError:
        names = []
    for name in names:
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            rotated.append((int(name[len(prefix) :]), path.with_name(name)))
    files = [p for _, p in sorted(rotated, reverse=True)]
    if path.exists():
        files.append(path)
    return files


def read_head(text: bytes) -> Link | None:
    """Parse a head file's content; None when absent or damaged."""
    try:
        data = json.loads(text)
        seq, digest = int(data["seq"]), str(data["hash"])
    except (ValueError, KeyError, TypeError):
        return None
    if seq < 0 or not re.fullmatch(r"[0-9a-f]{64}", digest):
        return None
    return Link(seq, digest)


def encode_head(link: Link, size: int, inode: int) -> bytes:
    """Head file content; size and inode let a writer trust it without reading the log."""
    return json.dumps({"seq": link.seq, "hash": link.hash, "size": size, "inode": inode}).encode()


def last_line(fd: int, size: int) -> bytes | None:
    """The last complete line of an open file of `size` bytes, without its newline."""
    if size <= 0:
        return None
    chunk = 4096
    while True:
        start = max(0, size - chunk)
        os.lseek(fd, start, os.SEEK_SET)
        data = _read_exactly(fd, size - start)
        body = data[:-1] if data.endswith(b"\n") else data
        cut = body.rfind(b"\n")
        if cut >= 0 or start == 0:
            return body[cut + 1 :] if data.endswith(b"\n") else None
        chunk *= 4


def _read_exactly(fd: int, n: int) -> bytes:
    parts: list[bytes] = []
    while n > 0:
        part = os.read(fd, n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


# --------------------------------------------------------------------------- verification


@dataclass
class Break:
    """The first broken or missing link."""

    file: str
    line: int
    problem: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.problem}"


@dataclass
class VerifyResult:
    files: list[str] = field(default_factory=list)
    records: int = 0
    unchained: int = 0  # leading records written before chaining existed
    first_seq: int | None = None
    last: Link | None = None
    broken: Break | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(path: Path) -> VerifyResult:
    """Check every link of the log at `path` (all its rotated files) and its head file.

    The oldest file's first record may name a predecessor that rotation deleted; that is
    reported as a note, not a break. Everything after it must link up. Writers may go on
    while this runs: the head is read first, records appended since are checked as far as
    they are complete, and an append in progress at the very end is not a break.
    """
    result = VerifyResult()
    opened, head_bytes = _snapshot(path)
    head = read_head(head_bytes) if head_bytes else None
    try:
        _walk(path, opened, head, head_bytes is not None, result)
    finally:
        for _, handle in opened:
            handle.close()
    return result


def _walk(
    path: Path,
    opened: list[tuple[Path, BinaryIO]],
    head: Link | None,
    head_present: bool,
    result: VerifyResult,
) -> None:
    files = [file for file, _ in opened]
    result.files = [str(p) for p in files]
    prev: Link | None = None
    at_head: tuple[str, int, str] | None = None  # file, line and hash of record head.seq
    for index, (file, handle) in enumerate(opened):
        with handle as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.endswith(b"\n"):
                    if index == len(files) - 1:
                        break  # being appended right now (a cut shows against the head)
                    result.broken = Break(str(file), number, "incomplete last line (cut off)")
                    return
                line = raw[:-1]
                if not line.strip():
                    result.broken = Break(str(file), number, "empty line")
                    return
                link = parse_link(line)
                if link is None:
                    if prev is None and _is_json_object(line):
                        result.unchained += 1  # written by a version without the chain
                        continue
                    result.broken = Break(str(file), number, "not a chained audit record")
                    return
                seq, claimed = link
                if prev is None:
                    result.first_seq = seq
                    if result.unchained:
                        result.notes.append(
                            f"{result.unchained} older records before the chain starts"
                        )
                    elif seq != 1:
                        result.notes.append(
                            f"the chain starts at record {seq}: older records were rotated away"
                        )
                else:
                    if seq != prev.seq + 1:
                        missing = seq - prev.seq - 1
                        what = (
                            f"{missing} record(s) missing before it (seq {prev.seq} then {seq})"
                            if missing > 0
                            else f"sequence goes back (seq {prev.seq} then {seq})"
                        )
                        result.broken = Break(str(file), number, what)
                        return
                    if claimed != prev.hash:
                        result.broken = Break(
                            str(file),
                            number,
                            "previous record was edited or removed (its hash does not match)",
                        )
                        return
                prev = Link(seq, line_hash(line))
                if head is not None and seq == head.seq:
                    at_head = (str(file), number, prev.hash)
                result.records += 1
    result.last = prev
    _check_head(path, files, head, head_present, at_head, result)


def _snapshot(path: Path) -> tuple[list[tuple[Path, BinaryIO]], bytes | None]:
    """The head and every file of the log, opened under the writers' lock.

    Rotation renames files under that lock, so the listing is consistent; once open, a file
    stays readable whatever it is renamed to. The lock is held only to list and open, never
    while reading, so writers (completions) wait microseconds, not for the whole check.
    """
    with locked_head(path) as head:
        return _open_existing(log_files(path)), head


@contextlib.contextmanager
def locked_head(path: Path) -> Iterator[bytes | None]:
    """The head file's content (None: no head yet), with the writers' lock held while the
    block runs. A writer rewrites the head in place, so a read without the lock can see half
    of it: a damaged head, which a forwarder would take for a log started anew."""
    try:
        fd = os.open(head_path(path), os.O_RDONLY)
    except FileNotFoundError:
        yield None
        return
    try:
        lock.lock(fd)
        try:
            yield _read_exactly(fd, os.fstat(fd).st_size)
        finally:
            lock.unlock(fd)
    finally:
        os.close(fd)


def _open_existing(files: list[Path]) -> list[tuple[Path, BinaryIO]]:
    out: list[tuple[Path, BinaryIO]] = []
    for file in files:
        try:
            out.append((file, open(file, "rb")))  # noqa: SIM115 - closed by verify()
        except FileNotFoundError:
            continue  # removed by hand meanwhile: its absence shows as missing records
    return out


def _check_head(
    path: Path,
    files: list[Path],
    head: Link | None,
    present: bool,
    at_head: tuple[str, int, str] | None,
    result: VerifyResult,
) -> None:
    last = result.last
    if not present:
        if last is not None:
            result.notes.append("no head file: records cut off the end cannot be detected")
        return
    if head is None:
        result.notes.append("head file unreadable: records cut off the end cannot be detected")
        return
    where = str(files[-1]) if files else str(path)
    if last is None:
        if head.seq > 0:
            result.broken = Break(where, 0, f"the log is empty but record {head.seq} was written")
        return
    if head.seq > last.seq:
        lines = _count_lines(files[-1]) if files else 0
        result.broken = Break(
            where,
            lines + 1,
            f"{head.seq - last.seq} record(s) missing at the end (last written was {head.seq})",
        )
    elif at_head is not None and at_head[2] != head.hash:
        result.broken = Break(
            at_head[0], at_head[1], "last record was edited (head hash does not match)"
        )


def _count_lines(file: Path) -> int:
    with open(file, "rb") as fh:
        return sum(1 for _ in fh)


def _is_json_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


# --------------------------------------------------------------------------- reading


def iter_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every parseable record of the log, oldest first (report input; not a verification)."""
    for file in log_files(path):
        try:
            fh = open(file, "rb")  # noqa: SIM115 - closed below; a rotation may remove it
        except FileNotFoundError:
            continue
        with fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record
