"""The refactor service's pure parts: extraction, reshaping, diffs, validation, sanitising."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from lsp_server.refactor.actions import KIND_QUICKFIX, KIND_REWRITE, KIND_SOURCE, kind_matches
from lsp_server.refactor.answer_blocks import extract_code
from lsp_server.refactor.markdown import sanitize_markdown
from lsp_server.refactor.redaction import restore_redactions
from lsp_server.refactor.syntax import enclosing_definition, introduced_errors
from lsp_server.refactor.testfiles import locate_test_file
from lsp_server.refactor.textops import (
    apply_edits,
    fit_to_selection,
    line_edits,
    reindent,
    split_lines,
    unified_diff,
)

# -- extraction --------------------------------------------------------------------------


def test_extract_ignores_prose_around_the_block() -> None:
    answer = "Sure! Here you go:\n\n```python\ndef f():\n    return 1\n```\n\nThis is simpler."
    block = extract_code(answer, "python")
    assert block is not None and block.closed
    assert block.code == "def f():\n    return 1"


def test_extract_prefers_the_block_in_the_files_language() -> None:
    answer = (
        "```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```\n"
        "Usage:\n```bash\npython -c 'import x; print(add(1, 2)) # a longer block here'\n```"
    )
    block = extract_code(answer, "python")
    assert block is not None and block.code.startswith("def add")


def test_extract_longer_fence_holds_backticks() -> None:
    answer = "````markdown\n```python\nx = 1\n```\n````"
    block = extract_code(answer, "markdown")
    assert block is not None and block.code == "```python\nx = 1\n```"


def test_extract_without_a_block_is_none_and_unclosed_is_flagged() -> None:
    assert extract_code("I cannot do that.", "python") is None
    block = extract_code("```py\nx = 1\ny = ", "python")
    assert block is not None and not block.closed


# -- reshaping and diffs -----------------------------------------------------------------


def test_dedented_answer_is_put_back_at_the_selection_indent() -> None:
    original = "    def f(self, x):\n        return x+1\n"
    new = fit_to_selection("def f(self, x: int) -> int:\n    return x + 1", original, False, "\n")
    assert new == "    def f(self, x: int) -> int:\n        return x + 1\n"


def test_crlf_documents_keep_crlf_and_the_missing_final_newline_stays_missing() -> None:
    original = "if a:\r\n    b()"
    new = fit_to_selection("if a:\n    c()\n", original, False, "\r\n")
    assert new == "if a:\r\n    c()"


def test_selection_starting_mid_line() -> None:
    original = "foo(1,\n        2)"
    new = fit_to_selection("  foo(\n    1, 2\n)", original, True, "\n")
    assert new.startswith("foo(\n")
    assert new.split("\n")[1].startswith("        ")


def test_indentation_style_follows_the_file() -> None:
    tabbed = "\tdef f():\n\t\tif x:\n\t\t\ty()\n"
    assert (
        reindent("def f():\n    if x:\n        y()\n", tabbed, False) == tabbed.rstrip("\n") + "\n"
    )
    spaced = "  def f():\n    if x:\n      y()"
    assert reindent("def f():\n\tif x:\n\t\ty()", spaced, False) == spaced


def test_line_edits_are_minimal() -> None:
    old = "a\nb\nc\nd\n"
    new = "a\nB\nc\nd\n"
    edits = line_edits(old, new, base=100)
    assert [(e.start, e.end, e.new_text) for e in edits] == [(102, 104, "B\n")]


_lines = st.lists(st.sampled_from(["a\n", "b\n", "  c\n", "\n", "d\r\n", "e"]), max_size=12)


@given(_lines, _lines, st.text(alphabet="xy\n", max_size=5), st.text(alphabet="xy\n", max_size=5))
def test_line_edits_reproduce_the_answer_and_stay_inside_the_selection(
    a: list[str], b: list[str], before: str, after: str
) -> None:
    old, new = "".join(a), "".join(b)
    doc = before + old + after
    edits = line_edits(old, new, base=len(before))
    assert all(len(before) <= e.start <= e.end <= len(before) + len(old) for e in edits)
    assert apply_edits(doc, edits) == before + new + after


def test_split_lines_only_at_lsp_line_breaks() -> None:
    assert split_lines("a\x0cb\u2028c\r\nd\re") == ["a\x0cb\u2028c\r\n", "d\r", "e"]


def test_unified_diff_names_the_file() -> None:
    diff = unified_diff("x = 1\n", "x = 2\n", "pkg/m.py")
    assert diff.startswith("--- a/pkg/m.py\n+++ b/pkg/m.py\n")
    assert "-x = 1\n+x = 2\n" in diff


# -- syntax ------------------------------------------------------------------------------

SOURCE = "class A:\n    def f(self, x):\n        return x+1\n\n    def g(self):\n        pass\n"


def test_enclosing_definition_is_the_innermost_function_as_whole_lines() -> None:
    at = SOURCE.index("return")
    start, end = enclosing_definition(SOURCE, "python", at, at)  # type: ignore[misc]
    assert SOURCE[start:end] == "    def f(self, x):\n        return x+1\n"


def test_decorated_functions_include_their_decorators() -> None:
    text = "@cache\ndef f():\n    return 1\n"
    start, end = enclosing_definition(text, "python", text.index("return"), text.index("return"))  # type: ignore[misc]
    assert text[start:end] == text


def test_introduced_errors_only_counts_new_breakage() -> None:
    broken = SOURCE.replace("return x+1", "return (x+1")
    assert introduced_errors(SOURCE, broken, "python")
    assert introduced_errors(SOURCE, SOURCE.replace("x+1", "x + 1"), "python") == []
    # Already broken, not made worse: accepted (fixing one of two errors, for instance).
    assert introduced_errors(broken, broken.replace("pass", "return 0"), "python") == []
    assert introduced_errors("x", "}{", "plaintext") == []


# -- markdown ----------------------------------------------------------------------------


def test_remote_images_links_and_html_are_stripped_code_is_kept() -> None:
    md = (
        "It adds ![tracker](https://evil.example/p.png?d=SECRET) numbers, see "
        "[the docs](https://docs.example/x) or [below](#usage).\n"
        '<img src="https://evil.example/q.png"> and <https://auto.example/l>\n'
        "![ref-style][img]\n\n[img]: https://evil.example/r.png\n"
        "```python\n# ![kept](https://in.code/block)\n```\n"
        "Inline `https://in.code/span` and bare https://bare.example/z\n"
    )
    out = sanitize_markdown(md)
    assert "evil.example" not in out
    assert "https://docs.example" not in out and "the docs" in out
    assert "[below](#usage)" in out
    assert "# ![kept](https://in.code/block)" in out
    assert "`https://in.code/span`" in out
    assert "`https://bare.example/z`" in out and "`https://auto.example/l`" in out


# -- tests location ----------------------------------------------------------------------


def test_python_tests_follow_the_tests_folder(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    source = tmp_path / "pkg" / "util.py"
    source.write_text("x = 1\n")
    assert locate_test_file(source, tmp_path, "python") == tmp_path / "pkg" / "test_util.py"
    (tmp_path / "tests").mkdir()
    assert locate_test_file(source, tmp_path, "python") == tmp_path / "tests" / "test_util.py"
    existing = tmp_path / "pkg" / "util_test.py"
    existing.write_text("")
    assert locate_test_file(source, tmp_path, "python") == existing


def test_other_languages_conventions(tmp_path: Path) -> None:
    go = tmp_path / "cmd" / "main.go"
    assert locate_test_file(go, tmp_path, "go") == tmp_path / "cmd" / "main_test.go"
    ts = tmp_path / "src" / "a.ts"
    ts.parent.mkdir()
    (ts.parent / "b.spec.ts").write_text("")
    assert locate_test_file(ts, tmp_path, "typescript") == ts.parent / "a.spec.ts"
    java = tmp_path / "src" / "main" / "java" / "com" / "x" / "Foo.java"
    expected = tmp_path / "src" / "test" / "java" / "com" / "x" / "FooTest.java"
    assert locate_test_file(java, tmp_path, "java") == expected


def test_kind_filtering_is_by_dotted_prefix() -> None:
    assert kind_matches(KIND_REWRITE, ["refactor"])
    assert kind_matches(KIND_REWRITE, ["refactor.rewrite"])
    assert not kind_matches(KIND_REWRITE, ["refactor.extract"])
    assert not kind_matches(KIND_REWRITE, ["refactor.rewrite.mistralx"])
    assert kind_matches(KIND_QUICKFIX, ["quickfix"]) and not kind_matches(KIND_QUICKFIX, ["source"])
    assert kind_matches(KIND_SOURCE, None)


# -- redaction ---------------------------------------------------------------------------


def test_redacted_secrets_are_put_back_from_what_was_sent() -> None:
    sent = 'Code:\nAWS = "AKIAIOSFODNN7EXAMPLE"\nOTHER = "AKIAI44QH8DHBEXAMPLE"\n'
    code = 'AWS: str = "[REDACTED:AWS Access Key]"\nOTHER: str = "[REDACTED:AWS Access Key]"'
    restored, problems = restore_redactions(code, sent)
    assert problems == []
    assert restored == 'AWS: str = "AKIAIOSFODNN7EXAMPLE"\nOTHER: str = "AKIAI44QH8DHBEXAMPLE"'


def test_an_invented_placeholder_is_a_problem() -> None:
    restored, problems = restore_redactions('key = "[REDACTED:AWS]"', "x = 1\n")
    assert problems and "[REDACTED:AWS]" in restored
