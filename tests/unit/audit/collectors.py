"""Collectors for the forwarding tests: a real rsyslogd, and a loopback OTLP/HTTP receiver."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll a condition until it holds or the deadline passes (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rsyslogd() -> str | None:
    return shutil.which("rsyslogd") or next(
        (p for p in ("/usr/sbin/rsyslogd", "/sbin/rsyslogd") if Path(p).exists()), None
    )


class Rsyslog:
    """rsyslogd started unprivileged with our own config: TCP on a loopback port, to a file."""

    CONF = """
global(workDirectory="{dir}")
module(load="imtcp")
template(name="audit" type="string" string="%structured-data% %msg%\\n")
input(type="imtcp" port="{port}" address="127.0.0.1" ruleset="audit")
ruleset(name="audit") {{
  action(type="omfile" file="{out}" template="audit")
}}
"""

    def __init__(self, directory: Path) -> None:
        binary = rsyslogd()
        assert binary is not None
        self.binary = binary
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.out = directory / "received.log"
        self.conf = directory / "rsyslog.conf"
        self.conf.write_text(self.CONF.format(dir=directory, port=self.port, out=self.out))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "-n", "-f", str(self.conf), "-i", str(self.dir / "rsyslogd.pid")],
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "rsyslogd.stderr", "ab"),  # noqa: SIM115
        )
        assert wait_for(self._listening, 20), (self.dir / "rsyslogd.stderr").read_text()

    def _listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.proc = None

    def seqs(self) -> list[int]:
        """The audit sequence numbers rsyslog wrote, in arrival order."""
        try:
            text = self.out.read_text()
        except FileNotFoundError:
            return []
        return [int(m) for m in re.findall(r'\[audit@32473 seq="(\d+)"', text)]


class OtlpReceiver:
    """A loopback OTLP/HTTP logs endpoint that decodes the protobuf; can be made to fail."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.records: list[tuple[int, str, str]] = []  # (audit.seq, audit.hash, body)
        self.resources: list[dict[str, str]] = []
        self.failing = False
        self.requests = 0
        self.paths: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests += 1
                receiver.paths.append(self.path)
                if receiver.failing or self.headers.get("Content-Type") != "application/x-protobuf":
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver._decode(body)
                answer = ExportLogsServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _decode(self, body: bytes) -> None:
        request = ExportLogsServiceRequest()
        request.ParseFromString(body)
        for resource_logs in request.resource_logs:
            self.resources.append(
                {a.key: a.value.string_value for a in resource_logs.resource.attributes}
            )
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    attrs = {a.key: a.value for a in record.attributes}
                    self.records.append(
                        (
                            attrs["audit.seq"].int_value,
                            attrs["audit.hash"].string_value,
                            record.body.string_value,
                        )
                    )

    def seqs(self) -> list[int]:
        return [seq for seq, _, _ in self.records]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
