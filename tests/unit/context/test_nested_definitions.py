"""A function local to a function of another file (a closure, a test's helper) is not a
candidate for a bare name: the file being edited cannot call it, and several such
closures of one name would fill the prompt with the same header."""

from __future__ import annotations

from pathlib import Path

from .repo_prompt import build_index, prompt, write_repo

ROUTING = "".join(
    f"def wrap_{kind}(func):\n    async def app(scope, receive_{kind}):\n"
    f"        await func(scope)\n\n    return app\n\n\n"
    for kind in ("request", "websocket", "session")
)
EDITED = "def handle(scope):\n    result = app(scope, None)\n    return "


def test_closures_of_another_file_are_not_candidates(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "repo", {"routing.py": ROUTING, "handler.py": ""})
    index = build_index(root, tmp_path / "cache")
    try:
        shown = prompt(index, "handler.py", EDITED)
    finally:
        index.close()
    assert "async def app(scope, receive_" not in shown


def test_control_a_module_level_function_of_that_name_is_shown(tmp_path: Path) -> None:
    files = {"routing.py": ROUTING, "apps.py": "def app(scope, receive_top):\n    pass\n"}
    root = write_repo(tmp_path / "repo", files | {"handler.py": ""})
    index = build_index(root, tmp_path / "cache")
    try:
        shown = prompt(index, "handler.py", EDITED)
    finally:
        index.close()
    assert "def app(scope, receive_top)" in shown
    assert "async def app(scope, receive_" not in shown


def test_closures_are_not_taken_for_members_either(tmp_path: Path) -> None:
    """`self.app(` in a class: the closures named `app` elsewhere are not its member."""
    root = write_repo(tmp_path / "repo", {"routing.py": ROUTING, "handler.py": ""})
    index = build_index(root, tmp_path / "cache")
    lines = ["class Middleware:", "    def __call__(self, scope):", "        await self.app(scope)"]
    text = "\n".join(lines) + "\n        "
    try:
        shown = prompt(index, "handler.py", text)
    finally:
        index.close()
    assert "async def app(scope, receive_" not in shown
