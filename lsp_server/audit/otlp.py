"""OTLP/HTTP logs: the official protobuf messages, POSTed through the boundary's own client.

The OpenTelemetry exporter is not used: it reads OTEL_* environment variables and sends with
a `requests` session that trusts environment proxies and CA variables. We build the
`ExportLogsServiceRequest` with `opentelemetry-proto` and send it with
`boundary.build_async_client` (only the collector's origin, no redirects, no environment).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Sequence
from datetime import datetime

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import (
    SEVERITY_NUMBER_INFO,
    LogRecord,
    ResourceLogs,
    ScopeLogs,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from lsp_server import __version__
from lsp_server.audit.chain import Entry, record_time
from lsp_server.endpoint.boundary import Origin, build_async_client

EVENT_NAME = "mistral_lsp.audit"


def _time_ns(line: bytes) -> int:
    value = record_time(line)
    try:
        return int(datetime.fromisoformat(value).timestamp() * 1e9) if value else 0
    except ValueError:
        return 0


def _kv(key: str, value: str | int) -> KeyValue:
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def encode(entries: Sequence[Entry], hostname: str | None = None) -> bytes:
    """One export request: a resource (this host), a scope, one log record per audit line."""
    observed = time.time_ns()
    records = [
        LogRecord(
            time_unix_nano=_time_ns(e.line),
            observed_time_unix_nano=observed,
            severity_number=SEVERITY_NUMBER_INFO,
            severity_text="INFO",
            event_name=EVENT_NAME,
            body=AnyValue(string_value=e.line.decode("utf-8")),
            attributes=[_kv("audit.seq", e.seq), _kv("audit.hash", e.hash)],
        )
        for e in entries
    ]
    resource = Resource(
        attributes=[
            _kv("service.name", "mistral-lsp"),
            _kv("host.name", hostname or socket.gethostname()),
        ]
    )
    scope = InstrumentationScope(name="mistral_lsp.audit", version=__version__)
    request = ExportLogsServiceRequest(
        resource_logs=[
            ResourceLogs(
                resource=resource, scope_logs=[ScopeLogs(scope=scope, log_records=records)]
            )
        ]
    )
    data: bytes = request.SerializeToString()
    return data


class OtlpSender:
    """POSTs batches to one OTLP/HTTP logs URL; raises OSError when one was not accepted."""

    def __init__(
        self, url: str, origin: Origin, tls: ssl.SSLContext | None, timeout_s: float = 10.0
    ) -> None:
        self.url, self.origin, self.tls, self.timeout_s = url, origin, tls, timeout_s
        self.rejected = 0  # records the collector said it dropped (partial success)

    def send(self, entries: Sequence[Entry]) -> None:
        body = encode(entries)
        status, answer = asyncio.run(self._post(body))
        if not 200 <= status < 300:
            raise OSError(f"the OTLP collector answered HTTP {status}")
        if answer:
            response = ExportLogsServiceResponse()
            try:
                response.ParseFromString(answer)
            except Exception:  # noqa: BLE001 - a JSON or empty answer is still a 2xx
                return
            self.rejected += int(response.partial_success.rejected_log_records)

    async def _post(self, body: bytes) -> tuple[int, bytes]:
        client = build_async_client(
            frozenset({self.origin}),
            timeout_s=self.timeout_s,
            max_connections=1,
            ssl_context=self.tls,
        )
        try:
            response = await client.post(
                self.url, content=body, headers={"Content-Type": "application/x-protobuf"}
            )
            return response.status_code, response.content
        except Exception as exc:  # httpx2 errors, PolicyViolation, redirects: not delivered
            raise OSError(f"OTLP export failed: {exc}") from exc
        finally:
            await client.aclose()
