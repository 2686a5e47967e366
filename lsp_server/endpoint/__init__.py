"""Everything that leaves the machine passes here: boundary, exclusion, secrets, audit, client.

The rest of the server imports only from this package root.
"""

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
from lsp_server.endpoint.service import EndpointService
from lsp_server.endpoint.types import ChatRequest, EndpointResult, EndpointStatus, FimRequest

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
