"""Syslog over TCP or TLS: RFC 5424 messages with RFC 6587 octet-counting framing.

Plain syslog over TCP has no acknowledgement: bytes accepted by the kernel can still be lost
if the collector dies. So each batch uses its own connection, half-closes it, and counts as
delivered only when the collector closes its side after reading everything we sent (TCP
delivers our FIN after our data). A reset or a timeout means "not delivered": the batch is
sent again, and the structured data carries the record's sequence number and hash so a
collector could drop a duplicate from the rare crash between delivery and our cursor update.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
from collections.abc import Sequence

from lsp_server.audit.chain import Entry, record_time

FACILITY_LOG_AUDIT = 13
SEVERITY_INFO = 6
PRI = FACILITY_LOG_AUDIT * 8 + SEVERITY_INFO
APP_NAME = "mistral-lsp"
SD_ID = "audit@32473"  # 32473: the IANA enterprise number reserved for documentation


def _hostname() -> str:
    name = re.sub(r"[^!-~]", "", socket.gethostname())[:255]
    return name or "-"


def format_message(entry: Entry, hostname: str) -> bytes:
    """One RFC 5424 message; MSG is the audit line itself (JSON, no code, no key)."""
    header = (
        f"<{PRI}>1 {record_time(entry.line) or '-'} {hostname} {APP_NAME} {os.getpid()} audit "
        f'[{SD_ID} seq="{entry.seq}" hash="{entry.hash}"] '
    )
    return header.encode("ascii") + entry.line


def frame(message: bytes) -> bytes:
    """RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`."""
    return str(len(message)).encode("ascii") + b" " + message


class SyslogSender:
    """Sends batches to one collector; raises OSError when a batch was not delivered."""

    def __init__(
        self, host: str, port: int, tls: ssl.SSLContext | None, timeout_s: float = 10.0
    ) -> None:
        self.host, self.port, self.tls, self.timeout_s = host, port, tls, timeout_s
        self.hostname = _hostname()

    def send(self, entries: Sequence[Entry]) -> None:
        payload = b"".join(frame(format_message(e, self.hostname)) for e in entries)
        raw = socket.create_connection((self.host, self.port), timeout=self.timeout_s)
        try:
            if self.tls is not None:
                wrapped = self.tls.wrap_socket(raw, server_hostname=self.host)
                wrapped.sendall(payload)
                # Half-close below TLS: the collector sees end of stream after our records.
                wrapped.shutdown(socket.SHUT_WR)
                raw = wrapped
            else:
                raw.sendall(payload)
                raw.shutdown(socket.SHUT_WR)
            _await_close(raw)
        finally:
            raw.close()


def _await_close(sock: socket.socket) -> None:
    """Return once the peer closed cleanly after reading our data; OSError otherwise."""
    while True:
        try:
            data = sock.recv(4096)  # after SSLSocket.shutdown this reads the raw socket
        except TimeoutError:
            raise OSError("the collector did not confirm the batch in time") from None
        if not data:
            return
