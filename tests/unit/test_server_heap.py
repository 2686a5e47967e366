"""The heap is frozen out of the garbage collector's sight once, when the server first turns
ready: a later freeze would keep whatever cyclic garbage waits for a collection forever."""

from __future__ import annotations

import gc

from lsp_server import server


def test_the_heap_is_settled_once_per_process() -> None:
    server._heap_settled = False
    try:
        server.settle_heap()
        frozen = gc.get_freeze_count()
        later = [[index] for index in range(1000)]  # tracked objects made after the first time
        server.settle_heap()
        assert gc.get_freeze_count() == frozen
        assert later
    finally:
        gc.unfreeze()
