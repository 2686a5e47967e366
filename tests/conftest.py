"""Shared fixtures: an isolated environment, the fake endpoint, and real servers over stdio."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pytest_lsp import LanguageClient

from fixtures.fake_mistral import FakeMistral
from tests.lsp_harness import isolated_env, start_server, stop_server


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return isolated_env(tmp_path)


@pytest.fixture
def fake() -> Iterator[FakeMistral]:
    with FakeMistral() as server:
        yield server


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


@pytest_asyncio.fixture
async def launch() -> AsyncIterator[Callable[..., Awaitable[LanguageClient]]]:
    """Start real servers (keyword arguments of `start_server`); all are stopped afterwards."""
    clients: list[LanguageClient] = []

    async def _launch(**kwargs: Any) -> LanguageClient:
        client = await start_server(**kwargs)
        clients.append(client)
        return client

    yield _launch
    for client in clients:
        await stop_server(client)
