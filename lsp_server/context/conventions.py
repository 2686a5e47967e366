"""The module aliases a repository uses by convention (`import numpy as np`, `from . import
datastructures as ds`): what `ds.` means in a file that uses the name above its own import
(circular imports put it at the bottom of the file) or without one yet."""

from __future__ import annotations

from lsp_server.index.model import Import
from lsp_server.index.pymodules import PY_EXTS, PythonModules

from .view import IndexView

MIN_IMPORTERS = 2
#: alias -> module file -> the files importing it under that alias
Votes = dict[str, dict[str, set[str]]]
#: the votes last counted, with the answers they were counted from (reused while the view
#: hands out the same lists: see `IndexView.aliased_imports`)
_last: tuple[list[tuple[str, Import]], PythonModules, Votes] | None = None


def conventional_module(view: IndexView, alias: str) -> str | None:
    """The module file `alias` names in at least two other files, and in at least two thirds
    of those that import some module under that alias (Python; None: no convention: one
    file's `import shop.pricing as pricing` is its own choice)."""
    files = _votes(view).get(alias)
    if not files:
        return None
    counts = sorted(
        ((len(importers - {view.current}), file) for file, importers in files.items()),
        key=lambda item: (-item[0], item[1]),
    )
    total = sum(n for n, _file in counts)
    best, file = counts[0]
    return file if best >= MIN_IMPORTERS and 3 * best >= 2 * total else None


def _votes(view: IndexView) -> Votes:
    global _last
    found = view.aliased_imports()
    modules = view.python_modules()
    last = _last
    if last is not None and last[0] is found and last[1] is modules:
        return last[2]
    votes: Votes = {}
    for importer, imp in found:
        if not importer.endswith(PY_EXTS):
            continue
        aliases = {alias for _name, alias in imp.aliases}
        for binding in modules.bindings(importer, (imp,)):
            if binding.member is None and binding.local in aliases:
                votes.setdefault(binding.local, {}).setdefault(binding.file, set()).add(importer)
    _last = (found, modules, votes)
    return votes
