"""Ollama's own API: /api/generate (prompt + suffix), /api/chat, /api/tags, /api/show.

Followed: ollama v0.5-v0.12 `docs/api.md` and `server/routes.go` (GenerateHandler).
- Unknown top-level fields are ignored silently: the limit is `options.num_predict` (a
  `max_tokens` would be dropped and generation would run to -1, no limit), likewise
  `options.temperature`, `options.stop`, `options.num_ctx`.
- A non-empty `suffix` requires the model's "insert" capability, else 400
  `"<model>" does not support insert`; `raw` skips the template and with it the suffix, so it
  is never sent. The model's template lays out Codestral's [SUFFIX]/[PREFIX] itself.
- Streams are NDJSON (application/x-ndjson); an error can arrive mid-stream as an
  `{"error": "..."}` line after a 200. A missing model is 404 `model 'x' not found`.
- Model names default to the `latest` tag: `codestral` is `codestral:latest`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from lsp_server.endpoint.engines.base import Delta, HttpEngine, ModelFacts
from lsp_server.endpoint.errors import ModelUnfit

FIM_MODEL_HINT = "use a FIM model such as codestral (`ollama pull codestral`)"


def same_model(a: str, b: str) -> bool:
    """`codestral` and `codestral:latest` name the same model."""

    def norm(name: str) -> str:
        return name if ":" in name.rsplit("/", 1)[-1] else name + ":latest"

    return norm(a) == norm(b)


class OllamaBackend(HttpEngine):
    engine = "Ollama"

    def diagnose(self, status: int | None, message: str, model: str) -> ModelUnfit | None:
        low = message.lower()
        if "does not support insert" in low:
            return ModelUnfit(
                f"{model} cannot fill in the middle (Ollama: no 'insert' capability)",
                FIM_MODEL_HINT,
            )
        if "not found" in low and "model" in low:
            return ModelUnfit(
                f"{model} is not installed in Ollama ({message})",
                f"run `ollama pull {model}`, or set models.completion to one `ollama list` shows",
            )
        if "does not support generate" in low or "does not support chat" in low:
            return ModelUnfit(f"{model} cannot generate text in Ollama", FIM_MODEL_HINT)
        return None

    @staticmethod
    def _options(p: dict[str, Any]) -> dict[str, Any]:
        options: dict[str, Any] = {
            "num_predict": p["max_tokens"],
            "temperature": p["temperature"],
        }
        if p.get("stop"):
            options["stop"] = list(p["stop"])
        if p.get("num_ctx"):
            options["num_ctx"] = p["num_ctx"]
        return options

    def _generate_body(self, p: dict[str, Any], stream: bool) -> dict[str, Any]:
        return {
            "model": p["model"],
            "prompt": p["prompt"],
            "suffix": p["suffix"],
            "stream": stream,
            "options": self._options(p),
        }

    def _chat_body(self, p: dict[str, Any], stream: bool) -> dict[str, Any]:
        return {
            "model": p["model"],
            "messages": p["messages"],
            "stream": stream,
            "options": self._options(p),
        }

    @staticmethod
    def _delta(obj: dict[str, Any], chat: bool) -> Delta:
        text = (obj.get("message") or {}).get("content") if chat else obj.get("response")
        delta = Delta(text=str(text or ""), model=str(obj.get("model") or ""))
        if obj.get("done"):
            delta.finish_reason = str(obj.get("done_reason") or "stop")
            prompt, completion = obj.get("prompt_eval_count"), obj.get("eval_count")
            if isinstance(prompt, int) and isinstance(completion, int):
                delta.usage = {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                }
        return delta

    async def _ndjson(
        self, path: str, body: dict[str, Any], timeout_s: float, chat: bool
    ) -> AsyncIterator[Delta]:
        model = str(body["model"])
        async for line in self._lines(path, body, timeout_s, "application/x-ndjson", model):
            if not line.strip():
                continue
            obj = json.loads(line)
            if "error" in obj:
                raise self._mid_stream(str(obj["error"]), model)
            yield self._delta(obj, chat)

    def fim_stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]:
        return self._ndjson("/api/generate", self._generate_body(p, True), timeout_s, False)

    def chat_stream(self, p: dict[str, Any], timeout_s: float) -> AsyncIterator[Delta]:
        return self._ndjson("/api/chat", self._chat_body(p, True), timeout_s, True)

    async def fim(self, p: dict[str, Any], timeout_s: float) -> Delta:
        body = self._generate_body(p, False)
        res = await self._post_json("/api/generate", body, timeout_s, p["model"])
        return self._delta(res, False)

    async def chat(self, p: dict[str, Any], timeout_s: float) -> Delta:
        body = self._chat_body(p, False)
        return self._delta(await self._post_json("/api/chat", body, timeout_s, p["model"]), True)

    async def list_models(self, timeout_s: float) -> list[str]:
        res = await self._get_json("/api/tags", timeout_s)
        return [str(m.get("name")) for m in (res.get("models") or []) if m.get("name")]

    async def inspect(self, model: str, timeout_s: float) -> ModelFacts:
        """/api/tags for the names, /api/show for `capabilities` and `<arch>.context_length`."""
        served = tuple(await self.list_models(timeout_s))
        if not any(same_model(model, name) for name in served):
            return ModelFacts(False, served)
        show = await self._post_json("/api/show", {"model": model}, timeout_s, model)
        caps = show.get("capabilities")
        can_fim = "insert" in caps if isinstance(caps, list) else None
        info = show.get("model_info") or {}
        ctx = next(
            (v for k, v in info.items() if k.endswith(".context_length") and isinstance(v, int)),
            None,
        )
        note = "" if isinstance(caps, list) else "this Ollama is too old to report capabilities"
        return ModelFacts(True, served, can_fim, ctx, note)
