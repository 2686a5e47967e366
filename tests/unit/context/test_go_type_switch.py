"""Go: in the case list of a type switch, the types with the method set of the cases above
are what the next case names (`case *ipValue` after `case *intValue`, `case *stringValue`),
however far away in the package they are defined."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context import gather
from lsp_server.context.typeswitch import case_types
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

VALUE_METHODS = (
    'func (v *{t}) String() string {{ return "" }}\n'
    "func (v *{t}) Set(s string) error {{ return nil }}\n"
    'func (v *{t}) Type() string {{ return "{t}" }}\n'
)
KINDS = ("int", "string", "bool", "duration", "ip", "ipMask", "count", "float")
OTHERS = ("ip", "ipMask", "duration", "bool", "float")  # the kinds no case names yet
FILES = {
    "go.mod": "module example.com/flags\n\ngo 1.21\n",
    **{
        f"{kind}.go": f"package flags\n\ntype {kind}Value {kind.lower()}\n\n"
        + VALUE_METHODS.format(t=f"{kind}Value")
        for kind in KINDS
    },
    # forty other declarations of the package, more used by name than the Value types
    "other.go": "package flags\n\n"
    + "".join(f"func helperNumber{i}(x int) int {{ return x + {i} }}\n" for i in range(40))
    + "type usageWriter struct{}\n\nfunc (u *usageWriter) Write(p []byte) (int, error) "
    "{ return len(p), nil }\n",
    "flag.go": (
        "package flags\n\n"
        "type Value interface {\n\tString() string\n\tSet(string) error\n\tType() string\n}\n\n"
        "func zero(v Value) bool {\n"
        "\tx := helperNumber1(helperNumber2(helperNumber3(1)))\n"
        "\t_ = helperNumber4(x) + helperNumber5(x)\n"
        "\tswitch v.(type) {\n"
        "\tcase *intValue, *countValue:\n"
        "\t\tif x > 0 {\n\t\t\treturn true\n\t\t}\n"
        "\t\treturn false\n"
        "\tcase *stringValue:\n"
        "\t\treturn false\n"
        "\tcase *"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "go-type-switch")


def test_the_case_types_above_the_cursor() -> None:
    lines = FILES["flag.go"].split("\n")
    assert case_types(lines) == ["stringValue", "intValue", "countValue"]
    # a nested block's own cases are not the switch's, and outside a type switch: none
    assert case_types(
        ["switch x.(type) {", "case *aValue:", "\tswitch y {", "\tcase 1:", "\t}", "case *"]
    ) == ["aValue"]
    assert case_types(["switch y {", "case 1:", "case "]) is None
    assert case_types(["func f() {", "\tx := 1", "\t"]) is None


def test_the_other_implementations_come_into_the_prompt(index: RepoIndex) -> None:
    text = prompt(index, "flag.go", FILES["flag.go"], budget=600)
    for kind in OTHERS:
        assert f"type {kind}Value " in text, text


def test_control_without_the_switch_signal(
    index: RepoIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gather, "case_types", lambda _lines: None)
    text = prompt(index, "flag.go", FILES["flag.go"], budget=600)
    assert not any(f"type {k}Value " in text for k in OTHERS), text
