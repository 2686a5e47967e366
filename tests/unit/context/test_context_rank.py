"""The repository-wide prior: files and names the rest of the code base imports rank higher."""

from __future__ import annotations

from pathlib import Path

import pytest

import lsp_server.context.builder as builder_module
from lsp_server.context import ContextBuilder
from lsp_server.context.rank import build_prior
from lsp_server.index.model import Definition, Import
from lsp_server.index.repo_index import IndexOptions, RepoIndex


def imports(graph: dict[str, list[tuple[str, tuple[str, ...]]]]):  # noqa: ANN201
    def of(path: str) -> list[Import]:
        return [Import(t, names, (), 0, t) for t, names in graph.get(path, [])]

    return of


def definition(path: str, name: str) -> Definition:
    return Definition(name, "function", path, 0, 0, 1, 0, None, f"def {name}():", None)


def test_the_most_imported_file_and_name_rank_first() -> None:
    files = ["a.py", "b.py", "c.py", "d.py", "e.py"]
    graph = {
        "b.py": [("a.py", ("run",))],
        "c.py": [("a.py", ("run",))],
        "d.py": [("a.py", ("stop",)), ("b.py", ())],
    }
    prior = build_prior(files, imports(graph))
    assert prior.importers["a.py"] == 3 and prior.importers["b.py"] == 1
    assert prior.name_importers[("a.py", "run")] == 2
    assert prior.boost(definition("a.py", "run")) > prior.boost(definition("a.py", "stop"))
    assert prior.boost(definition("a.py", "stop")) > prior.boost(definition("b.py", "stop"))
    # control: a file nobody imports gets nothing
    assert prior.boost(definition("e.py", "run")) == 0.0


def test_an_edit_of_one_files_imports_is_applied_without_a_rebuild() -> None:
    files = ["a.py", "b.py", "c.py"]
    prior = build_prior(files, imports({"b.py": [("a.py", ("run",))]}))
    prior.set_edges("c.py", imports({"c.py": [("a.py", ("run",))]})("c.py"))
    assert prior.name_importers[("a.py", "run")] == 2
    prior.set_edges("b.py", [])  # b no longer imports a
    assert prior.importers["a.py"] == 1 and prior.name_importers[("a.py", "run")] == 1
    # control: the same as a prior built from scratch on the new state
    fresh = build_prior(files, imports({"c.py": [("a.py", ("run",))]}))
    assert +fresh.importers == +prior.importers
    assert +fresh.name_importers == +prior.name_importers
    assert fresh.mean == prior.mean


def make(root: Path, importers: int) -> None:
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for module in ("alpha", "zeta"):
        (pkg / f"{module}.py").write_text(
            "".join(f"def {module}_step{i}(value):\n    return value\n\n\n" for i in range(12))
        )
    for i in range(importers):
        (pkg / f"user{i}.py").write_text("from pkg.zeta import zeta_step0\n\nzeta_step0(1)\n")


@pytest.mark.parametrize(
    ("importers", "wins", "loses"), [(6, "zeta", "alpha"), (0, "alpha", "zeta")]
)
def test_a_tie_goes_to_what_the_repository_uses(
    tmp_path: Path, importers: int, wins: str, loses: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two modules imported alike by the edited file, one of them used all over the
    repository: with room for a few definitions, its definitions come first. Control:
    without those other files the tie goes the other way (by path)."""
    monkeypatch.setattr(builder_module, "W_PRIOR", 0.15)
    make(tmp_path / "repo", importers)
    index = RepoIndex(tmp_path / "repo", IndexOptions(cache_dir=tmp_path / "cache"))
    index.build()
    text = (
        "from pkg import alpha, zeta\n\n\ndef main(value):\n"
        "    value = alpha.alpha_step11(zeta.zeta_step11(value))\n    result = "
    )
    main = tmp_path / "repo" / "pkg" / "main.py"
    index.update_text(main, text)  # the edited file, open in the editor
    builder = ContextBuilder(index, is_excluded=lambda _p: False)
    prefix = builder.build(
        path=main,
        language_id="python",
        text=text,
        offset=len(text),
        budget_tokens=160,
    ).prefix
    index.close()
    assert f"def {wins}_step0(value)" in prefix
    assert prefix.count(f"def {wins}_") > 2 * prefix.count(f"def {loses}_")


class _Index:
    """The little of an index `IndexView.definitions` asks."""

    root = Path("/repo")

    def definitions(self, name: str) -> list[Definition]:
        return [definition("b.py", name), definition("a.py", name)]

    def file_definitions(self, path: str) -> list[Definition]:
        return []


def test_a_precedence_orders_same_named_definitions_before_their_place() -> None:
    from lsp_server.context.view import IndexView

    plain = IndexView(_Index(), lambda _p: True, "main.py")  # type: ignore[arg-type]
    assert [d.path for d in plain.definitions("run")] == ["a.py", "b.py"]  # by place
    ranked = IndexView(_Index(), lambda _p: True, "main.py")  # type: ignore[arg-type]
    ranked.precedence = lambda d: 0.0 if d.path == "b.py" else 1.0
    assert [d.path for d in ranked.definitions("run")] == ["b.py", "a.py"]
