"""Hugging Face Text Generation Inference: /generate_stream for FIM, /v1/chat/completions.

Followed: text-generation-inference v2.x-v3.x `router/src/validation.rs`, `server.rs` and
`docs/source/basic_tutorials/request_parameters.md`.
- Native routes reject `temperature` <= 0 ("temperature must be strictly positive"): greedy
  is `do_sample: false` with no temperature.
- At most `--max-stop-sequences` (default 4) stop sequences: the first 4 are sent; the
  service's own stop check covers the rest.
- /generate_stream answers 200 and reports a validation or generation error as an SSE event
  `{"error": "...", "error_type": "validation"}`; token events are
  `{"token": {"text", "special"}, "generated_text", "details"}`, the last one carrying
  `details.finish_reason` ("length" | "eos_token" | "stop_sequence").
- The prompt goes in `inputs` in the model's FIM layout, no BOS (added by the tokenizer).
- One model per server (`/info` `model_id`); /v1/completions rejects `suffix`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from lsp_server.endpoint.engines.base import Delta, ModelFacts
from lsp_server.endpoint.engines.fim import layout_for
from lsp_server.endpoint.engines.openai import OpenAIBackend
from lsp_server.endpoint.errors import ModelUnfit

MAX_STOP_SEQUENCES = 4
_FINISH = {"length": "length", "eos_token": "stop", "stop_sequence": "stop"}


class TgiBackend(OpenAIBackend):
    engine = "TGI"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._served_model = ""  # /info's model_id, once known: it decides the FIM layout

    def diagnose(self, status: int | None, message: str, model: str) -> ModelUnfit | None:
        low = message.lower()
        if "input validation error" in low and ("tokens" in low or "inputs" in low):
            return ModelUnfit(
                f"TGI refused the prompt ({message[:120]})",
                "lower completion.context_tokens below TGI's --max-input-tokens",
            )
        return None

    def _generate_body(self, p: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "max_new_tokens": p["max_tokens"],
            "return_full_text": False,
            "details": True,
        }
        if p["temperature"] > 0:
            params.update(do_sample=True, temperature=p["temperature"])
        else:
            params["do_sample"] = False
        if p.get("stop"):
            params["stop"] = list(p["stop"])[:MAX_STOP_SEQUENCES]
        prompt = layout_for(self._served_model or p["model"]).render(p["prompt"], p["suffix"])
        return {"inputs": prompt, "parameters": params}

    async def fim_stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]:
        body = self._generate_body(p)
        async for obj in self._sse_data("/generate_stream", body, timeout_s, p["model"]):
            if "error" in obj:
                raise self._mid_stream(str(obj["error"]), p["model"])
            token = obj.get("token") or {}
            text = "" if token.get("special") else str(token.get("text") or "")
            delta = Delta(text=text)
            details = obj.get("details")
            if isinstance(details, dict) and details.get("finish_reason"):
                delta.finish_reason = _FINISH.get(str(details["finish_reason"]), "stop")
                generated = details.get("generated_tokens")
                if isinstance(generated, int):
                    delta.usage = {"completion_tokens": generated}
            yield delta

    async def fim(self, p: dict[str, Any], timeout_s: float) -> Delta:
        res = await self._post_json("/generate", self._generate_body(p), timeout_s, p["model"])
        details = res.get("details") or {}
        reason = details.get("finish_reason")
        return Delta(
            text=str(res.get("generated_text") or ""),
            finish_reason=_FINISH.get(str(reason), "stop") if reason else "stop",
        )

    async def _info(self, timeout_s: float) -> dict[str, Any]:
        info = await self._get_json("/info", timeout_s)
        self._served_model = str(info.get("model_id") or "")
        return info if isinstance(info, dict) else {}

    async def list_models(self, timeout_s: float) -> list[str]:
        info = await self._info(timeout_s)
        return [str(info["model_id"])] if info.get("model_id") else []

    async def inspect(self, model: str, timeout_s: float) -> ModelFacts:
        info = await self._info(timeout_s)
        served = (str(info["model_id"]),) if info.get("model_id") else ()
        ctx = info.get("max_input_tokens") or info.get("max_input_length")
        note = ""
        if served and model not in served:
            note = f"TGI serves {served[0]} whatever the request names"
        return ModelFacts(True, served, None, ctx if isinstance(ctx, int) else None, note)
