"""The heap is frozen out of the garbage collector's sight once, when the server first turns
ready: a later freeze would keep whatever cyclic garbage waits for a collection forever."""

from __future__ import annotations

import gc

from lsp_server import server
from lsp_server.context.gc_pause import YOUNG_THRESHOLD


def test_the_heap_is_settled_once_per_process() -> None:
    server._heap_settled = False
    thresholds = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        server.settle_heap()
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD  # sized for assemblies
        frozen = gc.get_freeze_count()
        later = [[index] for index in range(1000)]  # tracked objects made after the first time
        server.settle_heap()
        assert gc.get_freeze_count() == frozen
        assert later
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
