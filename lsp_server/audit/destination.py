"""Where `privacy.audit_forward` points, checked by the endpoint's own boundary rules.

A collector is another place bytes go, so it passes `boundary.check_endpoint` like the endpoint:
listed in `policy.allowed_origins` when a policy restricts origins, plain TCP only to loopback
(or with `policy.allow_insecure_http`), no credentials in the URL. For that check a TLS
destination is the origin `https://host:port` and a plain one `http://host:port`, so an
administrator lists e.g. `https://collector.corp:6514` for `syslog+tls://collector.corp:6514`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from lsp_server.endpoint.boundary import Origin, check_endpoint
from lsp_server.endpoint.errors import EndpointError, PolicyViolation

SCHEMES: dict[str, tuple[Literal["syslog", "otlp"], str, int]] = {
    "syslog+tls": ("syslog", "https", 6514),
    "syslog+tcp": ("syslog", "http", 514),
    "otlp+https": ("otlp", "https", 4318),
    "otlp+http": ("otlp", "http", 4318),
}
OTLP_LOGS_PATH = "/v1/logs"


@dataclass(frozen=True)
class Destination:
    kind: Literal["syslog", "otlp"]
    origin: Origin  # as the boundary sees it (https:// for TLS, http:// for plain TCP)
    url: str  # OTLP: the logs URL to POST to; syslog: the origin
    name: str  # the configured value, normalised (names the forwarding cursor)

    @property
    def tls(self) -> bool:
        return self.origin.scheme == "https"


def parse_destination(value: str, policy: Any) -> Destination:
    """The checked destination; PolicyViolation (an EndpointError) when it is not allowed."""
    parts = urlsplit(value.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise PolicyViolation(
            f"privacy.audit_forward {value!r}: use syslog+tls://, syslog+tcp://, "
            "otlp+https:// or otlp+http://"
        )
    kind, http_scheme, default_port = SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise PolicyViolation(f"privacy.audit_forward {value!r}: bad port") from None
    host = parts.hostname or ""
    netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}@{netloc}"  # check_endpoint refuses credentials
    path = parts.path.rstrip("/")
    if kind == "syslog" and path:
        raise PolicyViolation(f"privacy.audit_forward {value!r}: a syslog URL has no path")
    query = f"?{parts.query}" if parts.query else ""
    mapped = f"{http_scheme}://{netloc}{path}{query}"
    try:
        origin = check_endpoint(mapped, policy)
    except EndpointError as exc:
        message = str(exc).replace("endpoint.url", "privacy.audit_forward")
        raise PolicyViolation(f"audit forwarding to {value!r} refused: {message}") from None
    if kind == "otlp":
        logs_path = path if path.endswith(OTLP_LOGS_PATH) else path + OTLP_LOGS_PATH
        url = f"{http_scheme}://{netloc}{logs_path}"
    else:
        url = str(origin)
    return Destination(kind, origin, url, f"{scheme}://{netloc}{path}")
