"""`mistral.configReport`: the rows of `mistral-lsp config` for the editor — each setting's
effective value and the layer it came from, whether a key is set and where from (never the
key), the policy files, and the settings the editor sent.

Editors use it to show the *effective* endpoint and model and their source: in a remote window
(code-server, SSH) VS Code reads machine-scoped settings from the remote's settings and silently
ignores the user's, so the editor's own view of its settings can be wrong; the server's is not.
"""

from __future__ import annotations

from typing import Any

from lsp_server.config.report import setting_rows
from lsp_server.endpoint.keys import key_presence
from lsp_server.features.base import Feature, command

CONFIG_REPORT_COMMAND = "mistral.configReport"


class ConfigReportFeature(Feature):
    @command(CONFIG_REPORT_COMMAND)
    def config_report(self, *args: Any) -> dict[str, Any]:
        loaded = self.session.config
        endpoint = loaded.settings.endpoint
        return {
            "settings": setting_rows(loaded),
            "endpoint.api_key": key_presence(endpoint.api_key_env, endpoint.api_key_file),
            "endpoint_url": endpoint.base_url or "",
            "policy_files": [str(p) for p in loaded.policy_files],
            "workspace_roots": [str(p) for p in self.session.roots],
            "problems": [str(p) for p in loaded.problems],
        }
