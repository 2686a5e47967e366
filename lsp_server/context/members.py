"""What `module.` offers, resolved as the completion context resolves it: the offline
completion items after `util.` / `lib.pa` / `geometry::` use the same answer as the prompt
(a Go package's every file, a JS barrel's re-exports, a Rust child module...)."""

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
