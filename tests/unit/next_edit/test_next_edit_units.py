"""The next-edit service's parts alone: history coalescing, diff → edit, undo and typing
guards, syntax validation, chaining through a prediction."""

from __future__ import annotations

from lsp_server.next_edit import guards
from lsp_server.next_edit.diffs import history_diff
from lsp_server.next_edit.edits import Edit, derive_edits, order_from_cursor, window_around
from lsp_server.next_edit.history import COALESCE_S, MAX_STEPS, EditHistory
from lsp_server.next_edit.service import NextEdits, _advance

SOURCE = "def area(width, height):\n    return width * height\n\n\nprint(area(2, 3))\n"


def typed(history: EditHistory, text: str, at: int, chars: str, start: float) -> str:
    for i, ch in enumerate(chars):
        text = text[: at + i] + ch + text[at + i :]
        history.record(text, start + i * 0.1)
    return text


def test_keystrokes_in_one_place_coalesce_into_one_step() -> None:
    history = EditHistory("x = 1\n")
    typed(history, "x = 1\n", 5, "234", 0.0)
    assert len(history.steps) == 1
    step = history.steps[0]
    assert (step.before, step.after, step.line) == ("x = 1", "x = 1234", 0)


def test_a_pause_or_another_place_starts_a_new_step() -> None:
    history = EditHistory("a\nb\n")
    text = typed(history, "a\nb\n", 1, "x", 0.0)
    typed(history, text, 1, "y", COALESCE_S + 1)  # same place, after a pause
    text = typed(history, history.text, len(history.text) - 1, "z", COALESCE_S + 1.1)
    assert [s.after for s in history.steps] == ["ax", "ayx", "bz"]


def test_backspacing_into_a_step_and_typing_it_back_is_nothing() -> None:
    history = EditHistory("name = 1\n")
    history.record("nam = 1\n", 0.0)
    history.record("name = 1\n", 0.1)
    assert history.steps == []


def test_history_is_bounded() -> None:
    history = EditHistory("")
    text = ""
    for i in range(MAX_STEPS + 5):
        text += f"line{i}\n"
        history.record(text, i * 10.0)
    assert len(history.steps) == MAX_STEPS


def test_history_diff_is_a_unified_diff_with_real_line_numbers() -> None:
    history = EditHistory(SOURCE)
    history.record(SOURCE.replace("area(width,", "area(w,"), 0.0)
    diff = history_diff(history.steps, "geo.py")
    assert diff.splitlines() == [
        "--- a/geo.py",
        "+++ b/geo.py",
        "@@ -1 +1 @@",
        "-def area(width, height):",
        "+def area(w, height):",
    ]


def test_the_rewritten_window_gives_word_sized_edits_in_document_offsets() -> None:
    text = "import os\n" + SOURCE
    window = window_around(text, text.index("area"), before=0, after=2)
    assert text[window.start : window.end] == SOURCE[: SOURCE.index("\n\n") + 2]
    rewritten = text[window.start : window.end].replace("width", "w")[:-1]
    edits = derive_edits(text, window, rewritten)
    body = text.index("width * height")
    first = text.index("width")
    assert edits == [Edit(first, first + 5, "w"), Edit(body, body + 5, "w")]


def test_edits_after_the_cursor_come_first() -> None:
    edits = [Edit(1, 2, "a"), Edit(10, 12, "b"), Edit(30, 30, "c")]
    assert order_from_cursor(edits, 11) == [Edit(10, 12, "b"), Edit(30, 30, "c"), Edit(1, 2, "a")]


def test_an_edit_that_undoes_the_last_step_is_dropped() -> None:
    renamed = SOURCE.replace("area(width,", "area(w,")
    history = EditHistory(SOURCE)
    history.record(renamed, 0.0)
    at = renamed.index("(w,") + 1
    undo = Edit(at, at + 1, "width")
    follow = Edit(renamed.index("width"), renamed.index("width") + 5, "w")
    assert guards.undoes_last_step(undo, history)
    assert guards.keep([undo, follow], history, "python") == [follow]


def test_an_edit_touching_what_is_being_typed_is_dropped() -> None:
    history = EditHistory("total = 0\n")
    history.record("total = 10\n", 0.0)  # typed "1" before the 0
    assert guards.touches_typing(Edit(8, 9, "2"), history)
    assert not guards.touches_typing(Edit(0, 5, "sum"), history)
    assert not guards.touches_typing(Edit(10, 10, "0"), history)  # appending continues it


def test_an_edit_that_breaks_the_syntax_is_dropped_and_a_broken_file_may_stay_broken() -> None:
    history = EditHistory("x = 1\n")
    history.record("x = 12\n", 0.0)
    assert guards.keep([Edit(0, 1, "def (")], history, "python") == []
    assert guards.keep([Edit(0, 1, "y")], history, "python") == [Edit(0, 1, "y")]


def test_accepting_one_edit_of_a_prediction_leaves_the_others_shifted() -> None:
    text = "a = f(x)\nb = f(x)\n"
    first, second = Edit(6, 7, "yy"), Edit(15, 16, "yy")
    prediction = NextEdits("id", text, (first, second), "m")
    advanced = _advance(prediction, text, first.apply(text))
    assert advanced is not None
    assert advanced.edits == (Edit(16, 17, "yy"),)
    assert advanced.edits[0].apply(advanced.text) == "a = f(yy)\nb = f(yy)\n"
    assert _advance(prediction, text, text + "# other\n") is None
