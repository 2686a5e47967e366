"""Kept for imports of the old single module: the engines now live in `endpoint/engines/`."""

from lsp_server.endpoint.engines.base import Backend, Delta, UpstreamError
from lsp_server.endpoint.engines.fim import codestral_fim_prompt
from lsp_server.endpoint.engines.mistral import (
    MistralBackend,
    install_sdk_model_cache,
    preload_sdk,
    strip_sdk_hooks,
)
from lsp_server.endpoint.engines.openai import OpenAIBackend

__all__ = [
    "Backend",
    "Delta",
    "MistralBackend",
    "OpenAIBackend",
    "UpstreamError",
    "codestral_fim_prompt",
    "install_sdk_model_cache",
    "preload_sdk",
    "strip_sdk_hooks",
]
