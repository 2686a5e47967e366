"""Document events and who hears them: one small mechanism instead of a sync handler that
knows every subsystem (index, completion cache, recent files, ignore rules).

Subscribers run in the order they subscribed, on the thread that publishes (the event loop);
one that fails is logged and the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from lsp_server.documents.store import Document

log = logging.getLogger(__name__)

EventKind = Literal["open", "change", "save", "close"]


@dataclass(frozen=True)
class DocumentEvent:
    kind: EventKind
    uri: str
    #: The document as it is after the event (for "close": as it was when closed); None when
    #: the editor spoke of a document the server does not know.
    document: Document | None


Subscriber = Callable[[DocumentEvent], None]


class DocumentEvents:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish(self, event: DocumentEvent) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:  # noqa: BLE001 - one subsystem's failure must not lose the edit
                log.exception("%s failed on %s of %s", subscriber, event.kind, event.uri)
