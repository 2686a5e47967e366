"""Go: with nothing of a same-package call typed yet, the declarations beside the ones this
file already uses come first (`readAsCSV` used above: `writeAsCSV`, defined next to it, is
likely next), among the many of a package no import narrows down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context import gather
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

FILLER = "".join(
    f'\nfunc Convert{letter}{i}(value string) string {{\n\treturn value + "{letter}{i}"\n}}\n'
    for letter in "AB"
    for i in range(10)
)


def _files() -> dict[str, str]:
    files = {"go.mod": "module example.com/flags\n\ngo 1.21\n"}
    for i in range(24):  # many declarations of the package that this file never uses
        files[f"flags/a{i:02d}.go"] = f"package flags\n{FILLER.replace('Convert', f'C{i}x')}"
    files["flags/string_slice.go"] = (
        "package flags\n\n"
        "func readAsCSV(val string) ([]string, error) {\n\treturn nil, nil\n}\n\n"
        'func writeAsCSV(vals []string) (string, error) {\n\treturn "", nil\n}\n'
    )
    files["flags/bool_slice.go"] = (
        "package flags\n\ntype boolSliceValue struct {\n\tvalue *[]bool\n}\n\n"
        "func (s *boolSliceValue) Set(val string) error {\n"
        "\tparts, err := readAsCSV(val)\n\t_ = parts\n\treturn err\n}\n"
    )
    return files


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, _files(), "go-siblings")


def _prompt(index: RepoIndex) -> str:
    text = (index.root / "flags/bool_slice.go").read_text()
    text += "\nfunc (s *boolSliceValue) String() string {\n\tout, _ := "
    return prompt(index, "flags/bool_slice.go", text, budget=1000)


def test_a_used_declarations_neighbour_is_offered(index: RepoIndex) -> None:
    assert "func writeAsCSV(vals []string)" in _prompt(index)


def test_control_without_the_neighbours_weight(
    index: RepoIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gather, "PER_SIBLING_USE", 0.0)
    text = _prompt(index)
    assert "func C0xA0(" in text  # the package's outline is there, the neighbour is not
    assert "func writeAsCSV(" not in text
