"""Forwarding the audit trail to the organisation's collector, without ever blocking a write.

The local audit file is the source of truth and the queue: a write only wakes the forwarder
thread (an Event), which reads records after its cursor from the log files, sends them in
bounded batches, and then persists the cursor (sequence number and hash, per destination)
next to the log. While the collector is down the records simply wait in the file; the thread
retries with exponential backoff and sends them when it is back. Only one process forwards
at a time (a lock file), so two editor windows do not send a record twice, and a restart
resumes after the persisted cursor.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lsp_server.audit import chain, lock
from lsp_server.audit.chain import Entry
from lsp_server.audit.config import ForwardConfig
from lsp_server.audit.destination import Destination, parse_destination
from lsp_server.endpoint.boundary import make_ssl_context
from lsp_server.endpoint.errors import EndpointError

log = logging.getLogger(__name__)


class Sender(Protocol):
    def send(self, entries: Sequence[Entry]) -> None: ...


@dataclass
class _Position:
    """Where the last read stopped, so the next one does not rescan the files."""

    inode: int
    offset: int
    seq: int


@dataclass
class ForwardStats:
    sent: int = 0
    batches: int = 0
    failures: int = 0
    gaps: int = 0  # records rotated away before they could be sent
    last_error: str = ""
    cursor: int = 0
    events: list[str] = field(default_factory=list)


def cursor_path(path: Path) -> Path:
    return path.with_name(path.name + ".forwarded")


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".forward.lock")


def read_cursor(path: Path, destination: str) -> chain.Link:
    try:
        data = json.loads(cursor_path(path).read_bytes())
        entry = data[destination]
        return chain.Link(int(entry["seq"]), str(entry["hash"]))
    except (OSError, ValueError, KeyError, TypeError):
        return chain.START


def _write_cursor(path: Path, destination: str, link: chain.Link) -> None:
    target = cursor_path(path)
    try:
        data = json.loads(target.read_bytes())
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[destination] = {"seq": link.seq, "hash": link.hash}
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(data).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)


def _head_seq(path: Path) -> int:
    try:
        with chain.locked_head(path) as data:
            head = chain.read_head(data) if data else None
    except OSError:
        return 0
    return head.seq if head else 0


def read_after(
    path: Path, after: int, limit: int, hint: _Position | None = None
) -> tuple[list[Entry], _Position | None]:
    """Up to `limit` records with seq > `after`, oldest first, across rotated files."""
    files: list[tuple[Path, os.stat_result]] = []
    for file in chain.log_files(path):
        try:
            files.append((file, os.stat(file)))
        except FileNotFoundError:
            continue
    start, offset = -1, 0
    if hint is not None and hint.seq == after:
        for i, (_, st) in enumerate(files):
            if st.st_ino == hint.inode and st.st_size >= hint.offset:
                start, offset = i, hint.offset
                break
    if start < 0:
        start = 0
        for i in range(len(files) - 1, -1, -1):
            first = _first_seq(files[i][0])
            if first is not None and first <= after + 1:
                start = i
                break
    entries: list[Entry] = []
    position = hint
    for i, (file, st) in enumerate(files[start:]):
        pos = offset if i == 0 else 0
        try:
            fh = open(file, "rb")  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            continue  # rotated away meanwhile: the next round rescans
        with fh:
            fh.seek(pos)
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break  # a record being appended right now
                pos += len(raw)
                line = raw[:-1]
                link = chain.parse_link(line)
                if link is None or link[0] <= after:
                    continue
                entries.append(Entry(link[0], chain.line_hash(line), line))
                position = _Position(st.st_ino, pos, link[0])
                if len(entries) >= limit:
                    return entries, position
    return entries, position


def _first_seq(file: Path) -> int | None:
    try:
        with open(file, "rb") as fh:
            link = chain.parse_link(fh.readline())
    except OSError:
        return None
    return link[0] if link else None


def make_sender(dest: Destination, config: ForwardConfig) -> Sender:
    tls: ssl.SSLContext | None = make_ssl_context(config.ca_bundle) if dest.tls else None
    if dest.kind == "syslog":
        from lsp_server.audit.syslog import SyslogSender

        return SyslogSender(dest.origin.host, dest.origin.port, tls, config.timeout_s)
    from lsp_server.audit.otlp import OtlpSender

    return OtlpSender(dest.url, dest.origin, tls, config.timeout_s)


class Forwarder:
    """A daemon thread that sends new audit records to one destination."""

    def __init__(
        self, path: Path, dest: Destination, config: ForwardConfig, sender: Sender | None = None
    ) -> None:
        self.path = path
        self.dest = dest
        self.config = config
        self.stats = ForwardStats()
        self._sender = sender or make_sender(dest, config)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._hint: _Position | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"audit-forward {dest.name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def notify(self) -> None:
        """A record was written (cheap: the write path never waits for the network)."""
        self._wake.set()

    def flush(self, timeout_s: float) -> bool:
        """Wait until everything written so far was sent; False at the deadline."""
        deadline = time.monotonic() + timeout_s
        self._wake.set()
        with self._idle:
            while self.backlog() > 0:
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return False
                self._wake.set()
                self._idle.wait(min(left, 0.05))
        return True

    def backlog(self) -> int:
        return max(0, _head_seq(self.path) - read_cursor(self.path, self.dest.name).seq)

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if timeout_s > 0 and self._thread.is_alive():
            self._thread.join(timeout_s)

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        backoff = self.config.min_backoff_s
        while not self._stop.is_set():
            self._wake.wait(self.config.poll_s)
            self._wake.clear()
            while not self._stop.is_set():
                try:
                    progressed = self._forward_one_batch()
                except Exception as exc:  # noqa: BLE001 - the thread must outlive any failure
                    self._failed(exc)
                    self._stop.wait(backoff)
                    backoff = min(backoff * 2, self.config.max_backoff_s)
                    continue
                backoff = self.config.min_backoff_s
                with self._idle:
                    self._idle.notify_all()
                if not progressed:
                    break

    def _failed(self, exc: Exception) -> None:
        self.stats.failures += 1
        message = f"{type(exc).__name__}: {exc}"
        if message != self.stats.last_error:
            log.warning("audit forwarding to %s: %s (will retry)", self.dest.name, message)
        self.stats.last_error = message

    def _forward_one_batch(self) -> bool:
        """Send the next batch under the cross-process forward lock; True if one was sent."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(_lock_path(self.path), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if not lock.try_lock(fd):
                return False  # another process is forwarding this log
            try:
                return self._send_next()
            finally:
                lock.unlock(fd)
        finally:
            os.close(fd)

    def _send_next(self) -> bool:
        cursor = read_cursor(self.path, self.dest.name)
        head = _head_seq(self.path)
        if cursor.seq > head:
            log.warning("audit log %s was reset; forwarding starts again from its start", self.path)
            cursor = chain.START
        if head <= cursor.seq:
            self.stats.cursor = cursor.seq
            return False
        entries, hint = read_after(self.path, cursor.seq, self.config.batch, self._hint)
        if not entries:
            return False
        if entries[0].seq > cursor.seq + 1:
            missing = entries[0].seq - cursor.seq - 1
            self.stats.gaps += missing
            log.warning("%d audit records were rotated away before they could be sent", missing)
        self._sender.send(entries)
        last = entries[-1]
        _write_cursor(self.path, self.dest.name, chain.Link(last.seq, last.hash))
        self._hint = hint
        self.stats.sent += len(entries)
        self.stats.batches += 1
        self.stats.cursor = last.seq
        if self.stats.last_error:
            log.info("audit forwarding to %s works again", self.dest.name)
            self.stats.last_error = ""
        return True


# --------------------------------------------------------------------------- one per log

_REGISTRY: dict[str, Forwarder] = {}
_REGISTRY_LOCK = threading.Lock()


def ensure_forwarder(path: Path, config: ForwardConfig | None) -> tuple[Forwarder | None, str]:
    """The running forwarder for `path` under `config` (started, replaced or stopped).

    Returns (forwarder or None, why forwarding is off when the destination was refused).
    """
    key = str(path.absolute())
    with _REGISTRY_LOCK:
        current = _REGISTRY.get(key)
        if current is not None and current.config == config:
            return current, ""
        if current is not None:
            # Signal only: a reconfiguration must not wait for a send in flight. Until it
            # ends, the forward lock keeps the old and the new thread from sending together.
            current.stop(0)
            del _REGISTRY[key]
        if config is None:
            return None, ""
        try:
            dest = parse_destination(config.url, config.policy)
        except EndpointError as exc:
            log.warning("audit forwarding is off: %s", exc)
            return None, str(exc)
        forwarder = Forwarder(path, dest, config)
        forwarder.start()
        _REGISTRY[key] = forwarder
        return forwarder, ""


def stop_forwarder(path: Path) -> None:
    ensure_forwarder(path, None)


@atexit.register
def _flush_all_at_exit() -> None:
    """Give pending records a short chance to leave; the rest go with the next process."""
    with _REGISTRY_LOCK:
        forwarders = list(_REGISTRY.values())
    for forwarder in forwarders:
        if not forwarder.stats.last_error:  # a collector that is down gets no exit delay
            forwarder.flush(2.0)
        forwarder.stop(1.0)
