"""A bare TLS handshake with the endpoint, for `doctor`: proves the configured CA trusts it.

Lives in the endpoint package because only the endpoint opens connections, and only to the
configured origin (checked against the policy first). Sends nothing but a TLS ClientHello.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lsp_server.endpoint.boundary import check_endpoint, make_ssl_context


@dataclass(frozen=True)
class TlsReport:
    version: str
    issuer: str
    subject: str
    expires_in_days: int | None


def _name(parts: Any) -> str:
    for rdn in parts or ():
        for key, value in rdn:
            if key in ("commonName", "organizationName"):
                return str(value)
    return "?"


async def tls_handshake(settings: Any, timeout_s: float = 5.0) -> TlsReport:
    """Handshake with the endpoint's host using endpoint.ca_bundle (or the system store).

    Raises the policy / configuration errors of `check_endpoint`, `ssl.SSLError` when the
    certificate is not trusted, and OSError / TimeoutError when the host is unreachable.
    """
    origin = check_endpoint(settings.endpoint.base_url, settings.policy)
    if origin.scheme != "https":
        raise ValueError("the endpoint uses plain http: there is no TLS to check")
    ctx = make_ssl_context(settings.endpoint.ca_bundle)
    async with asyncio.timeout(timeout_s):
        reader, writer = await asyncio.open_connection(
            origin.host, origin.port, ssl=ctx, server_hostname=origin.host
        )
    try:
        ssl_obj: ssl.SSLObject = writer.get_extra_info("ssl_object")
        cert = ssl_obj.getpeercert() or {}
        expires = cert.get("notAfter")
        days = None
        if expires:
            when = datetime.fromtimestamp(ssl.cert_time_to_seconds(str(expires)), UTC)
            days = (when - datetime.now(UTC)).days
        return TlsReport(
            version=ssl_obj.version() or "?",
            issuer=_name(cert.get("issuer")),
            subject=_name(cert.get("subject")),
            expires_in_days=days,
        )
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()
