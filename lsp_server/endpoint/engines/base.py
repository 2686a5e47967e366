"""What every wire protocol exposes to the service, and the HTTP plumbing the JSON ones share.

Streams are async generators that close the HTTP response in `finally`, so cancelling the
consumer (or closing the generator) closes the connection at once. Errors an engine recognises
(a model that cannot fill in the middle, a model that is not there) become `ModelUnfit` with a
one-line fix; anything else is an `UpstreamError` the service maps by status.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx2

from lsp_server.endpoint.errors import EndpointHTTPError, ModelUnfit
from lsp_server.endpoint.keys import ApiKey


@dataclass
class Delta:
    """A piece of an answer (or the whole of it, for non-streamed calls)."""

    text: str = ""
    finish_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    model: str = ""


@dataclass(frozen=True)
class ModelFacts:
    """What `doctor` learns about one model without sending code.

    `can_fim` is None when the engine cannot tell without a live request.
    """

    exists: bool
    served: tuple[str, ...] = ()
    can_fim: bool | None = None
    context_length: int | None = None
    note: str = ""


class Backend(Protocol):
    engine: str  # shown to the user: "Ollama", "llama.cpp", ...
    uses_repo_context: bool  # True: repository snippets travel apart from the prefix

    def fim_stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]: ...
    def chat_stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]: ...
    async def fim(self, p: dict[str, Any], timeout_s: float) -> Delta: ...
    async def chat(self, p: dict[str, Any], timeout_s: float) -> Delta: ...
    async def list_models(self, timeout_s: float) -> list[str]: ...
    async def inspect(self, model: str, timeout_s: float) -> ModelFacts: ...


class UpstreamError(Exception):
    """An error status from the server (mapped by the service)."""

    def __init__(self, status: int, headers: httpx2.Headers, body: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status_code = status
        self.headers = headers
        self.body = body


def usage_of(obj: Any) -> dict[str, int]:
    if obj is None:
        return {}
    if isinstance(obj, dict):
        src = obj
    else:
        src = {k: getattr(obj, k, None) for k in ("prompt_tokens", "completion_tokens")}
        src["total_tokens"] = getattr(obj, "total_tokens", None)
    return {k: int(v) for k, v in src.items() if isinstance(v, int) and not isinstance(v, bool)}


def error_message(body: str) -> str:
    """The human part of an error body: `{"error": "..."}`, `{"error": {"message": ...}}`,
    `{"message": ...}` or `{"detail": ...}` (Ollama, llama.cpp, vLLM, TGI spell it differently)."""
    text = body
    with contextlib.suppress(ValueError, TypeError):
        obj = json.loads(body)
        if isinstance(obj, dict):
            msg = obj.get("error") or obj.get("message") or obj.get("detail") or ""
            if isinstance(msg, dict):
                msg = msg.get("message") or json.dumps(msg)
            text = msg if isinstance(msg, str) else json.dumps(msg)
    return " ".join(text.split())[:240]


class HttpEngine:
    """Shared plumbing of the engines spoken as plain JSON over the guarded client."""

    engine = "server"
    uses_repo_context = False

    def __init__(self, client: httpx2.AsyncClient, base_url: str, key: ApiKey | None) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._key = key
        self._urls: dict[str, httpx2.URL] = {}
        self._merged: dict[str, httpx2.Headers] = {}

    # -- hooks ----------------------------------------------------------------------

    def diagnose(self, status: int | None, message: str, model: str) -> ModelUnfit | None:
        """A recognised model problem (with its fix), or None to let the service map it."""
        return None

    # -- plumbing -------------------------------------------------------------------

    def _headers(self, accept: str = "application/json") -> dict[str, str]:
        headers = {"Accept": accept, "Content-Type": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key.reveal()}"
        return headers

    def _url(self, path: str) -> httpx2.URL:
        """The endpoint URL of `path`, parsed once (httpx parses a string on every request:
        ~5% of the CPU between the debounce and the request leaving)."""
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx2.URL(self._base + path)
        return url

    def post_request(
        self, path: str, content: bytes, timeout_s: float, accept: str
    ) -> httpx2.Request:
        """The request `client.build_request("POST", ...)` makes, with the client's headers
        merged into ours once rather than on every keystroke (~0.1 ms of the wait after the
        debounce). A client holding cookies or query parameters gets build_request's own."""
        client = self._client
        if client.cookies or client.params:
            return client.build_request(
                "POST",
                self._url(path),
                content=content,
                headers=self._headers(accept),
                timeout=timeout_s,
            )
        headers = self._merged.get(accept)
        if headers is None:
            headers = self._merged[accept] = httpx2.Headers(client.headers)
            headers.update(self._headers(accept))
        return httpx2.Request(
            "POST",
            self._url(path),
            content=content,
            headers=headers,
            extensions={"timeout": httpx2.Timeout(timeout_s).as_dict()},
        )

    def _fail(self, res: httpx2.Response, text: str, model: str) -> Exception:
        unfit = self.diagnose(res.status_code, error_message(text), model)
        return unfit if unfit is not None else UpstreamError(res.status_code, res.headers, text)

    def _mid_stream(self, message: str, model: str) -> Exception:
        unfit = self.diagnose(None, message, model)
        if unfit is not None:
            return unfit
        return EndpointHTTPError(f"{self.engine} stopped the answer with an error: {message[:160]}")

    async def _post_json(
        self, path: str, body: dict[str, Any], timeout_s: float, model: str = ""
    ) -> Any:
        res = await self._client.post(
            self._base + path,
            content=json.dumps(body).encode(),
            headers=self._headers(),
            timeout=timeout_s,
        )
        if res.status_code >= 400:
            raise self._fail(res, res.text, model)
        return res.json()

    async def _get_json(self, path: str, timeout_s: float) -> Any:
        res = await self._client.get(self._base + path, headers=self._headers(), timeout=timeout_s)
        if res.status_code >= 400:
            raise self._fail(res, res.text, "")
        return res.json()

    async def _lines(
        self, path: str, body: dict[str, Any], timeout_s: float, accept: str, model: str
    ) -> AsyncGenerator[str, None]:
        """The response's lines as they arrive; the response is closed however this ends."""
        request = self.post_request(path, json.dumps(body).encode(), timeout_s, accept)
        res = await self._client.send(request, stream=True)
        try:
            if res.status_code >= 400:
                text = (await res.aread()).decode("utf-8", "replace")
                raise self._fail(res, text, model)
            async for line in res.aiter_lines():
                yield line
        finally:
            await res.aclose()

    async def _sse_data(
        self, path: str, body: dict[str, Any], timeout_s: float, model: str
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Server-sent events' `data:` payloads as JSON objects; `[DONE]` ends the stream.

        `data:` with or without the space (axum writes none, llama.cpp and vLLM write one);
        multi-line data joined as the SSE spec says.
        """
        data: list[str] = []
        # aclosing: at `[DONE]` the response closes now (its connection back in the pool for
        # the next keystroke), not whenever the abandoned generator is finalised.
        lines = self._lines(path, body, timeout_s, "text/event-stream", model)
        async with contextlib.aclosing(lines):
            async for line in lines:
                if line.startswith("data:"):
                    value = line[5:]
                    data.append(value[1:] if value.startswith(" ") else value)
                    continue
                if line or not data:
                    continue  # comments, event:, id:, or a blank line with nothing pending
                payload, data = "\n".join(data), []
                if payload == "[DONE]":
                    return
                yield json.loads(payload)
        if data and data != ["[DONE]"]:
            yield json.loads("\n".join(data))
