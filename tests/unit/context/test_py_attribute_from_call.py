"""Python: an attribute assigned what a method of an annotated parameter returns
(`self.feed = environment.tokenize(source)` in `__init__(self, environment: Environment)`)
holds that method's declared return type: the class whose members `self.feed.` offers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context import receivers
from lsp_server.context.view import IndexView
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed

FILLER = "".join(
    f"\n    def helper_{i}(self, value: str) -> str:\n        return value * {i}\n"
    for i in range(40)
)

FILES = {
    "tpl/__init__.py": "",
    "tpl/lexer.py": (
        "class Token:\n    pass\n\n\n"
        "class TokenStream:\n"
        "    def expect(self, expr: str) -> Token:\n        return Token()\n\n"
        "    def look(self) -> Token:\n        return Token()\n"
    ),
    "tpl/environment.py": (
        "from tpl.lexer import TokenStream\n\n\n"
        "class Environment:\n"
        "    def tokenize(self, source: str) -> TokenStream:\n        return TokenStream()\n"
        f"{FILLER}"
    ),
    "tpl/parser.py": (
        "from tpl import environment as env\n\n\n"
        "class Parser:\n"
        "    def __init__(self, environment: env.Environment, source: str) -> None:\n"
        "        self.feed = environment.tokenize(source)\n\n"
        "    def parse_name(self) -> None:\n"
        "        self.feed."
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "py-attr-call")


def _feed_type(index: RepoIndex) -> str | None:
    view = IndexView(index, lambda _path: True, "tpl/other.py")
    parser = next(d for d in view.file_definitions("tpl/parser.py") if d.name == "Parser")
    return receivers.member_type(view, [parser], "feed", "python")


def test_the_attribute_holds_what_the_method_returns(index: RepoIndex) -> None:
    assert _feed_type(index) == "TokenStream"


def test_control_without_following_the_call(
    index: RepoIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receivers, "_method_returns", lambda *_args: None)
    assert _feed_type(index) is None


def test_a_parameter_assigned_as_is_still_typed() -> None:
    assigned = receivers._SELF_FROM_NAME.match("self.feed = environment")
    assert assigned is not None and assigned.groups() == ("feed", "environment", None)
    called = receivers._SELF_FROM_NAME.match("self.feed = environment.tokenize(\n  source)")
    assert called is not None and called.groups() == ("feed", "environment", "tokenize")
    assert receivers._SELF_FROM_NAME.match("self.feed = environment + 1") is None
