"""vLLM, LM Studio and other OpenAI-compatible servers: /v1/completions, /v1/chat/completions.

Followed: vLLM 0.6-0.8 `entrypoints/openai/protocol.py` and `serving_completion.py`.
- `max_tokens` defaults to 16 on /v1/completions: always sent.
- `suffix` is rejected ("suffix is not currently supported"): FIM goes into `prompt` in the
  served model's own layout (engines/fim.py), without BOS (vLLM adds it).
- An unknown model answers 404 "The model `x` does not exist." (`_check_model`).
- Streams are server-sent events ending with `data: [DONE]`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from lsp_server.endpoint.engines.base import Delta, HttpEngine, ModelFacts, usage_of
from lsp_server.endpoint.engines.fim import layout_for
from lsp_server.endpoint.errors import ModelUnfit


class OpenAIBackend(HttpEngine):
    """An OpenAI-compatible server (vLLM, LM Studio, the Mistral self-deployment recipes)."""

    engine = "the OpenAI-compatible server"

    def diagnose(self, status: int | None, message: str, model: str) -> ModelUnfit | None:
        low = message.lower()
        if status == 404 and "model" in low and ("not exist" in low or "not found" in low):
            return ModelUnfit(
                f"{model} is not served by this server ({message})",
                "set models.completion to a model `mistral-lsp doctor` lists",
            )
        return None

    def _completion_body(self, p: dict[str, Any], stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": p["model"],
            "prompt": layout_for(p["model"]).render(p["prompt"], p["suffix"]),
            "max_tokens": p["max_tokens"],
            "temperature": p["temperature"],
            "stream": stream,
        }
        if p.get("stop"):
            body["stop"] = list(p["stop"])
        return body

    @staticmethod
    def _chat_body(p: dict[str, Any], stream: bool) -> dict[str, Any]:
        return {
            "model": p["model"],
            "messages": p["messages"],
            "max_tokens": p["max_tokens"],
            "temperature": p["temperature"],
            "stream": stream,
        }

    async def _stream(
        self, path: str, body: dict[str, Any], timeout_s: float, chat: bool
    ) -> AsyncIterator[Delta]:
        async for chunk in self._sse_data(path, body, timeout_s, str(body["model"])):
            if "error" in chunk and not chunk.get("choices"):
                raise self._mid_stream(str(chunk["error"]), str(body["model"]))
            choices = chunk.get("choices") or []
            choice = choices[0] if choices else {}
            text = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
            yield Delta(
                text=text or "",
                finish_reason=choice.get("finish_reason"),
                usage=usage_of(chunk.get("usage")),
                model=str(chunk.get("model") or ""),
            )

    def fim_stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]:
        return self._stream("/v1/completions", self._completion_body(p, True), timeout_s, False)

    def chat_stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]:
        return self._stream("/v1/chat/completions", self._chat_body(p, True), timeout_s, True)

    async def fim(self, p: dict[str, Any], timeout_s: float) -> Delta:
        body = self._completion_body(p, False)
        res = await self._post_json("/v1/completions", body, timeout_s, p["model"])
        choice = (res.get("choices") or [{}])[0]
        return Delta(
            text=str(choice.get("text") or ""),
            finish_reason=choice.get("finish_reason"),
            usage=usage_of(res.get("usage")),
            model=str(res.get("model") or ""),
        )

    async def chat(self, p: dict[str, Any], timeout_s: float) -> Delta:
        body = self._chat_body(p, False)
        res = await self._post_json("/v1/chat/completions", body, timeout_s, p["model"])
        choice = (res.get("choices") or [{}])[0]
        return Delta(
            text=str((choice.get("message") or {}).get("content") or ""),
            finish_reason=choice.get("finish_reason"),
            usage=usage_of(res.get("usage")),
            model=str(res.get("model") or ""),
        )

    async def _cards(self, timeout_s: float) -> list[dict[str, Any]]:
        res = await self._get_json("/v1/models", timeout_s)
        return [m for m in (res.get("data") or []) if isinstance(m, dict) and m.get("id")]

    async def list_models(self, timeout_s: float) -> list[str]:
        return [str(m["id"]) for m in await self._cards(timeout_s)]

    async def inspect(self, model: str, timeout_s: float) -> ModelFacts:
        """/v1/models; vLLM adds `max_model_len`. Whether it can FIM needs a live probe."""
        cards = await self._cards(timeout_s)
        served = tuple(str(m["id"]) for m in cards)
        card = next((m for m in cards if m["id"] == model), None)
        if card is None:
            return ModelFacts(False, served)
        ctx = card.get("max_model_len")
        return ModelFacts(True, served, None, ctx if isinstance(ctx, int) else None)
