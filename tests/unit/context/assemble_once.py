"""Assemble one completion context in a fresh process and print it (determinism tests).

    python -m tests.unit.context.assemble_once REPO CACHE_DIR [--warm] [--inject]

REPO is made by `make_repo`. The index is built in CACHE_DIR (each process its own, so the
rows are written in whatever order that build's workers finish). `--warm` assembles other
requests first (other files, other cursors, and the same one twice) so that every cache is
filled; `--inject` makes the packing order depend on set iteration (the control: a
PYTHONHASHSEED-dependent order must show up as a different prompt).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lsp_server.context import CompletionContext, ContextBuilder, RecentFiles, warm_up
from lsp_server.context import pack as pack_module
from lsp_server.index.repo_index import IndexOptions, RepoIndex

MODULES = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")
#: The edited file, cut at its end: the cursor is after `result = `.
MAIN = "pkg/main.py"
BUDGET = 450


def make_repo(root: Path) -> None:
    """A package whose modules define the same names (ties everywhere), and tests."""
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for i, name in enumerate(MODULES):
        (pkg / f"{name}.py").write_text(
            f"def helper(value, scale={i}):\n"
            f'    """Scale a value ({name})."""\n'
            "    return value * scale\n\n\n"
            "def common(items):\n    return list(items)\n\n\n"
            f"class Widget{name.title()}:\n"
            '    """A widget."""\n\n'
            "    def run(self, steps):\n        return steps\n\n"
            "    def close(self):\n        pass\n"
        )
    imports = "".join(f"from pkg import {name}\n" for name in MODULES)
    uses = "".join(f"    {name}.helper(1)\n    {name}.common([])\n" for name in MODULES)
    (pkg / "main.py").write_text(
        f"{imports}from pkg.alpha import WidgetAlpha\n\n\ndef main(widget: WidgetAlpha):\n"
        f"{uses}    widget.run(3)\n    result = "
    )
    tests = root / "tests"
    tests.mkdir()
    (tests / "test_main.py").write_text(
        "from pkg import alpha\n\n\ndef helper(value):\n    return value\n\n\n"
        "def test_helper():\n    assert alpha.helper(2) == 0\n"
    )


def assemble(builder: ContextBuilder, root: Path, rel: str, text: str) -> CompletionContext:
    return builder.build(
        path=root / rel,
        language_id="python",
        text=text,
        offset=len(text),
        budget_tokens=BUDGET,
    )


def inject_hash_order() -> None:
    """Rank pieces of equal (rounded) score by the iteration order of a set of paths."""
    original = pack_module.pack
    rank: dict[str, int] = {}

    def by_set_order(piece: pack_module.Piece) -> tuple[float, int]:
        return (-round(piece.score), rank[piece.path])

    def pack(pieces: list[pack_module.Piece], *args: object, **kw: object) -> object:
        rank.clear()
        rank.update({path: i for i, path in enumerate({p.path for p in pieces})})
        return original(pieces, *args, **kw)  # type: ignore[arg-type]

    pack_module.piece_order = by_set_order  # type: ignore[assignment]
    import lsp_server.context.builder as builder_module

    builder_module.pack = pack  # type: ignore[assignment]


def main() -> None:
    root, cache = Path(sys.argv[1]), Path(sys.argv[2])
    if "--inject" in sys.argv:
        inject_hash_order()
    warm_up(background=False)
    index = RepoIndex(root, IndexOptions(cache_dir=cache))
    index.build()
    recent = RecentFiles()
    builder = ContextBuilder(index, is_excluded=lambda _path: False, recent=recent)
    text = (root / MAIN).read_text()
    if "--warm" in sys.argv:
        for rel in ("tests/test_main.py", "pkg/beta.py"):
            other = (root / rel).read_text()
            assemble(builder, root, rel, other)
            assemble(builder, root, rel, other[: len(other) // 2])
        assemble(builder, root, MAIN, text[: len(text) // 2])
        assemble(builder, root, MAIN, text)
    context = assemble(builder, root, MAIN, text)
    index.close()
    json.dump({"prefix": context.prefix, "suffix": context.suffix}, sys.stdout)


if __name__ == "__main__":
    main()
