"""The `local` preset: find which engine listens on the usual loopback ports.

Only loopback is ever asked (127.0.0.1), only with GETs that carry no code, through the same
guarded client as every request (no redirects, no proxies). Each engine is recognised by a
route only it answers that way:

- Ollama (11434): `GET /api/version` -> `{"version": ...}`
- llama.cpp (8080): `GET /props` -> `{"default_generation_settings": ...}`
- TGI (8080, 3000): `GET /info` -> `{"model_id": ..., "router": "text-generation-router"}`
- vLLM (8000), LM Studio (1234): `GET /v1/models` -> `{"data": [...]}` (OpenAI-compatible)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx2

from lsp_server.endpoint.boundary import Origin, build_async_client, is_loopback, parse_origin


@dataclass(frozen=True)
class Found:
    url: str
    api: str  # "ollama" | "llamacpp" | "tgi" | "openai"
    engine: str  # what to tell the user: "Ollama", "llama.cpp", "vLLM", ...


# (port, what usually listens there), in the order they are tried.
DEFAULT_PORTS: tuple[tuple[int, str], ...] = (
    (11434, "Ollama"),
    (8080, "llama.cpp or TGI"),
    (8000, "vLLM"),
    (3000, "TGI"),
    (1234, "LM Studio"),
)


def _json(res: httpx2.Response) -> Any:
    with contextlib.suppress(ValueError):
        return res.json()
    return None


async def identify(client: httpx2.AsyncClient, url: str, guess: str = "") -> Found | None:
    """Which engine answers at `url`, or None."""
    res = await client.get(url + "/api/version")
    body = _json(res) if res.status_code == 200 else None
    if isinstance(body, dict) and "version" in body:
        return Found(url, "ollama", "Ollama")
    res = await client.get(url + "/props")
    body = _json(res) if res.status_code == 200 else None
    if isinstance(body, dict) and "default_generation_settings" in body:
        return Found(url, "llamacpp", "llama.cpp")
    res = await client.get(url + "/info")
    body = _json(res) if res.status_code == 200 else None
    if isinstance(body, dict) and "model_id" in body:
        return Found(url, "tgi", "TGI")
    res = await client.get(url + "/v1/models")
    body = _json(res) if res.status_code == 200 else None
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        engine = "LM Studio" if guess == "LM Studio" else "vLLM" if guess == "vLLM" else ""
        return Found(url, "openai", engine or "an OpenAI-compatible server")
    return None


async def discover(
    candidates: Sequence[tuple[str, str]] | None = None, timeout_s: float = 1.0
) -> Found | None:
    """The first engine found among (url, guess) candidates, all loopback; None if none."""
    if candidates is None:
        candidates = [(f"http://127.0.0.1:{port}", guess) for port, guess in DEFAULT_PORTS]
    origins: list[Origin] = []
    for url, _ in candidates:
        origin = parse_origin(url)
        if not is_loopback(origin.host):
            raise ValueError(f"the local preset only looks at loopback, not {origin}")
        origins.append(origin)
    client = build_async_client(frozenset(origins), timeout_s=timeout_s, max_connections=4)
    try:
        for url, guess in candidates:
            with contextlib.suppress(httpx2.HTTPError, OSError, asyncio.TimeoutError):
                found = await identify(client, url.rstrip("/"), guess)
                if found is not None:
                    return found
        return None
    finally:
        await client.aclose()
