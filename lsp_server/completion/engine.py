"""Inline completions: decide, reuse, debounce, ask once, clean up, fall back to the index.

One in-flight endpoint request per document. A newer request for the same document
supersedes the older one (its HTTP stream is closed) unless the user is typing into what
the older one is producing, in which case both are served from the same stream.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsp_server.completion import decide, postprocess
from lsp_server.completion.cache import Anchor, CompletionCache, forward
from lsp_server.completion.index_items import IndexItem, index_items, inline_from_index
from lsp_server.context import CompletionContext, ContextBuilder, RecentFiles
from lsp_server.context.render import header, render_snippets
from lsp_server.context.tokens import start_pending_warm_up
from lsp_server.documents import DocumentEvent
from lsp_server.endpoint import EndpointError, FimRequest
from lsp_server.endpoint.types import RepoContext

if TYPE_CHECKING:
    from lsp_server.session import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompletionQuery:
    uri: str
    path: Path | None
    language_id: str
    text: str
    offset: int
    invoked: bool = False
    version: int | None = None  # of the open document the request was made for
    # When the request reached the server (time.monotonic), if known: the debounce counts
    # from there, not from when a busy loop got round to the handler.
    received_at: float | None = None


@dataclass(frozen=True)
class Suggestion:
    text: str  # inserted at the cursor
    source: str  # "ai" | "cache" | "index"
    detail: str = ""


@dataclass
class Counters:
    endpoint_requests: int = 0
    cache_hits: int = 0
    reused_in_flight: int = 0
    superseded: int = 0
    accepted: int = 0
    offline_answers: int = 0
    # CPU of the event-loop thread (time.thread_time), summed over requests that reached the
    # endpoint: before the debounce (context, secret scan: hidden by it) and after it (on the
    # user's wait; the network wait itself costs no CPU). bench/completion_latency.py reads them.
    prepare_cpu_ms: float = 0.0
    critical_cpu_ms: float = 0.0


@dataclass(frozen=True)
class _Plan:
    anchor: Anchor
    shape: decide.Shape
    request: FimRequest


@dataclass
class _Flight:
    anchor: Anchor
    shape: decide.Shape
    task: asyncio.Task[str | None]
    partial: list[str] = field(default_factory=list)
    waiters: int = 0

    def serves(self, text: str, offset: int) -> str | None:
        """What was typed since this flight began, if its output can still be right."""
        typed = self.anchor.typed_since(text, offset)
        if typed is None or "\n" in typed:
            return None
        so_far = "".join(self.partial)
        if so_far.startswith(typed) or typed.startswith(so_far):
            return typed
        return None


class ExclusionMemo:
    """The context's pre-filter of files, remembered across keystrokes for a moment.

    A context asks about ~180 files; judging one resolves its symlinks (an lstat per path
    component), about half the context's CPU per keystroke. A verdict is reused for `ttl_s`
    and forgotten at once when the exclusion rules change (`exclusion_epoch`). Nothing is
    weakened: the endpoint judges every source of the request again, uncached, before anything
    leaves, so a file excluded within the window is refused there, not sent. The window (10 s)
    only bounds how long a re-pointed symlink may still be proposed; with 2 s a pause of
    reading code re-judged all ~180 files on the next keystroke.
    """

    def __init__(
        self,
        judge: Callable[[Path], bool],
        ttl_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._judge = judge
        self._ttl_s = ttl_s
        self._clock = clock
        self._verdicts: dict[Path, bool] = {}
        #: the same verdicts by (root, relative path), as the context builder asks
        self.by_relative: dict[tuple[str, str], bool] = {}
        self._key: tuple[object, float] = (None, 0.0)

    def fresh_for(self, epoch: object) -> ExclusionMemo:
        """This memo, emptied when the rules changed or its verdicts grew old."""
        now = self._clock()
        if epoch != self._key[0] or now - self._key[1] > self._ttl_s:
            self._verdicts = {}
            self.by_relative = {}
            self._key = (epoch, now)
        return self

    def __call__(self, path: Path) -> bool:
        verdict = self._verdicts.get(path)
        if verdict is None:
            verdict = self._verdicts[path] = bool(self._judge(path))
        return verdict


async def _nothing_unread() -> bool:
    return False


def _arrival(query: CompletionQuery) -> float:
    """When the debounce started: the request's arrival, never later than now."""
    now = time.monotonic()
    return now if query.received_at is None else min(now, query.received_at)


class CompletionEngine:
    """`catch_up` lets the transport take in what the client already sent (the server's
    `MessageInbox.catch_up`; True if there was some): a keystroke sent while the loop was busy
    must supersede a request before it asks the endpoint and before it answers.
    `after_answer` runs bookkeeping once the answer is written (the audit record of what the
    endpoint sent back, the end of its HTTP response); by default at once."""

    def __init__(
        self,
        session: Session,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        catch_up: Callable[[], Awaitable[bool]] = _nothing_unread,
        after_answer: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self._session = session
        self._sleep = sleep
        self._catch_up = catch_up
        self._after_answer = after_answer
        self.cache = CompletionCache()
        self.recent = RecentFiles()
        self.counters = Counters()
        self._flights: dict[str, _Flight] = {}
        self._generation: dict[str, int] = {}
        self._exclusions = ExclusionMemo(lambda path: self._session.is_excluded(path))

    # -- the request path -----------------------------------------------------------

    async def complete(self, query: CompletionQuery) -> Suggestion | None:
        """The one suggestion to show at the cursor, or None."""
        settings = self._session.settings
        if not settings.completion.enabled or self._session.is_excluded(query.path, query.uri):
            return None
        if not decide.worth_asking(query.text, query.offset, query.invoked):
            return None
        generation = self._generation.get(query.uri, 0) + 1
        self._generation[query.uri] = generation
        if self._session.endpoint is not None:
            # The user is typing: the connection is opened during the debounce, not after.
            self._session.endpoint.warm_connection()

        cached = self.cache.lookup(query.uri, query.text, query.offset)
        if cached is not None:
            self.counters.cache_hits += 1
            return Suggestion(cached, "cache", settings.models.completion)

        if not self._endpoint_ready():
            return self._offline(query)

        flight = self._flights.get(query.uri)
        if flight is not None and not flight.task.done():
            typed = flight.serves(query.text, query.offset)
            if typed is not None:
                self.counters.reused_in_flight += 1
                return await self._await_flight(flight, query, typed, generation)
            self._supersede(query.uri)

        started, cpu = _arrival(query), time.thread_time()
        context = self._context(query)  # built inside the debounce window, where it is free
        plan = self._plan(query, context)  # and so is the request made of it
        if not query.invoked and settings.completion.debounce_ms:
            if self._session.endpoint is not None:  # so is its secret scan
                self._session.endpoint.prescan((context.prefix, context.suffix), context.sources)
            prepared = time.thread_time()
            remaining = settings.completion.debounce_ms / 1000 - (time.monotonic() - started)
            await self._sleep(max(0.0, remaining))
            if not await self._still_current(query, generation):
                return None  # a newer keystroke arrived; its request will answer
        else:
            prepared = time.thread_time()
        self.counters.prepare_cpu_ms += (prepared - cpu) * 1000
        cpu = time.thread_time()
        try:
            flight = self._start(query, plan)
            return await self._await_flight(flight, query, "", generation)
        finally:
            self.counters.critical_cpu_ms += (time.thread_time() - cpu) * 1000
            start_pending_warm_up()  # the tokenizer's background load waited for this answer

    async def _still_current(self, query: CompletionQuery, generation: int) -> bool:
        """Whether this request still speaks for the text as typed, once the transport has
        taken in what the client already sent: no newer request for the document, and (for an
        open document) no change since it was asked."""
        if await self._catch_up():
            await asyncio.sleep(0)  # newly read requests reach their handlers
        if self._generation.get(query.uri) != generation:
            return False
        if query.version is None:
            return True
        doc = self._session.documents.get(query.uri)
        return doc is not None and doc.version == query.version

    def _endpoint_ready(self) -> bool:
        endpoint = self._session.endpoint
        return endpoint is not None and endpoint.status.state == "ready"

    def _offline(self, query: CompletionQuery) -> Suggestion | None:
        self.counters.offline_answers += 1
        text = inline_from_index(self._session, query.path, query.text, query.offset)
        return Suggestion(text, "index", "index (offline)") if text else None

    def _supersede(self, uri: str) -> None:
        flight = self._flights.pop(uri, None)
        if flight is not None and not flight.task.done():
            self.counters.superseded += 1
            flight.task.cancel()

    def _context(self, query: CompletionQuery) -> CompletionContext:
        session = self._session
        index = session.index_for(query.path) if query.path is not None else None
        endpoint = session.endpoint
        epoch = (id(endpoint), endpoint.exclusion_epoch if endpoint is not None else 0)
        is_excluded = self._exclusions.fresh_for(epoch)
        builder = ContextBuilder(
            index, is_excluded=is_excluded, recent=self.recent, verdicts=is_excluded.by_relative
        )
        return builder.build(
            path=query.path,
            language_id=query.language_id,
            text=query.text,
            offset=query.offset,
            budget_tokens=session.settings.completion.context_tokens,
        )

    def _plan(self, query: CompletionQuery, context: CompletionContext) -> _Plan:
        """The answer's shape and the endpoint request, made before the debounce ends."""
        settings = self._session.settings
        path = query.path
        index = self._session.index_for(path) if path is not None else None
        tree = index.open_tree(path) if index is not None and path is not None else None
        shape = decide.shape_at(query.text, query.offset, settings.completion.multiline, tree)

        def stop_when(so_far: str) -> bool:
            if shape.multiline:
                return decide.block_finished(so_far, shape.indent)
            return "\n" in so_far

        request = FimRequest(
            prompt=context.prefix,
            suffix=context.suffix,
            max_tokens=settings.completion.max_tokens,
            stop=shape.stop,
            sources=context.sources,
            stop_when=stop_when,
            model=settings.models.completion,
            repo_context=repo_context(context) if self._sends_repo_context() else None,
        )
        return _Plan(Anchor.at(query.uri, query.text, query.offset), shape, request)

    def _sends_repo_context(self) -> bool:
        """Whether the endpoint's engine takes the snippets apart (llama.cpp's input_extra);
        for the others cutting them out of the prefix would be work for nothing."""
        endpoint = self._session.endpoint
        return endpoint is not None and endpoint.uses_repo_context

    def _start(self, query: CompletionQuery, plan: _Plan) -> _Flight:
        partial: list[str] = []
        task = asyncio.ensure_future(self._fetch(query, plan, partial))
        flight = _Flight(plan.anchor, plan.shape, task, partial)
        self._flights[query.uri] = flight
        return flight

    async def _await_flight(
        self, flight: _Flight, query: CompletionQuery, typed: str, generation: int
    ) -> Suggestion | None:
        """The flight's answer for this request; None once a newer request for the document
        came in (it shares the flight and answers for the text as typed since: an answer for
        the older state would be a stale ghost text)."""
        flight.waiters += 1
        try:
            completion = await asyncio.shield(flight.task)
        except asyncio.CancelledError:
            if flight.task.cancelled():
                return None  # superseded by a newer request
            raise
        except EndpointError as exc:
            log.info("completion request failed: %s", exc.reason)
            return self._offline(query)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                flight.task.cancel()  # nobody waits any more ($/cancelRequest): close the stream
        if completion is None:
            return None
        if self._flights.get(query.uri) is flight:
            self.cache.put(flight.anchor, completion)
        if not await self._still_current(query, generation):
            return None
        rest = forward(completion, typed)
        if not rest:
            return None
        return Suggestion(rest, "ai", self._session.settings.models.completion)

    async def _fetch(self, query: CompletionQuery, plan: _Plan, partial: list[str]) -> str | None:
        endpoint = self._session.endpoint
        self.counters.endpoint_requests += 1
        assert endpoint is not None
        result = await endpoint.fim(
            plan.request, on_delta=partial.append, after_answer=self._after_answer
        )
        return postprocess.clean(result.text, query.text, query.offset, plan.shape)

    # -- index-only items (textDocument/completion) ---------------------------------

    def index_items(self, query: CompletionQuery, limit: int = 50) -> list[IndexItem]:
        if self._session.is_excluded(query.path, query.uri):
            return []
        return index_items(self._session, query.path, query.text, query.offset, limit)

    def forget(self, uri: str) -> None:
        self._supersede(uri)
        self.cache.clear(uri)
        self._generation.pop(uri, None)

    def on_document(self, event: DocumentEvent) -> None:
        """Recently edited files feed the context; a closed document leaves no state behind
        (a DocumentEvents subscriber)."""
        doc = event.document
        if event.kind == "close":
            self.forget(event.uri)
            if doc is not None and doc.path is not None:
                self.recent.forget(doc.path)
        elif (
            event.kind in ("open", "change")
            and doc is not None
            and doc.path is not None
            and not self._session.is_excluded(doc.path)
        ):
            self.recent.touch(doc.path, doc.text)


def repo_context(context: CompletionContext) -> RepoContext | None:
    """The prompt's snippets apart from the file's own prefix (for llama.cpp's `input_extra`).

    Cut from the rendered prefix itself, so the budget and redaction are those of the prompt;
    None when the prefix does not start with exactly those snippets (then it goes whole).
    """
    if not context.snippets:
        return None
    first = context.prefix.split("\n", 1)[0]
    marker = f" path: {context.snippets[0].path}"
    if not first.endswith(marker):
        return None
    comment = first[: -len(marker)]
    rendered = render_snippets(context.snippets, comment)
    if not context.prefix.startswith(rendered):
        return None
    own = context.prefix[len(rendered) :]
    if context.sources:
        own_header = header(context.sources[0], comment)
        own = own.removeprefix(own_header)
    chunks = tuple(
        (s.path, s.text if s.text.endswith("\n") else s.text + "\n") for s in context.snippets
    )
    return RepoContext(chunks, own)
