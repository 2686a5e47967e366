"""Python definitions written on one line (`class MissingKey(KeyError): pass`, a stub's
`def load(path: str) -> str: ...`) are shown as written, not as a header over an elided
body that misquotes them; longer ones keep their elided body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context.source import SourceLines
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

FILES = {
    "store/__init__.py": "",
    "store/errors.py": (
        "class StoreError(Exception):\n"
        '    """Base of the store\'s errors."""\n\n\n'
        "class MissingKey(StoreError, KeyError): pass\n\n\n"
        "class ReadOnly(StoreError): ...\n"
    ),
    "store/api.pyi": (
        "def load(path: str) -> bytes: ...\ndef save(path: str, data: bytes) -> None: ...\n"
    ),
    "store/base.py": (
        "class Backend:\n"
        "    def close(self) -> None: pass\n\n"
        "    def get(self, key: str) -> bytes:\n"
        "        return b''\n"
    ),
    "store/use.py": (
        "from store import api, errors\n"
        "from store.base import Backend\n\n\n"
        "class Memory(Backend):\n"
        "    def fetch(self, key: str) -> bytes:\n"
        "        if not key:\n"
        "            raise errors.MissingKey(key)\n"
        "        data = api.load(key)\n"
        "        raise errors.ReadOnly(key)\n"
        "        "
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "py-one-liners")


def _prompt(index: RepoIndex) -> str:
    return prompt(index, "store/use.py", FILES["store/use.py"], budget=1500)


WRITTEN = (
    "class MissingKey(StoreError, KeyError): pass\n",
    "class ReadOnly(StoreError): ...\n",
    "def load(path: str) -> bytes: ...\n",
    "    def close(self) -> None: pass\n",
)


def test_one_line_definitions_are_shown_as_written(index: RepoIndex) -> None:
    text = _prompt(index)
    for line in WRITTEN:
        assert line in text
    assert "pass:" not in text and "pass ..." not in text and ": ...:" not in text
    # a definition over several lines keeps its header and elided body
    assert "    def get(self, key: str) -> bytes: ...\n" in text


def test_control_headers_over_elided_bodies(
    index: RepoIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SourceLines, "_python_one_liner", lambda _self, definition: definition)
    text = _prompt(index)
    assert "class MissingKey(StoreError, KeyError):" in text  # shown, but misquoted
    assert not any(line in text for line in WRITTEN[:2])
