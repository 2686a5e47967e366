"""One module per wire protocol; `backend_class` picks the one `endpoint.api` names."""

from __future__ import annotations

from typing import Any

from lsp_server.endpoint.engines.base import Backend, Delta, ModelFacts, UpstreamError
from lsp_server.endpoint.engines.llamacpp import LlamaCppBackend
from lsp_server.endpoint.engines.mistral import MistralBackend, preload_sdk
from lsp_server.endpoint.engines.ollama import OllamaBackend
from lsp_server.endpoint.engines.openai import OpenAIBackend
from lsp_server.endpoint.engines.tgi import TgiBackend

BACKENDS: dict[str, Any] = {
    "mistral": MistralBackend,
    "openai": OpenAIBackend,
    "ollama": OllamaBackend,
    "llamacpp": LlamaCppBackend,
    "tgi": TgiBackend,
}

# How to start each engine when it cannot be reached (the fix of "cannot connect").
START_HINTS: dict[str, str] = {
    "ollama": "start Ollama (`ollama serve`)",
    "llamacpp": "start llama-server (`llama-server -m <codestral>.gguf --port 8080`)",
    "tgi": "start TGI (`text-generation-launcher --model-id <model>`)",
    "openai": "start the OpenAI-compatible server (vLLM: `vllm serve <model>`)",
}


def backend_class(api: str) -> Any:
    return BACKENDS.get(api, MistralBackend)


__all__ = [
    "BACKENDS",
    "START_HINTS",
    "Backend",
    "Delta",
    "ModelFacts",
    "UpstreamError",
    "backend_class",
    "preload_sdk",
]
