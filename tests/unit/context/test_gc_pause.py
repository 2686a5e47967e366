"""An assembly runs with the garbage collector held off, and leaves it as it found it."""

from __future__ import annotations

import gc
import threading

import pytest

from lsp_server.context import ContextBuilder
from lsp_server.context import builder as builder_module
from lsp_server.context.gc_pause import YOUNG_THRESHOLD, collections_held, raise_young_threshold


def _build_seeing_gc(monkeypatch: pytest.MonkeyPatch, fail: bool = False) -> list[bool]:
    """Whether the collector was on while the builder packed (no index: only the file)."""
    seen: list[bool] = []
    real = builder_module.cut_suffix

    def cut_suffix(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        if fail:
            raise RuntimeError("a stage failed")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builder_module, "cut_suffix", cut_suffix)
    ContextBuilder(None, is_excluded=lambda _p: False).build(
        path=None, language_id="python", text="x = 1\ny = ", offset=10, budget_tokens=200
    )
    return seen


def test_no_collection_during_an_assembly(monkeypatch: pytest.MonkeyPatch) -> None:
    assert gc.isenabled()
    assert _build_seeing_gc(monkeypatch) == [False]
    assert gc.isenabled()


def test_the_collector_is_on_again_after_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError):
        _build_seeing_gc(monkeypatch, fail=True)
    assert gc.isenabled()


def test_held_while_off_leaves_it_off() -> None:
    gc.disable()
    try:
        with collections_held():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_two_threads_leave_it_on() -> None:
    inside = threading.Barrier(2)

    def assemble() -> None:
        with collections_held():
            inside.wait(timeout=10)

    threads = [threading.Thread(target=assemble) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert gc.isenabled()


def _collections_after_keeping(count: int) -> list[int]:
    """The collections this thread set off while `count` new lists were kept in a held
    block (an assembly leaving answers in the shared caches) and just after it."""
    me = threading.get_ident()
    seen: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and threading.get_ident() == me:
            seen.append(info["generation"])

    kept: list[list[int]] = []
    gc.collect()  # the young generation's count starts from nothing
    gc.callbacks.append(watch)
    try:
        with collections_held():
            kept.extend([index] for index in range(count))
        after = [[index] for index in range(10)]  # the first allocations once it is on again
    finally:
        gc.callbacks.remove(watch)
    assert len(kept) == count and after
    return seen


def test_what_an_assembly_keeps_sets_off_no_young_collection_once_raised() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)  # Python's default: the control
        assert _collections_after_keeping(1500) != []
        raise_young_threshold()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
        assert _collections_after_keeping(1500) == []
    finally:
        gc.set_threshold(*saved)


def test_a_higher_or_switched_off_threshold_is_left_as_it_is() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(YOUNG_THRESHOLD * 3, 5, 5)
        raise_young_threshold()
        assert gc.get_threshold() == (YOUNG_THRESHOLD * 3, 5, 5)
        gc.set_threshold(0, 5, 5)
        raise_young_threshold()
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*saved)
