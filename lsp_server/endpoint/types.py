"""Request, result and status shapes shared by the endpoint and its callers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EndpointStatus:
    """What `mistral/status` shows: "ready", "offline" or "error", and why."""

    state: str
    message: str
    origin: str
    model: str


@dataclass(frozen=True)
class RepoContext:
    """The prompt's repository part apart, for engines that take it separately (llama.cpp's
    `input_extra`): `chunks` are (path, text) in prompt order, `own_prefix` is the prompt
    without them. Both are cut from `FimRequest.prompt`, so the budget is the same."""

    chunks: tuple[tuple[str, str], ...]
    own_prefix: str


@dataclass
class FimRequest:
    """A fill-in-the-middle request. `sources`: repository-relative paths whose text is in it."""

    prompt: str
    suffix: str
    max_tokens: int
    stop: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    temperature: float = 0.0
    # Called with the text so far; True closes the stream at once (single-line completion done).
    stop_when: Callable[[str], bool] | None = None
    model: str | None = None
    repo_context: RepoContext | None = None


@dataclass
class ChatRequest:
    """A chat request (refactors); `retry` allows retries on 429/5xx/connection errors."""

    messages: list[dict[str, str]]
    max_tokens: int
    sources: list[str] = field(default_factory=list)
    retry: bool = True
    temperature: float = 0.2
    model: str | None = None


@dataclass
class EndpointResult:
    """The answer, with what the audit log and the UI need to know about it."""

    text: str
    model: str
    usage: dict[str, int]
    request_id: str
    redacted: dict[str, int] = field(default_factory=dict)
    finish_reason: str | None = None
    stopped_early: bool = False
