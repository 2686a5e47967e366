"""A member name a hundred classes define (`run`, `__init__`) is looked up in the classes
the receiver is known to be of, not read a hundred times over: the prompt shows the same
`Worker.run`, and the index hands out a few rows instead of every `run`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from lsp_server.context import ContextBuilder, gather
from lsp_server.context.view import clear_shared_cache
from lsp_server.index.model import Definition
from lsp_server.index.repo_index import IndexOptions, RepoIndex

from .repo_prompt import write_repo

CLASSES = 120
FILES = {
    **{
        f"jobs/job{i}.py": f"class Job{i}:\n    def run(self, n{i}):\n        return n{i}\n"
        for i in range(CLASSES)
    },
    "worker.py": "class Worker:\n    def run(self, job, retries=3):\n        return job\n",
    "main.py": "from worker import Worker\n\n\ndef go(w: Worker):\n    w.run(1)\n    w.",
}


class CountingIndex(RepoIndex):
    """A real index that counts the `run` rows it hands out."""

    runs = 0

    def _counted(self, found: Iterable[Definition]) -> list[Definition]:
        found = list(found)
        self.runs += sum(d.name == "run" for d in found)
        return found

    def definitions_named(self, names: Iterable[str], parts: Iterable[str]) -> list[Definition]:
        return self._counted(super().definitions_named(names, parts))

    def members_named(self, name: str, containers: Iterable[str]) -> list[Definition]:
        return self._counted(super().members_named(name, containers))

    def definitions(self, name: str, in_files: Iterable[str] | None = None) -> list[Definition]:
        return self._counted(super().definitions(name, in_files))


@pytest.fixture
def index(tmp_path: Path) -> Iterator[CountingIndex]:
    built = CountingIndex(write_repo(tmp_path / "repo", FILES), IndexOptions(cache_dir=tmp_path))
    built.build()
    clear_shared_cache()
    yield built
    built.close()
    clear_shared_cache()


def _prompt(index: CountingIndex) -> str:
    text = FILES["main.py"]
    path = index.root / "main.py"
    index.update_text(path, text)
    context = ContextBuilder(index, is_excluded=lambda _p: False).build(
        path=path, language_id="python", text=text, offset=len(text), budget_tokens=800
    )
    return context.prefix


def test_a_common_member_name_is_read_in_the_known_classes(index: CountingIndex) -> None:
    assert index.member_counts(["run"]) == {"run": CLASSES + 1}
    assert "def run(self, job, retries=3)" in _prompt(index)
    assert index.runs <= 3


def test_control_a_rare_name_is_read_whole(
    index: CountingIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gather, "COMMON_MEMBERS", CLASSES * 2)
    assert "def run(self, job, retries=3)" in _prompt(index)
    assert index.runs > CLASSES
