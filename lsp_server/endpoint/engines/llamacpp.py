"""llama.cpp's llama-server: /infill for FIM, its OpenAI-compatible route for chat.

Followed: llama.cpp `tools/server/README.md` and `server.cpp` (b4000-b6000 era).
- /infill takes `input_prefix` and `input_suffix` (both required, sent even when empty) and
  `input_extra`, an array of `{filename, text}` chunks: the repository context, which the
  server lays out with the model's FIM_REP/FIM_SEP tokens. FIM tokens written inside these
  texts are tokenized as plain text, so nothing needs neutralising here.
- A model whose vocabulary lacks FIM tokens answers 501 "Infill is not supported by this
  model: ..." (error JSON `{"error": {"code", "message", "type"}}`).
- No stream unless `"stream": true`; the native stream is `data: {"content", "stop", ...}`
  events with no `[DONE]`: the event with `"stop": true` is the last. The limit is
  `n_predict`. Its /v1/completions rejects `suffix`, hence /infill.
- One model per server: the `model` field is not used to choose; /props reports `n_ctx`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from lsp_server.endpoint.engines.base import Delta, ModelFacts
from lsp_server.endpoint.engines.openai import OpenAIBackend
from lsp_server.endpoint.errors import ModelUnfit

_STOP_TYPES = {"eos": "stop", "word": "stop", "limit": "length"}


class LlamaCppBackend(OpenAIBackend):
    engine = "llama.cpp"
    uses_repo_context = True

    def diagnose(self, status: int | None, message: str, model: str) -> ModelUnfit | None:
        if "infill is not supported" in message.lower():
            return ModelUnfit(
                f"the model llama-server loaded cannot fill in the middle ({message.strip()})",
                "start llama-server with a FIM model such as a Codestral GGUF",
            )
        return None

    @staticmethod
    def _infill_body(p: dict[str, Any], stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "input_prefix": p["prompt"],
            "input_suffix": p["suffix"],
            "input_extra": [{"filename": f, "text": t} for f, t in p.get("extra") or ()],
            "n_predict": p["max_tokens"],
            "temperature": p["temperature"],
            "stream": stream,
            "cache_prompt": True,
        }
        if p.get("stop"):
            body["stop"] = list(p["stop"])
        return body

    @staticmethod
    def _delta(obj: dict[str, Any]) -> Delta:
        delta = Delta(text=str(obj.get("content") or ""), model=str(obj.get("model") or ""))
        if obj.get("stop"):
            delta.finish_reason = _STOP_TYPES.get(str(obj.get("stop_type") or "eos"), "stop")
            prompt, completion = obj.get("tokens_evaluated"), obj.get("tokens_predicted")
            if isinstance(prompt, int) and isinstance(completion, int):
                delta.usage = {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                }
        return delta

    async def fim_stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]:
        async for obj in self._sse_data("/infill", self._infill_body(p, True), timeout_s, ""):
            if "error" in obj and "content" not in obj:
                error = obj["error"]
                message = error.get("message") if isinstance(error, dict) else error
                raise self._mid_stream(str(message), "")
            delta = self._delta(obj)
            yield delta
            if delta.finish_reason:
                return  # the last event: no [DONE] follows

    async def fim(self, p: dict[str, Any], timeout_s: float) -> Delta:
        return self._delta(await self._post_json("/infill", self._infill_body(p, False), timeout_s))

    async def inspect(self, model: str, timeout_s: float) -> ModelFacts:
        """/v1/models names the loaded model; /props gives the context the server runs with."""
        served = tuple(await self.list_models(timeout_s))
        props = await self._get_json("/props", timeout_s)
        settings = props.get("default_generation_settings") or {}
        ctx = settings.get("n_ctx")
        note = ""
        if served and model not in served:
            note = f"llama-server serves {served[0]} whatever the request names"
        return ModelFacts(True, served, None, ctx if isinstance(ctx, int) else None, note)
