"""The state editors show in their status bar (`mistral/status`). Never holds a secret."""

from __future__ import annotations

from dataclasses import asdict, dataclass

STATES: tuple[str, ...] = ("starting", "indexing", "ready", "offline", "error", "disabled")


@dataclass(frozen=True)
class Status:
    state: str
    message: str = ""
    endpoint: str = ""  # origin only: scheme://host[:port]
    model: str = ""

    def to_json(self) -> dict[str, str]:
        return asdict(self)
