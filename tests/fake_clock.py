"""A debounce `sleep` the test releases by hand, so no test depends on real time."""

from __future__ import annotations

import asyncio


class Clock:
    def __init__(self) -> None:
        self.waiting: list[asyncio.Future[None]] = []

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append(future)
        await future

    async def until_waiting(self, count: int) -> None:
        while len(self.waiting) < count:
            await asyncio.sleep(0)

    def release_all(self) -> None:
        for future in self.waiting:
            if not future.done():
                future.set_result(None)
