"""The completion context's memo of exclusion verdicts: reused across keystrokes, forgotten
when the rules change or the verdicts grow old."""

from __future__ import annotations

from pathlib import Path

from lsp_server.completion.engine import ExclusionMemo


class _Judge:
    def __init__(self) -> None:
        self.excluded: set[Path] = set()
        self.asked = 0

    def __call__(self, path: Path) -> bool:
        self.asked += 1
        return path in self.excluded


def test_a_verdict_is_reused_within_the_window() -> None:
    judge, now = _Judge(), [0.0]
    memo = ExclusionMemo(judge, ttl_s=2.0, clock=lambda: now[0])
    assert memo.fresh_for(1)(Path("a.py")) is False
    now[0] = 1.0
    assert memo.fresh_for(1)(Path("a.py")) is False
    assert judge.asked == 1


def test_a_rule_change_is_seen_at_once() -> None:
    judge, now = _Judge(), [0.0]
    memo = ExclusionMemo(judge, ttl_s=2.0, clock=lambda: now[0])
    assert memo.fresh_for(1)(Path("a.py")) is False
    judge.excluded.add(Path("a.py"))
    assert memo.fresh_for(2)(Path("a.py")) is True  # a new exclusion epoch


def test_old_verdicts_expire() -> None:
    judge, now = _Judge(), [0.0]
    memo = ExclusionMemo(judge, ttl_s=2.0, clock=lambda: now[0])
    assert memo.fresh_for(1)(Path("a.py")) is False
    judge.excluded.add(Path("a.py"))  # e.g. a symlink re-pointed into an excluded directory
    now[0] = 2.5
    assert memo.fresh_for(1)(Path("a.py")) is True


def test_the_builder_reuses_verdicts_by_relative_path_until_they_expire() -> None:
    """A context asks about each file of its candidates on every keystroke; the answer is
    kept by relative path with the memo's verdicts, and forgotten with them."""
    from lsp_server.context import ContextBuilder

    judge, now = _Judge(), [0.0]
    memo = ExclusionMemo(judge, ttl_s=2.0, clock=lambda: now[0])

    def allowed(epoch: int) -> bool:
        fresh = memo.fresh_for(epoch)
        builder = ContextBuilder(None, is_excluded=fresh, verdicts=fresh.by_relative)
        return builder._allowed("pkg/a.py")

    assert allowed(1) and allowed(1) and judge.asked == 1  # a second request asks nothing
    judge.excluded.add(Path("pkg/a.py"))
    assert not allowed(2) and judge.asked == 2  # the rules changed: asked again
    judge.excluded.clear()
    now[0] = 3.0
    assert allowed(2) and judge.asked == 3  # grown old: asked again
