"""Everything that leaves the machine passes here: boundary, exclusion, secrets, audit, client.

The rest of the server imports only from this package root. `EndpointService` (and with it
the HTTP client) is imported when first asked for: the index's worker processes import the
secret scanner from this package and have no use for ~0.2 s of HTTP stack at start-up.
"""

from typing import TYPE_CHECKING

from lsp_server.endpoint.errors import (
    CircuitOpen,
    ContentExcluded,
    EndpointError,
    EndpointHTTPError,
    EndpointOffline,
    EndpointTimeout,
    PolicyViolation,
    RateLimited,
    RedirectRefused,
    SecretsBlocked,
)
from lsp_server.endpoint.types import ChatRequest, EndpointResult, EndpointStatus, FimRequest

if TYPE_CHECKING:
    from lsp_server.endpoint.service import EndpointService


def __getattr__(name: str) -> object:
    if name == "EndpointService":
        from lsp_server.endpoint.service import EndpointService

        return EndpointService
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ChatRequest",
    "CircuitOpen",
    "ContentExcluded",
    "EndpointError",
    "EndpointHTTPError",
    "EndpointOffline",
    "EndpointResult",
    "EndpointService",
    "EndpointStatus",
    "EndpointTimeout",
    "FimRequest",
    "PolicyViolation",
    "RateLimited",
    "RedirectRefused",
    "SecretsBlocked",
]
