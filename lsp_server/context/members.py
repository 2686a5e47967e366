"""What `module.` and `obj.` offer, resolved as the completion context resolves it: the
offline completion items after `util.` / `lib.pa` / `geometry::` use the same answer as the
prompt (a Go package's every file, a JS barrel's re-exports, a Rust child module...), and
after `self.` the members a class inherits as well as its own."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from lsp_server.index.model import Definition
from lsp_server.index.protocol import IndexReader

from .gather import Gatherer
from .view import IndexView

_WORD = r"[A-Za-z_$][\w$]*"


def module_members(
    index: IndexReader,
    rel: str,
    language_id: str,
    lines: list[str],
    receiver: str,
    partial: str = "",
    allowed: Callable[[str], bool] = lambda _p: True,
) -> list[Definition] | None:
    """The names `receiver.` offers in file `rel` (whose text up to the cursor is `lines`)
    when `receiver` names a module, best first; None when it does not name one (a
    variable, a class: the caller answers those)."""
    view = IndexView(index, allowed, rel)
    gatherer = Gatherer(view, rel, language_id)
    gatherer.read_source(lines)
    counts = Counter(re.findall(_WORD, "\n".join(lines[:-1])))
    return gatherer.members_of_module(receiver, partial, dict(counts))


def class_members(
    index: IndexReader,
    rel: str,
    language_id: str,
    classes: list[Definition],
    allowed: Callable[[str], bool] = lambda _p: True,
) -> list[Definition]:
    """The members of `classes` and of their bases up the chain, as the context follows
    them (`self.` in a widget offers what its bases define): the most derived definition
    of each name, the classes' own members first."""
    view = IndexView(index, allowed, rel)
    gatherer = Gatherer(view, rel, language_id)
    out: list[Definition] = []
    seen: set[str] = set()
    for cls, _share in gatherer.with_bases(classes):
        for member in view.members(cls.name, cls.path):
            if member.name not in seen:
                seen.add(member.name)
                out.append(member)
    return out
