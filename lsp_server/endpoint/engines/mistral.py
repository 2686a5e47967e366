"""The Mistral API: the streamed FIM of every keystroke as plain JSON over the guarded client,
everything else through the mistralai SDK (3.x), with hooks that could export data removed.

Why the keystroke path skips the SDK: per streamed FIM the SDK spent ~3 ms of CPU on the
event loop (type hints re-evaluated per call, pydantic request and per-chunk models, query
parameter reflection) against ~0.5 ms for the same request and events as JSON; that CPU sat
between the debounce and the request leaving, on every completion. The wire format is the
documented `/v1/fim/completions` with `stream: true` (server-sent events, `data: [DONE]`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2

from lsp_server import __version__
from lsp_server.endpoint.engines.base import Delta, HttpEngine, ModelFacts
from lsp_server.endpoint.engines.base import usage_of as _usage
from lsp_server.endpoint.keys import ApiKey

USER_AGENT = f"mistral-lsp/{__version__}"


def _content_text(content: Any) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):  # content chunks: keep the text ones
        return "".join(str(getattr(c, "text", "") or "") for c in content)
    return ""


class _FimWire(HttpEngine):
    """`/v1/fim/completions` streamed as JSON: what the SDK sends, without its per-call cost."""

    engine = "the Mistral API"

    def _headers(self, accept: str = "application/json") -> dict[str, str]:
        return {**super()._headers(accept), "User-Agent": USER_AGENT}

    @staticmethod
    def _body(p: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": p["model"],
            "prompt": p["prompt"],
            "suffix": p["suffix"],
            "max_tokens": p["max_tokens"],
            "temperature": p["temperature"],
            "stream": True,
        }
        if p.get("stop"):
            body["stop"] = list(p["stop"])
        return body

    async def stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]:
        model = str(p["model"])
        chunks = self._sse_data("/v1/fim/completions", self._body(p), timeout_s, model)
        async with contextlib.aclosing(chunks):  # a stop decided early closes the response now
            async for chunk in chunks:
                if "error" in chunk and not chunk.get("choices"):
                    raise self._mid_stream(str(chunk["error"]), model)
                choices = chunk.get("choices") or []
                choice = choices[0] if choices else {}
                reason = choice.get("finish_reason")
                yield Delta(
                    text=_content_text_json((choice.get("delta") or {}).get("content")),
                    finish_reason=reason if isinstance(reason, str) else None,
                    usage=_usage(chunk.get("usage")),
                    model=str(chunk.get("model") or ""),
                )


def _content_text_json(content: Any) -> str:
    """A delta's content as JSON gives it: a string, or chunks whose text ones count."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(c.get("text") or "") for c in content if isinstance(c, dict) and "text" in c
        )
    return ""


def preload_sdk() -> None:
    """Import the SDK modules a request needs (about 0.2 s), so the first keystroke doesn't."""
    import mistralai.client.chat  # noqa: F401
    import mistralai.client.fim  # noqa: F401
    from mistralai.client import models

    for name in ("FIMCompletionStreamRequest", "ChatCompletionStreamRequest", "CompletionEvent"):
        getattr(models, name, None)


class MistralBackend:
    """The Mistral API via the mistralai SDK, with hooks that could export data removed.

    The SDK is built on first use, not with the connection: its import costs 0.3-1 s of CPU,
    and the completions a session starts with never need it (FIM goes as plain JSON).
    """

    engine = "the Mistral API"
    uses_repo_context = False

    def __init__(self, client: httpx2.AsyncClient, base_url: str, key: ApiKey) -> None:
        self._client = client
        self._base_url = base_url
        self._key = key
        self._sdk_instance: Any = None
        self._fim_wire = _FimWire(client, base_url, key)

    @property
    def _sdk(self) -> Any:
        if self._sdk_instance is None:
            from mistralai.client import Mistral
            from mistralai.client.utils.logger import NoOpLogger

            from lsp_server.endpoint.boundary import build_refusing_sync_client

            sdk = Mistral(
                api_key=self._key.reveal,
                server_url=self._base_url,
                client=build_refusing_sync_client(),
                async_client=self._client,
                debug_logger=NoOpLogger(),  # MISTRAL_DEBUG would log headers, key included
            )
            strip_sdk_hooks(sdk)
            install_sdk_model_cache()
            self._sdk_instance = sdk
        return self._sdk_instance

    async def _sdk_ready(self) -> Any:
        """The SDK, imported off the event loop the first time (typing goes on meanwhile)."""
        if self._sdk_instance is None:
            await asyncio.get_running_loop().run_in_executor(None, preload_sdk)
        return self._sdk

    @staticmethod
    def _fim_args(p: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        args = {
            "model": p["model"],
            "prompt": p["prompt"],
            "suffix": p["suffix"],
            "max_tokens": p["max_tokens"],
            "temperature": p["temperature"],
            "timeout_ms": int(timeout_s * 1000),
        }
        if p.get("stop"):
            args["stop"] = list(p["stop"])
        return args

    @staticmethod
    def _chat_args(p: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        return {
            "model": p["model"],
            "messages": p["messages"],
            "max_tokens": p["max_tokens"],
            "temperature": p["temperature"],
            "timeout_ms": int(timeout_s * 1000),
        }

    @staticmethod
    def _delta(event: Any) -> Delta:
        chunk = event.data
        delta = Delta(model=getattr(chunk, "model", "") or "", usage=_usage(chunk.usage))
        if chunk.choices:
            choice = chunk.choices[0]
            delta.text = _content_text(choice.delta.content)
            reason = choice.finish_reason
            delta.finish_reason = reason if isinstance(reason, str) else None
        return delta

    def fim_stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]:
        return self._fim_wire.stream(p, timeout_s)

    async def chat_stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]:
        sdk = await self._sdk_ready()
        stream = await sdk.chat.stream_async(**self._chat_args(p, timeout_s))
        try:
            async for event in stream:
                yield self._delta(event)
        finally:
            await stream.close()

    @staticmethod
    def _whole(res: Any) -> Delta:
        choice = res.choices[0] if res.choices else None
        text = _content_text(choice.message.content) if choice and choice.message else ""
        reason = choice.finish_reason if choice else None
        return Delta(
            text=text,
            finish_reason=reason if isinstance(reason, str) else None,
            usage=_usage(res.usage),
            model=res.model or "",
        )

    async def fim(self, p: dict[str, Any], timeout_s: float) -> Delta:
        sdk = await self._sdk_ready()
        return self._whole(await sdk.fim.complete_async(**self._fim_args(p, timeout_s)))

    async def chat(self, p: dict[str, Any], timeout_s: float) -> Delta:
        sdk = await self._sdk_ready()
        return self._whole(await sdk.chat.complete_async(**self._chat_args(p, timeout_s)))

    async def list_models(self, timeout_s: float) -> list[str]:
        sdk = await self._sdk_ready()
        res = await sdk.models.list_async(timeout_ms=int(timeout_s * 1000))
        return [str(getattr(m, "id", "")) for m in (res.data or []) if getattr(m, "id", None)]

    async def inspect(self, model: str, timeout_s: float) -> ModelFacts:
        """From /v1/models: `capabilities.completion_fim` and `max_context_length`."""
        sdk = await self._sdk_ready()
        res = await sdk.models.list_async(timeout_ms=int(timeout_s * 1000))
        cards: list[Any] = [m for m in (res.data or []) if getattr(m, "id", None)]
        served = tuple(str(m.id) for m in cards)
        card = next((m for m in cards if m.id == model), None)
        if card is None:
            return ModelFacts(False, served)
        caps = getattr(card, "capabilities", None)
        fim = getattr(caps, "completion_fim", None)
        ctx = getattr(card, "max_context_length", None)
        return ModelFacts(
            True,
            served,
            can_fim=fim if isinstance(fim, bool) else None,
            context_length=ctx if isinstance(ctx, int) else None,
        )


def install_sdk_model_cache() -> None:
    """Cache the pydantic models the SDK builds per call.

    mistralai's `utils.serializers.unmarshal` / `marshal_json` call `pydantic.create_model`
    on every request and on every SSE chunk; the model depends only on the type, so caching
    it is equivalent. Measured on a 30-chunk completion: 12.9 ms of CPU per request without,
    4.3 ms with. Idempotent; unhashable types fall back to the original.
    """
    from mistralai.client.utils import serializers

    original = getattr(serializers, "create_model")  # noqa: B009 - not re-exported
    if getattr(original, "_mistral_lsp_cached", False):
        return
    cache: dict[Any, Any] = {}

    def cached_create_model(name: str, /, **kwargs: Any) -> Any:
        body = kwargs.get("body")
        if set(kwargs) - {"body", "__config__"} or not isinstance(body, tuple):
            return original(name, **kwargs)
        try:
            key = (name, body)
            model = cache.get(key)
        except TypeError:
            return original(name, **kwargs)
        if model is None:
            model = cache[key] = original(name, **kwargs)
        return model

    cached_create_model._mistral_lsp_cached = True  # type: ignore[attr-defined]
    setattr(serializers, "create_model", cached_create_model)  # noqa: B010


def strip_sdk_hooks(sdk: Any) -> None:
    """Keep only the user-agent hook: tracing (OpenTelemetry export, MISTRAL_SDK_TELEMETRY),
    service-account tokens and workflow hooks have no business in a code assistant."""
    from mistralai.client._hooks.custom_user_agent import CustomUserAgentHook

    hooks = sdk.sdk_configuration.__dict__["_hooks"]
    hooks.sdk_init_hooks = []
    hooks.before_request_hooks = [
        h for h in hooks.before_request_hooks if isinstance(h, CustomUserAgentHook)
    ]
    hooks.after_success_hooks = []
    hooks.after_error_hooks = []
