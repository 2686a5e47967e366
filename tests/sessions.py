"""A Session isolated from the machine's configuration: no policy files, a user file of the
test's own, and optionally fixed editor settings (as an editor would send them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsp_server.config import LoadedConfig, load_settings
from lsp_server.session import Session


def isolated_session(
    tmp_path: Path, editor: dict[str, Any] | None = None, user: str = "", *, serving: bool = False
) -> Session:
    """`editor`, when given, replaces whatever `configure` passes (the tests' fixed settings);
    `serving`: a language server's session."""
    user_path = tmp_path / "user.toml"
    user_path.write_text(user)

    def loader(roots: Any, given: Any = None) -> LoadedConfig:
        settings = editor if editor is not None else given
        return load_settings(roots, settings, user_path=user_path, policy_paths=[])

    return Session(config_loader=loader, serving=serving)
