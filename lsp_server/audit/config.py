"""Forwarding settings, apart from the forwarder so the endpoint can name them cheaply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ForwardConfig:
    """What the forwarder needs from the settings (and tunables the tests shorten)."""

    url: str
    ca_bundle: str = ""
    policy: Any = None
    batch: int = 500
    min_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    poll_s: float = 2.0  # how often to look for records other processes wrote
    timeout_s: float = 10.0

    @classmethod
    def from_settings(cls, settings: Any) -> ForwardConfig | None:
        url = str(getattr(settings.privacy, "audit_forward", "") or "").strip()
        if not url:
            return None
        return cls(url, str(settings.endpoint.ca_bundle or ""), settings.policy)
