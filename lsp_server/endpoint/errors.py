"""Errors the endpoint raises; each carries a one-line `reason` fit to show the user.

Reasons never contain code, prompts or the API key: they name what happened and how to fix it.
"""

from __future__ import annotations


class EndpointError(Exception):
    """Base class: the request did not produce a result."""

    kind = "error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EndpointOffline(EndpointError):
    """No key or no URL, or the endpoint could not be reached."""

    kind = "offline"


class PolicyViolation(EndpointError):
    """The request would leave for an origin the configuration or policy does not allow."""

    kind = "policy"


class SecretsBlocked(EndpointError):
    """A secret was found in the payload and `privacy.secrets = "block"`."""

    kind = "secrets"

    def __init__(self, reason: str, types: dict[str, int]) -> None:
        super().__init__(reason)
        self.types = dict(types)


class CircuitOpen(EndpointError):
    """Recent requests failed; calls are paused for a cool-down."""

    kind = "circuit-open"


class RateLimited(EndpointError):
    """The endpoint answered 429; `retry_after` is the capped wait in seconds."""

    kind = "rate-limited"

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class EndpointHTTPError(EndpointError):
    """The endpoint answered an error status, a malformed body, or cut the stream."""

    kind = "http"

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


class EndpointTimeout(EndpointError):
    """The operation's deadline passed."""

    kind = "timeout"


class RedirectRefused(EndpointError):
    """The endpoint answered 3xx; nothing was sent to the redirect target."""

    kind = "redirect"

    def __init__(self, reason: str, status: int, location: str) -> None:
        super().__init__(reason)
        self.status = status
        self.location = location


class ContentExcluded(EndpointError):
    """The request would include text of an excluded file."""

    kind = "excluded"


class ModelUnfit(EndpointError):
    """The engine answered, but this model cannot do the job here: it is not installed or not
    served, or it cannot fill in the middle. `fix` is the one line that repairs it; the reason
    shown (in `mistral/status` and `doctor`) carries it."""

    kind = "model"

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}: {fix}")
        self.problem = problem
        self.fix = fix
