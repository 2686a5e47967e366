"""The module aliases a repository uses by convention (`import numpy as np`, `from . import
datastructures as ds`): what `ds.` means in a file that uses the name above its own import
(circular imports put it at the bottom of the file) or without one yet."""

from __future__ import annotations

from lsp_server.index.pymodules import PY_EXTS

from .view import IndexView

MIN_IMPORTERS = 2


def conventional_module(view: IndexView, alias: str) -> str | None:
    """The module file `alias` names in at least two other files, and in at least two thirds
    of those that import some module under that alias (Python; None: no convention: one
    file's `import shop.pricing as pricing` is its own choice)."""
    files = _importers(view, alias)
    if not files:
        return None
    counts = sorted(
        ((len(importers - {view.current}), file) for file, importers in files.items()),
        key=lambda item: (-item[0], item[1]),
    )
    total = sum(n for n, _file in counts)
    best, file = counts[0]
    return file if best >= MIN_IMPORTERS and 3 * best >= 2 * total else None


def _importers(view: IndexView, alias: str) -> dict[str, set[str]]:
    """Module file -> the Python files importing it as `alias`."""
    modules = view.python_modules()
    votes: dict[str, set[str]] = {}
    for importer, imp in view.aliased_as(alias):
        if not importer.endswith(PY_EXTS):
            continue
        for binding in modules.bindings(importer, (imp,)):
            if binding.member is None and binding.local == alias:
                votes.setdefault(binding.file, set()).add(importer)
    return votes
