"""Go package selectors: `util.IsBlank(` names a definition in ANY file of the package's
directory (not only the first one), exported names only, never `_`, test files only when
a test is edited; names of the own package come from sibling files."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context.members import module_members
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

FILLER = "".join(
    f'\nfunc Helper{letter}{i}(value string) string {{\n\treturn value + "{letter}{i}"\n}}\n'
    for letter in "AB"
    for i in range(12)
)


def _files() -> dict[str, str]:
    files = {"go.mod": "module example.com/app\n\ngo 1.21\n"}
    # 20 files before the one that defines IsBlank (alphabetically): `util.` must reach it
    for i in range(20):
        files[f"util/a{i:02d}.go"] = f"package util\n{FILLER.replace('Helper', f'H{i}x')}"
    files["util/strings.go"] = (
        "package util\n\nconst (\n\t_ resultFlags = (1 << iota) / 2\n\tFlagA\n)\n\n"
        "type resultFlags int\n\n"
        "// IsBlank reports whether s holds only spaces.\n"
        "func IsBlank(s string) bool {\n\treturn len(s) == 0\n}\n\n"
        "func isSecret(s string) bool {\n\treturn false\n}\n"
    )
    files["util/strings_test.go"] = (
        'package util\n\nfunc blankFixture() string {\n\treturn "  "\n}\n'
    )
    files["cmd/main.go"] = (
        'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/app/util"\n)\n\n'
        'func main() {\n\tif util.IsBlank("x") {\n\t\tfmt.Println(1)\n\t}\n'
    )
    files["util/sibling.go"] = "package util\n\nfunc trimAll(s string) string {\n\treturn s\n}\n"
    return files


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, _files(), "go")


def _main(index: RepoIndex, tail: str) -> str:
    text = (index.root / "cmd/main.go").read_text()
    return prompt(index, "cmd/main.go", text + tail, budget=700)


@pytest.mark.parametrize("tail", ["\tok := util.Is", "\tok := util.", "\tok := "])
def test_selector_reaches_every_file_of_the_package(index: RepoIndex, tail: str) -> None:
    assert "func IsBlank(s string) bool" in _main(index, tail)


def test_control_without_the_import_the_package_is_not_shown(index: RepoIndex) -> None:
    text = "package main\n\nfunc main() {\n\tok := util.Is"
    assert "func IsBlank(" not in prompt(index, "cmd/other.go", text, budget=700)


def test_unexported_names_blank_constants_and_tests_stay_out(index: RepoIndex) -> None:
    shown = _main(index, "\tok := util.")
    assert "isSecret" not in shown
    assert "_ resultFlags" not in shown
    assert "blankFixture" not in shown


def test_a_test_file_sees_the_test_helpers_of_its_package(index: RepoIndex) -> None:
    text = "package util\n\nfunc TestBlank(t *testing.T) {\n\ts := blankFixture()\n\t_ = s\n\tbl"
    assert "func blankFixture() string" in prompt(index, "util/blank_test.go", text)
    control = "package util\n\nfunc Blank() {\n\ts := blankFixture()\n\t_ = s\n\tbl"
    assert "func blankFixture() string" not in prompt(index, "util/blank.go", control)


def test_same_package_name_from_a_sibling_file(index: RepoIndex) -> None:
    text = (
        "package util\n\nfunc Clean(s string) string {\n"
        "\tif IsBlank(s) {\n\t\treturn trimAll(s)\n\t}\n\t"
    )
    assert "func trimAll(s string) string" in prompt(index, "util/clean.go", text)


def test_offline_items_after_the_selector_come_from_every_file(index: RepoIndex) -> None:
    """The same resolution serves the completion items offered without an endpoint."""
    text = (index.root / "cmd/main.go").read_text() + "\tok := util.I"
    lines = text.split("\n")
    found = module_members(index, "cmd/main.go", "go", lines, "util", "I") or []
    names = [d.name for d in found]
    assert names[0] == "IsBlank"
    assert len(names) == len(set(names))
    last_file = module_members(index, "cmd/main.go", "go", lines, "util", "H19") or []
    assert "H19xB11" in {d.name for d in last_file}
    everything = module_members(index, "cmd/main.go", "go", lines, "util", "") or []
    assert {"IsBlank", "H0xA0"} <= {d.name for d in everything}
    assert not any(d.name in ("isSecret", "_", "blankFixture", "trimAll") for d in everything)
    # control: `fmt` (outside the repository) and a variable are not modules here
    assert module_members(index, "cmd/main.go", "go", lines, "fmt", "") is None
    assert module_members(index, "cmd/main.go", "go", lines, "ok", "") is None


def test_offline_completion_items_after_the_selector(
    index: RepoIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`util.` with no endpoint: the completion items are the package's exported names from
    every file, typed prefix first (control: the lookup by import path offered nothing)."""
    from types import SimpleNamespace

    from lsp_server.completion import index_items as items_module

    session = SimpleNamespace(index_for=lambda _path: index)
    path = index.root / "cmd/main.go"

    def labels(tail: str) -> list[str]:
        text = path.read_text() + tail
        found = items_module.index_items(session, path, text, len(text))  # type: ignore[arg-type]
        return [item.label for item in found]

    assert labels("\tok := util.I")[0] == "IsBlank"
    everything = labels("\tok := util.")
    assert {"IsBlank", "H0xA0"} <= set(everything)
    assert not {"isSecret", "blankFixture"} & set(everything)
    monkeypatch.setattr(items_module, "_module_receiver", lambda *_args: None)
    assert labels("\tok := util.") == []
