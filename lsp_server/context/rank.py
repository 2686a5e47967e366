"""A repository-wide prior for candidate definitions: what the rest of the code base uses.

aider's repository map ranks definitions by PageRank over the graph of references between
files. The index records, per file, its imports and the repository file each resolves to;
that is the graph here: an edge from the importing file to the imported one, and for
`from m import name` an import of that very name. A definition in a file many files
import, and a name many files import by name, is more likely what the line being written
uses than one of the same score that nothing imports. The prior counts importers (the
in-degree, PageRank's first step) rather than iterating PageRank: counts are sums over
files, so an edit of one file's imports is applied by taking its old edges out and its
new ones in, with no pass over the repository.

Building it asks the index for the imports of every file (~20 ms for the 700 modules of
the standard library): once per list of files. On every assembly the edited file's edges
are brought up to date (its imports as they are now). The prior is therefore a function of
the repository's imports as last read: another file's imports changed on disk while it is
not being edited are seen when the list of files changes or that file is edited.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lsp_server.index.model import Definition, Import
from lsp_server.index.protocol import IndexReader

#: (importing file) -> (imported files, (imported file, name) pairs), each once.
Edges = tuple[frozenset[str], frozenset[tuple[str, str]]]


@dataclass
class Prior:
    """`importers`: file -> how many files import it; `name_importers`: (file, name) ->
    how many files import that name from that file."""

    known: frozenset[str]
    importers: Counter[str] = field(default_factory=Counter)
    name_importers: Counter[tuple[str, str]] = field(default_factory=Counter)
    edges: dict[str, Edges] = field(default_factory=dict)
    mean: float = 1.0  # importers of an imported file, on average
    ready: bool = False  # built: keep `mean` up to date on every change

    def boost(self, definition: Definition) -> float:
        """>= 0: how much more the repository imports this definition than an average one."""
        files = self.importers.get(definition.path, 0) / self.mean
        names = self.name_importers.get((definition.path, definition.name), 0)
        return math.log1p(files) + math.log1p(names)

    def set_edges(self, file: str, imports: list[Import]) -> None:
        """Replace what `file` imports (its old edges out, the new ones in)."""
        new = _edges(file, imports, self.known)
        old = self.edges.get(file)
        if old == new:
            return
        if old is not None:
            self.importers.subtract(old[0])
            self.name_importers.subtract(old[1])
        self.importers.update(new[0])
        self.name_importers.update(new[1])
        self.edges[file] = new
        if self.ready:
            self.update_mean()

    def update_mean(self) -> None:
        counts = [n for n in self.importers.values() if n > 0]
        self.mean = max(1.0, sum(counts) / max(1, len(counts)))


def _edges(file: str, imports: list[Import], known: frozenset[str]) -> Edges:
    targets: set[str] = set()
    names: set[tuple[str, str]] = set()
    for imp in imports:
        target = imp.resolved
        if target is None or target == file or target not in known:
            continue
        targets.add(target)
        names.update((target, n) for n in imp.names if n not in ("*", "default"))
    return frozenset(targets), frozenset(names)


def build_prior(files: Sequence[str], imports_of: Callable[[str], list[Import]]) -> Prior:
    """Importer counts of every file and imported name."""
    prior = Prior(frozenset(files))
    for file in files:
        prior.set_edges(file, imports_of(file))
    prior.update_mean()
    prior.ready = True
    return prior


_lock = threading.Lock()
_priors: weakref.WeakKeyDictionary[IndexReader, tuple[Sequence[str], Prior]] = (
    weakref.WeakKeyDictionary()
)


def prior_for(
    index: IndexReader,
    files: Sequence[str],
    imports_of: Callable[[str], list[Import]],
    current: str | None,
) -> Prior:
    """The index's prior for this list of files, with the edited file's imports as now."""
    try:
        with _lock:
            hit = _priors.get(index)
    except TypeError:  # not weak-referenceable
        hit = None
    if hit is not None and (hit[0] is files or hit[0] == files):
        prior = hit[1]
    else:
        prior = build_prior(files, imports_of)
        try:
            with _lock:
                _priors[index] = (files, prior)
        except TypeError:
            pass
    if current is not None and current in prior.known:
        with _lock:
            prior.set_edges(current, imports_of(current))
    return prior
