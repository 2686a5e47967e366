"""The garbage collector held off while a context is assembled.

A cold assembly makes some 30,000 short-lived objects (index rows, definitions, rendered
pieces): every 700 allocations the collector walks the young generation, and now and then
older ones too, 0.4-0.9 ms of a ~10 ms assembly (bench/context_recall.py on the standard
library). Reference counting frees those objects all the same; the few cycles they leave
are collected after the assembly, while the request is on its way to the endpoint.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
