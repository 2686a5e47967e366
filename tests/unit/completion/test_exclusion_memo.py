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
