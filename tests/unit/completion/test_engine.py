"""The completion engine in-process: debounce with a fake clock, supersession, the cache, and
typing into a completion in flight — against the fake endpoint on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from fixtures.fake_mistral import FakeMistral, Reply
from lsp_server.completion import CompletionEngine, CompletionQuery
from lsp_server.documents.store import TextChange
from lsp_server.session import Session
from tests.fake_clock import Clock
from tests.sessions import isolated_session

TEXT = "def total(items):\n    return sum(i.price for i in "
URI = "file:///ws/shop.py"


@pytest.fixture
def fake() -> Any:
    with FakeMistral() as server:
        server.default_fim = "items)"
        yield server


def _session(tmp_path: Path, fake: FakeMistral, debounce_ms: int) -> Session:
    editor = {
        "endpoint": {"preset": "custom", "url": fake.url},
        "completion": {"debounceMs": debounce_ms},
        "privacy": {"auditPath": str(tmp_path / "audit.jsonl")},
    }
    session = isolated_session(tmp_path, editor)
    session.configure([tmp_path])
    return session


@pytest_asyncio.fixture
async def make(
    tmp_path: Path, fake: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[[int], Awaitable[tuple[CompletionEngine, Clock]]]]:
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key-unit-0123456789")
    sessions: list[Session] = []

    async def _make(
        debounce_ms: int, typist: Typist | None = None
    ) -> tuple[CompletionEngine, Clock]:
        clock = Clock()
        session = _session(tmp_path, fake, debounce_ms)
        sessions.append(session)
        if typist is None:
            return CompletionEngine(session, sleep=clock.sleep), clock
        typist.session = session
        session.documents.open(URI, "python", 1, TEXT)
        return CompletionEngine(session, sleep=clock.sleep, catch_up=typist.catch_up), clock

    yield _make
    for session in sessions:
        await session.aclose()


def _query(text: str = TEXT, invoked: bool = False) -> CompletionQuery:
    return CompletionQuery(URI, None, "python", text, len(text), invoked)


class Typist:
    """Stands in for the transport: the next keystroke's didChange already sits unread in the
    input when the engine lets the reader catch up (the `when`-th time it does)."""

    def __init__(self, when: int = 1) -> None:
        self.session: Session | None = None
        self._when = when
        self.calls = 0

    async def catch_up(self) -> bool:
        self.calls += 1
        if self.calls != self._when:
            return False
        assert self.session is not None
        self.session.documents.change(URI, 2, [TextChange("i", _end(TEXT), _end(TEXT))])
        return True


def _end(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines) - 1, len(lines[-1])


async def test_a_newer_keystroke_inside_the_debounce_wins(make, fake: FakeMistral) -> None:
    engine, clock = await make(75)
    first = asyncio.ensure_future(engine.complete(_query(TEXT[:-1])))
    await clock.until_waiting(1)
    second = asyncio.ensure_future(engine.complete(_query()))
    await clock.until_waiting(2)
    clock.release_all()
    assert await first is None  # superseded before it asked anything
    suggestion = await second
    assert suggestion is not None and suggestion.text == "items)"
    assert len(fake.requests_for("fim")) == 1 and engine.counters.endpoint_requests == 1


async def test_a_keystroke_unread_when_the_debounce_ends_supersedes_it(
    make, fake: FakeMistral
) -> None:
    """The loop was busy when the debounce ran out; the next keystroke was already sent.
    The request must not ask the endpoint: its text is gone."""
    typist = Typist()
    engine, clock = await make(75, typist)
    request = asyncio.ensure_future(engine.complete(_query_v1()))
    await clock.until_waiting(1)
    clock.release_all()
    assert await request is None
    assert typist.calls >= 1 and fake.requests_for("fim") == []


async def test_a_keystroke_unread_when_the_answer_is_ready_drops_it(
    make, fake: FakeMistral
) -> None:
    """The endpoint answered; the next keystroke came in meanwhile but was not read yet: the
    answer would be a stale ghost text."""
    typist = Typist()
    engine, _ = await make(0, typist)
    assert await engine.complete(_query_v1()) is None
    assert len(fake.requests_for("fim")) == 1
    # Control: with nothing unread the same request answers.
    engine, _ = await make(0, Typist(when=0))
    suggestion = await engine.complete(_query_v1())
    assert suggestion is not None and suggestion.text == "items)"


def _query_v1() -> CompletionQuery:
    return CompletionQuery(URI, None, "python", TEXT, len(TEXT), version=1)


async def test_invoked_completions_skip_the_debounce(make, fake: FakeMistral) -> None:
    engine, clock = await make(75)
    suggestion = await engine.complete(_query(invoked=True))
    assert suggestion is not None and clock.waiting == []


async def test_the_same_place_again_comes_from_the_cache(make, fake: FakeMistral) -> None:
    engine, _ = await make(0)
    assert (await engine.complete(_query())) is not None
    again = await engine.complete(_query())
    assert again is not None and again.source == "cache"
    assert len(fake.requests_for("fim")) == 1
    # Typing the first characters of the suggestion keeps serving its rest from the cache.
    typed = await engine.complete(_query(TEXT + "it"))
    assert typed is not None and typed.text == "ems)" and len(fake.requests_for("fim")) == 1


async def test_typing_into_a_completion_in_flight_reuses_it(make, fake: FakeMistral) -> None:
    fake.script("fim", Reply(delay_s=0.3))
    engine, _ = await make(0)
    first = asyncio.ensure_future(engine.complete(_query()))
    while not fake.requests_for("fim"):
        await asyncio.sleep(0.01)
    second = await engine.complete(_query(TEXT + "i"))
    assert (await first) is None  # its document state is gone: no stale ghost text
    assert second is not None and second.text == "tems)"
    assert engine.counters.reused_in_flight == 1 and len(fake.requests_for("fim")) == 1


async def test_closing_the_document_forgets_it(make, fake: FakeMistral) -> None:
    engine, _ = await make(0)
    assert (await engine.complete(_query())) is not None
    engine.forget(URI)
    again = await engine.complete(_query())
    assert again is not None and again.source == "ai" and len(fake.requests_for("fim")) == 2


async def test_the_debounce_counts_from_the_requests_arrival(
    tmp_path: Path, fake: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request the loop got round to late (its arrival long past) waits no more; one that
    just arrived waits (nearly) the whole debounce."""
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key-unit-0123456789")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    session = _session(tmp_path, fake, 2000)
    try:
        engine = CompletionEngine(session, sleep=sleep)
        late = CompletionQuery(URI, None, "python", TEXT, len(TEXT), received_at=0.0)
        assert await engine.complete(late) is not None
        engine.forget(URI)
        fresh = CompletionQuery(URI, None, "python", TEXT, len(TEXT))  # arrival unknown: now
        assert await engine.complete(fresh) is not None
    finally:
        await session.aclose()
    assert waits[0] == 0.0
    assert waits[1] > 1.0  # control: the same request counted from its handling
