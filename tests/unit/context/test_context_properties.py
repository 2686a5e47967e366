"""Properties of the completion context for arbitrary text, cursor and budget."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lsp_server.context import ContextBuilder, count_tokens

LINE = st.text(
    alphabet=st.sampled_from(list("abcdefxyz_ ()=:.,'\"#{}\t") + ["é", "日", "本", "🙂", "\r"]),
    max_size=60,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(LINE, min_size=1, max_size=80),
    where=st.floats(min_value=0, max_value=1),
    budget=st.integers(min_value=1, max_value=600),
)
def test_budget_and_line_boundaries_hold_for_any_text(
    lines: list[str], where: float, budget: int
) -> None:
    text = "\n".join(lines)
    offset = int(len(text) * where)
    context = ContextBuilder(None, is_excluded=lambda _p: False).build(
        path=Path("/nowhere/file.py"),
        language_id="python",
        text=text,
        offset=offset,
        budget_tokens=budget,
    )
    # the prefix is the header (if any) and then text ending exactly at the cursor
    assert text[:offset].endswith(context.prefix) or context.prefix.startswith("# path: ")
    own = context.prefix.split("# path: file.py\n", 1)[-1]
    assert text[:offset].endswith(own)
    start = offset - len(own)
    cursor_line_start = text.rfind("\n", 0, offset) + 1
    # whole lines, or (over budget) part of the cursor line only
    assert start == 0 or text[start - 1] == "\n" or start > cursor_line_start
    assert text[offset:].startswith(context.suffix)
    end = offset + len(context.suffix)
    assert end == len(text) or text[end] == "\n" or context.suffix == ""
    assert count_tokens(context.prefix) + count_tokens(context.suffix) <= budget
    assert context.tokens <= budget
