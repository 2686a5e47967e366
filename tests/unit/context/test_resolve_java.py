"""Java imports to classes and members: `import a.b.C;`, `import static a.b.C.m;` (a
member of C), `import a.b.*;` (the package directory), same-package classes without an
import, and `Foo.bar(` -> the members of class Foo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

P = "src/main/java/com/acme"
FILLER = "".join(
    f"    public static int filler{i}(int x) {{\n        return x + {i};\n    }}\n\n"
    for i in range(30)
)
FILES = {
    f"{P}/util/Strings.java": (
        "package com.acme.util;\n\npublic final class Strings {\n"
        + FILLER
        + "    public static boolean isBlank(String s) {\n        return s.isEmpty();\n    }\n}\n"
    ),
    f"{P}/model/Order.java": (
        "package com.acme.model;\n\npublic class Order {\n    public Order(String id) {\n    }\n}\n"
    ),
    f"{P}/app/Helper.java": (
        "package com.acme.app;\n\nclass Helper {\n"
        + FILLER
        + "    static int computeTotal(int a) {\n        return a;\n    }\n}\n"
    ),
    f"{P}/app/Static.java": (
        "package com.acme.app;\n\nimport static com.acme.util.Strings.isBlank;\n\n"
        "class Static {\n    void run(String s) {\n"
    ),
    f"{P}/app/Wild.java": (
        "package com.acme.app;\n\nimport com.acme.model.*;\n\nclass Wild {\n    void run() {\n"
    ),
    f"{P}/other/Plain.java": "package com.acme.other;\n\nclass Plain {\n    void run() {\n",
}
IS_BLANK = "public static boolean isBlank(String s)"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "java")


def at(index: RepoIndex, rel: str, tail: str, budget: int = 600) -> str:
    return prompt(index, f"{P}/{rel}", FILES[f"{P}/{rel}"] + tail, budget)


def test_static_import_of_a_member(index: RepoIndex) -> None:
    assert IS_BLANK in at(index, "app/Static.java", "        if (isBlank(s)) {\n            ")
    control = "        if (isBlank(s)) {\n            "
    assert IS_BLANK not in at(index, "other/Plain.java", control)


def test_wildcard_import_of_a_package(index: RepoIndex) -> None:
    shown = at(index, "app/Wild.java", '        Order o = new Order("1");\n        o = new ')
    assert "public class Order" in shown


def test_same_package_class_member(index: RepoIndex) -> None:
    tail = "        int a = Helper.computeTotal(1);\n        int t = Helper."
    assert "static int computeTotal(int a)" in at(index, "app/Static.java", tail)
    control = at(index, "other/Plain.java", "        int t = Helper.")
    assert "static int computeTotal(int a)" not in control
