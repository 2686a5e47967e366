"""Which open documents define each name, kept up to date one document at a time."""

from __future__ import annotations

from collections.abc import Iterable, KeysView


class OverlayNames:
    """A lookup of a hundred names asks the few open documents that define any of them,
    not each document for each name (the editor may keep dozens open). A new version of
    a document changes a name or two: only those are moved."""

    def __init__(self) -> None:
        self._documents: dict[str, set[str]] = {}

    def replace(self, rel: str, old: KeysView[str] | None, new: KeysView[str] | None) -> None:
        """Document `rel` defined the names `old` and now defines `new` (None: none)."""
        before = set(old) if old is not None else set()
        after = set(new) if new is not None else set()
        for name in before - after:
            documents = self._documents[name]
            documents.discard(rel)
            if not documents:
                del self._documents[name]
        for name in after - before:
            self._documents.setdefault(name, set()).add(rel)

    def defining(self, names: Iterable[str]) -> set[str]:
        """The documents that define any of `names`."""
        found: set[str] = set()
        for name in names:
            documents = self._documents.get(name)
            if documents:
                found |= documents
        return found
