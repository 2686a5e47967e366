"""The garbage collector held off while a context is assembled, and its young generation
sized for assemblies.

Reference counting frees an assembly's objects all the same; the few cycles they leave are
collected later. Held off, the collector still counts what is allocated: with Python's young
threshold (700 tracked objects), what one cold assembly leaves in the shared caches crossed
it, and 39 of 60 cold assemblies on the standard library ended with a collection over those
objects (0.27 ms median, 1.4 ms when it went on to the middle generation; timed with
`gc.callbacks`). With 10,000: 3 of 60 (1.7-2.4 ms each), about half the collector's time
in all and none in most assemblies. The server raises it once ready (`server.settle_heap`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Tracked objects allocated (net) between two young collections, once the server is ready.
YOUNG_THRESHOLD = 10_000


def raise_young_threshold() -> None:
    """Collect the young generation after `YOUNG_THRESHOLD` allocations (never fewer than
    the process asked for already); the older generations keep their ratios."""
    young, middle, old = gc.get_threshold()
    if young != 0:  # 0: automatic collection is off for good, and stays so
        gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)


@contextmanager
def collections_held() -> Iterator[None]:
    """No collection inside the block; the collector is on again after it (only if it was
    on before: assemblies in two threads at once leave it as they found it)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
