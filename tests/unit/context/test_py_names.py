"""Names read around the cursor in Python: a window that starts inside a docstring."""

from __future__ import annotations

from lsp_server.context.names import code_lines, names_near


def test_window_starting_inside_a_docstring_still_reads_the_code_after_it() -> None:
    prose = [f"        prose line {i} about listing" for i in range(50)]
    prefix = [
        "    def listdir(self, path):",
        '        """List a folder.',
        *prose,
        '        """',
        "        msg = Message(packet)",
        "        number = msg.get_int()",
        "        count = ",
    ]
    uses = names_near(prefix, [], before=40)
    assert "msg" in uses and "Message" in uses and "get_int" in uses
    assert "prose" not in uses  # the docstring's words are still not names


def test_suffix_read_as_code_after_a_closed_docstring() -> None:
    prefix = ["def f():", '    """Doc."""', "    x = "]
    suffix = ["    y = helper(x)", '    """not a docstring opener here"""', "    return y"]
    uses = names_near(prefix, suffix)
    assert "helper" in uses


def test_code_lines_knows_it_starts_inside_triple_quotes() -> None:
    assert code_lines(["  words", '  """', "x = f()"], inside=True) == ["", "", "x = f()"]
    assert code_lines(["x = f()", '  """', "  words"]) == ["x = f()", "  ", ""]
