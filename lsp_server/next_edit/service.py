"""Next-edit suggestions: after a pause, ask the chat model what edit follows the recent ones.

LSP-free. Hears every document change (a DocumentEvents subscriber) to keep each document's
history, cancels the in-flight prediction on the next keystroke, and answers a request with
edits in offsets of the text it was computed for. One request in flight per document; none
while the user keeps typing; nothing at all for excluded files.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsp_server.context import ContextBuilder, count_tokens
from lsp_server.documents import DocumentEvent
from lsp_server.endpoint import ChatRequest, EndpointError
from lsp_server.next_edit import guards
from lsp_server.next_edit.answer import window_from_answer
from lsp_server.next_edit.diffs import history_diff
from lsp_server.next_edit.edits import Edit, Window, derive_edits, order_from_cursor, window_around
from lsp_server.next_edit.history import EditHistory
from lsp_server.next_edit.prompt import CURSOR, PromptParts, build_messages

if TYPE_CHECKING:
    from lsp_server.session import Session

log = logging.getLogger(__name__)

#: At most this many edits are proposed from one prediction.
MAX_EDITS = 5


@dataclass(frozen=True)
class NextEdits:
    """Edits (offsets into `text`, nearest first) predicted for one document state."""

    request_id: str
    text: str
    edits: tuple[Edit, ...]
    model: str


@dataclass
class Counters:
    endpoint_requests: int = 0
    cancelled: int = 0  # predictions stopped by a keystroke
    suggested: int = 0
    dropped: int = 0  # predictions with nothing left after the guards
    chained: int = 0  # answered from the previous prediction, without asking again
    overhead_s: list[float] = field(default_factory=list)  # our own time per prediction


@dataclass
class _Doc:
    history: EditHistory
    changed_at: float
    generation: int = 0
    flight: asyncio.Task[NextEdits | None] | None = None
    flight_generation: int = -1
    prediction: NextEdits | None = None


class NextEditService:
    def __init__(
        self,
        session: Session,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._sleep = sleep
        self._clock = clock
        self._docs: dict[str, _Doc] = {}
        self.counters = Counters()

    # -- document events ------------------------------------------------------------

    def on_document(self, event: DocumentEvent) -> None:
        """Keep the history; a keystroke cancels the prediction in flight (a subscriber)."""
        doc = event.document
        if event.kind == "close" or doc is None:
            self.forget(event.uri)
            return
        if event.kind not in ("open", "change"):
            return
        if self._session.is_excluded(doc.path, doc.uri):
            self.forget(event.uri)  # nothing kept, nothing sent
            return
        state = self._docs.get(event.uri)
        now = self._clock()
        if state is None or event.kind == "open":
            self._cancel(state)
            self._docs[event.uri] = _Doc(EditHistory(doc.text), now)
            return
        if doc.text == state.history.text:
            return
        state.prediction = _advance(state.prediction, state.history.text, doc.text)
        state.history.record(doc.text, now)
        state.changed_at = now
        state.generation += 1
        self._cancel(state)

    def _cancel(self, state: _Doc | None) -> None:
        if state is not None and state.flight is not None and not state.flight.done():
            self.counters.cancelled += 1
            state.flight.cancel()

    def forget(self, uri: str) -> None:
        self._cancel(self._docs.pop(uri, None))

    def history(self, uri: str) -> EditHistory | None:
        state = self._docs.get(uri)
        return state.history if state is not None else None

    # -- requests -------------------------------------------------------------------

    def _ready(self) -> bool:
        endpoint = self._session.endpoint
        return (
            self._session.settings.next_edit.enabled
            and endpoint is not None
            and endpoint.status.state == "ready"
        )

    async def suggest(
        self, uri: str, path: Path | None, language_id: str, cursor: int
    ) -> NextEdits | None:
        """The next edits for the document as it is now, or None (nothing, or superseded)."""
        state = self._docs.get(uri)
        if state is None or not state.history.steps or not self._ready():
            return None
        if self._session.is_excluded(path, uri):
            return None
        if state.prediction is not None and state.prediction.text == state.history.text:
            if state.prediction.edits:
                self.counters.chained += 1
            return state.prediction
        generation = state.generation
        wait = state.changed_at + self._session.settings.next_edit.debounce_ms / 1000
        while (remaining := wait - self._clock()) > 0:
            await self._sleep(remaining)
            if state.generation != generation or self._docs.get(uri) is not state:
                return None  # still typing: the request after the pause will answer
            wait = state.changed_at + self._session.settings.next_edit.debounce_ms / 1000
        if state.flight is None or state.flight_generation != generation or state.flight.done():
            if state.flight is not None and not state.flight.done():
                state.flight.cancel()
            state.flight = asyncio.ensure_future(
                self._predict(state, path, language_id, cursor, generation)
            )
            state.flight_generation = generation
        try:
            result = await asyncio.shield(state.flight)
        except asyncio.CancelledError:
            if state.flight.cancelled():
                return None
            raise
        except EndpointError as exc:
            log.info("next-edit request failed: %s", exc.reason)
            return None
        if result is None or state.generation != generation:
            return None
        state.prediction = result
        return result

    async def _predict(
        self, state: _Doc, path: Path | None, language_id: str, cursor: int, generation: int
    ) -> NextEdits | None:
        session = self._session
        history = state.history
        text = history.text
        started = time.perf_counter()
        window = window_around(text, min(cursor, len(text)))
        rel = self._relative(path)
        context, sources = self._context(path, language_id, text, window)
        code = text[window.start : window.end]
        marked = text[window.start : cursor] + CURSOR + text[cursor : window.end]
        if not window.start <= cursor <= window.end:
            marked = code
        parts = PromptParts(
            path=rel or "(unsaved)",
            language_id=language_id,
            history=history_diff(history.steps, rel or "file"),
            context=context,
            window=marked,
            first_line=text.count("\n", 0, window.start) + 1,
        )
        messages = build_messages(parts)
        model = session.settings.models.next_edit or session.settings.models.chat
        request = ChatRequest(
            messages=messages,
            max_tokens=count_tokens(code) * 2 + 256,
            sources=([rel] if rel else []) + [s for s in sources if s != rel],
            retry=False,
            temperature=0.0,
            model=model,
        )
        assert session.endpoint is not None
        own = time.perf_counter() - started
        self.counters.endpoint_requests += 1
        answer = await session.endpoint.chat(request)
        started = time.perf_counter()
        try:
            if state.generation != generation:
                return None
            sent = "\n".join(m["content"] for m in messages)
            rewritten = window_from_answer(answer.text, language_id, code, sent)
            if rewritten is None:
                self.counters.dropped += 1
                return None
            edits = derive_edits(text, window, rewritten)
            kept = guards.keep(edits, history, language_id)
            if not kept:
                self.counters.dropped += 1
            else:
                self.counters.suggested += 1
            ordered = tuple(order_from_cursor(kept, cursor)[:MAX_EDITS])
            return NextEdits(answer.request_id or uuid.uuid4().hex, text, ordered, model)
        finally:
            self.counters.overhead_s.append(own + time.perf_counter() - started)

    # -- context --------------------------------------------------------------------

    def _context(
        self, path: Path | None, language_id: str, text: str, window: Window
    ) -> tuple[str, list[str]]:
        """Repository snippets for the window (same builder, budget and redaction as refactors)."""
        session = self._session
        index = session.index_for(path) if path is not None else None
        try:
            builder = ContextBuilder(index, is_excluded=session.is_excluded)
            built = builder.build_for_range(
                path=path,
                language_id=language_id,
                text=text,
                start=window.start,
                end=window.end,
                budget_tokens=session.settings.completion.context_tokens,
            )
        except Exception as exc:  # noqa: BLE001 - context is a nicety, never a failure
            log.debug("next-edit context unavailable: %s", exc)
            return "", []
        return built.snippets_text(), list(built.sources)

    def _relative(self, path: Path | None) -> str:
        if path is None:
            return ""
        index = self._session.index_for(path)
        rel = index.relative(path) if index is not None else None
        return rel or path.name


def _advance(prediction: NextEdits | None, old: str, new: str) -> NextEdits | None:
    """The prediction still to come once the user applied one of its edits; else None."""
    if prediction is None or prediction.text != old:
        return None
    for i, edit in enumerate(prediction.edits):
        if edit.apply(old) != new:
            continue
        delta = len(edit.new_text) - (edit.end - edit.start)
        rest = tuple(
            e if e.end <= edit.start else Edit(e.start + delta, e.end + delta, e.new_text)
            for j, e in enumerate(prediction.edits)
            if j != i
        )
        return NextEdits(prediction.request_id, new, rest, prediction.model)
    return None
