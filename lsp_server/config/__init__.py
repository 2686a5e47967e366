"""Typed settings, the layers they come from, and the policy that locks some of them."""

from lsp_server.config.loader import ConfigProblem, LoadedConfig, load_settings
from lsp_server.config.settings import Settings

__all__ = ["ConfigProblem", "LoadedConfig", "Settings", "load_settings"]
