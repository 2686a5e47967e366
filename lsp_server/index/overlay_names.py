"""Which open documents define each name, brought up to date when next asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable, KeysView, Set

_NONE: frozenset[str] = frozenset()


class OverlayNames:
    """A lookup of a hundred names asks the few open documents that define any of them,
    not each document for each name (the editor may keep dozens open).

    A new version of a document is only noted (`change`): the keystroke path does no work
    here. The next lookup moves the names that version added or dropped, a name or two,
    once for however many versions came in between."""

    def __init__(self) -> None:
        self._documents: dict[str, set[str]] = {}
        self._synced: dict[str, Set[str]] = {}  # the names each document was entered with
        self._pending: dict[str, Callable[[], KeysView[str]] | None] = {}

    def change(self, rel: str, names: Callable[[], KeysView[str]] | None) -> None:
        """Document `rel` now defines `names()` (None: it was closed)."""
        self._pending[rel] = names

    def defining(self, names: Iterable[str]) -> set[str]:
        """The documents that define any of `names`."""
        if self._pending:
            self._sync()
        found: set[str] = set()
        for name in names:
            documents = self._documents.get(name)
            if documents:
                found |= documents
        return found

    def _sync(self) -> None:
        for rel, names in self._pending.items():
            before = self._synced.pop(rel, _NONE)
            after = names() if names is not None else _NONE
            for name in before - after:
                documents = self._documents[name]
                documents.discard(rel)
                if not documents:
                    del self._documents[name]
            for name in after - before:
                self._documents.setdefault(name, set()).add(rel)
            if names is not None:
                self._synced[rel] = after
        self._pending.clear()
