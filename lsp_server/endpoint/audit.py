"""The audit log: one JSON line per outbound attempt (sent, blocked or failed) and per event.

Records what an administrator needs to answer "what left this laptop, and where to?" —
never code and never the key: the payload appears only as its SHA-256. Each line carries the
hash of the one before it (`lsp_server.audit.chain`), across size rotations, under a lock
every process takes, so a removed or edited record shows in `mistral-lsp audit verify`.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import re
import threading
import typing
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from lsp_server.audit import chain, lock

if TYPE_CHECKING:
    from lsp_server.audit.config import ForwardConfig

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 3

EventKind = Literal[
    "shown",
    "accepted",
    "partially_accepted",
    "next_edit_shown",
    "next_edit_accepted",
    "next_edit_dismissed",
]
EVENT_KINDS: frozenset[str] = frozenset(typing.get_args(EventKind))
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,40}")
_REQUEST_ID = re.compile(r"[A-Za-z0-9_.:-]{1,80}")


class Keep(enum.Enum):
    """`AuditLog(forward=...)` default: leave this log's forwarding as it is (readers, doctor)."""

    FORWARDING = "keep"


def default_audit_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir("mistral-lsp")) / "audit.jsonl"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class AuditRecord:
    """One attempt. `decision`: "sent", "blocked:<why>" or "failed:<why>"."""

    request_id: str
    operation: str
    origin: str
    model: str
    decision: str
    time: str = field(default_factory=_now)
    bytes_out: int = 0
    bytes_in: int = 0
    usage: dict[str, int] = field(default_factory=dict)
    latency_ms: float = 0.0
    http_status: int | None = None
    retries: int = 0
    redacted: dict[str, int] = field(default_factory=dict)
    payload_sha256: str = ""
    sources: list[str] = field(default_factory=list)
    policy_digest: str = ""


_RECORD_FIELDS = tuple(f.name for f in fields(AuditRecord))


def record_fields(record: AuditRecord) -> dict[str, Any]:
    """`dataclasses.asdict(record)` without its deep copies: the record's containers hold
    only numbers and strings, so a shallow copy of each is the same value at a tenth of the
    cost (a record is written on every completion, before its answer is sent)."""
    out: dict[str, Any] = {}
    for name in _RECORD_FIELDS:
        value = getattr(record, name)
        out[name] = value.copy() if isinstance(value, dict | list) else value
    return out


class AuditLog:
    """Append-only chained JSONL; thread- and process-safe; rotates to `.1`, `.2`, ... past
    `max_bytes`. `forward` starts (a config) or stops (None) the background forwarder that
    sends new records to the collector; the service passes it, readers leave it out."""

    def __init__(
        self,
        path: Path | str | None = None,
        enabled: bool = True,
        max_bytes: int = DEFAULT_MAX_BYTES,
        backups: int = DEFAULT_BACKUPS,
        forward: ForwardConfig | None | Literal[Keep.FORWARDING] = Keep.FORWARDING,
    ) -> None:
        self.path = Path(os.path.expanduser(str(path))) if path else default_audit_path()
        self.enabled = enabled
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()
        self._warned = False
        self._head_fd: int | None = None
        self.forward_error = ""
        self._forwarder: Any = None
        if forward is not Keep.FORWARDING:
            self._start_forwarding(forward if enabled else None)

    def _start_forwarding(self, forward: ForwardConfig | None) -> None:
        """Start, replace or stop this log's forwarder (one per log file per process)."""
        from lsp_server.audit.forward import ensure_forwarder

        self._forwarder, self.forward_error = ensure_forwarder(self.path, forward)

    # ------------------------------------------------------------------ writing

    def write(self, record: AuditRecord) -> None:
        """Append one request record (never raises: auditing must not break a completion)."""
        self._append({"kind": "request", **record_fields(record)})

    def write_event(
        self,
        kind: EventKind,
        language: str,
        request_id: str,
        accepted_chars: int | None = None,
    ) -> None:
        """Append one completion-funnel event: what was shown or kept, never any text."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown audit event {kind!r}")
        record: dict[str, Any] = {
            "kind": "event",
            "event": kind,
            "language": language if _LANGUAGE.fullmatch(language or "") else "other",
            "request_id": request_id if _REQUEST_ID.fullmatch(request_id or "") else "",
            "time": _now(),
        }
        if accepted_chars is not None:
            record["accepted_chars"] = max(0, int(accepted_chars))
        self._append(record)

    def _append(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with self._lock:
            try:
                self._append_locked(record)
            except OSError as exc:
                self._close_head()
                if not self._warned:
                    self._warned = True
                    log.warning("audit log %s is not writable: %s", self.path, exc.strerror)
                return
        if self._forwarder is not None:
            self._forwarder.notify()

    def _append_locked(self, record: dict[str, Any]) -> None:
        fd = self._head()
        lock.lock(fd)
        try:
            after = self._last_link(fd)
            data = chain.encode(record, after)
            self._rotate_if_needed(len(data))
            out = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(out, data)
                st = os.fstat(out)
            finally:
                os.close(out)
            link = chain.Link(after.seq + 1, chain.line_hash(data[:-1]))
            head = chain.encode_head(link, st.st_size, st.st_ino)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, head)
            os.ftruncate(fd, len(head))
        finally:
            lock.unlock(fd)

    def _head(self) -> int:
        """The head file, opened once: it holds the last link and is the lock all writers take."""
        if self._head_fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._head_fd = os.open(chain.head_path(self.path), os.O_RDWR | os.O_CREAT, 0o600)
        return self._head_fd

    def _close_head(self) -> None:
        fd, self._head_fd = self._head_fd, None
        if fd is not None:
            os.close(fd)

    def _last_link(self, fd: int) -> chain.Link:
        """The link the next record follows.

        The head file is trusted when the log file is exactly as it left it. Otherwise the
        log's last line wins only when it directly follows the head (a crash between append
        and head update); a log shorter than the head (records cut off) keeps the head's
        link, so the cut shows as a break at the next record.
        """
        os.lseek(fd, 0, os.SEEK_SET)
        head_data = os.read(fd, 4096)
        head = chain.read_head(head_data) if head_data else None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None
        if head is not None and st is not None:
            meta = json.loads(head_data)
            if meta.get("size") == st.st_size and meta.get("inode") == st.st_ino:
                return head
        last = self._last_in_files()
        if head is None:
            return last or chain.START
        if last is not None and last.seq == head.seq + 1 and self._follows(head):
            return last
        return head

    def _follows(self, head: chain.Link) -> bool:
        line = self._last_line()
        return line is not None and (chain.parse_link(line) or (0, ""))[1] == head.hash

    def _last_line(self) -> bytes | None:
        for file in reversed(chain.log_files(self.path)):
            try:
                fd = os.open(file, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                line = chain.last_line(fd, os.fstat(fd).st_size)
            finally:
                os.close(fd)
            if line is not None:
                return line
        return None

    def _last_in_files(self) -> chain.Link | None:
        line = self._last_line()
        if line is None:
            return None
        parsed = chain.parse_link(line)
        seq = parsed[0] if parsed else 0
        return chain.Link(seq, chain.line_hash(line))

    def _rotate_if_needed(self, incoming: int) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size + incoming <= self.max_bytes:
            return
        if self.backups <= 0:
            self.path.unlink(missing_ok=True)
            return
        for i in range(self.backups - 1, 0, -1):
            src = self.path.with_name(f"{self.path.name}.{i}")
            if src.exists():
                os.replace(src, self.path.with_name(f"{self.path.name}.{i + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))

    # ------------------------------------------------------------------ reading

    def read(self) -> list[dict[str, object]]:
        """All records of the current file (tests and doctor)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def close(self, timeout_s: float = 2.0) -> None:
        """Release the head file; give the forwarder `timeout_s` to send what is pending."""
        if self._forwarder is not None:
            self._forwarder.flush(timeout_s)
            self._start_forwarding(None)
        with self._lock:
            self._close_head()

    def __del__(self) -> None:
        fd = getattr(self, "_head_fd", None)
        if fd is not None:
            os.close(fd)
