"""The audit log: one JSON line per outbound attempt, sent, blocked or failed.

Records what an administrator needs to answer "what left this laptop, and where to?" —
never code and never the key: the payload appears only as its SHA-256. Rotated by size.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 3


def default_audit_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_log_dir("mistral-lsp")) / "audit.jsonl"


@dataclass
class AuditRecord:
    """One attempt. `decision`: "sent", "blocked:<why>" or "failed:<why>"."""

    request_id: str
    operation: str
    origin: str
    model: str
    decision: str
    time: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))
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


class AuditLog:
    """Append-only JSONL writer; thread-safe; rotates to `.1`, `.2`, ... past `max_bytes`."""

    def __init__(
        self,
        path: Path | str | None = None,
        enabled: bool = True,
        max_bytes: int = DEFAULT_MAX_BYTES,
        backups: int = DEFAULT_BACKUPS,
    ) -> None:
        self.path = Path(os.path.expanduser(str(path))) if path else default_audit_path()
        self.enabled = enabled
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()
        self._warned = False

    def write(self, record: AuditRecord) -> None:
        if not self.enabled:
            return
        line = json.dumps(asdict(record), separators=(",", ":"), sort_keys=True) + "\n"
        data = line.encode("utf-8")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._rotate_if_needed(len(data))
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
            except OSError as exc:
                if not self._warned:
                    self._warned = True
                    log.warning("audit log %s is not writable: %s", self.path, exc.strerror)

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

    def read(self) -> list[dict[str, object]]:
        """All records of the current file (tests and doctor)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]
