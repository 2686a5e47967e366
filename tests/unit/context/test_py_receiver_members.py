"""Python context after `receiver.` with nothing typed yet: which of the receiver's classes
(a thin subclass or the base that holds the interface) and which of their members (what the
whole file calls on that receiver, the most called first) the prompt shows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context.candidates import candidates_for_cursor
from lsp_server.context.gather import MAX_FITTING_MEMBERS, W_CURSOR, Gatherer
from lsp_server.context.receivers import MIN_CHAIN_SHARE, api_shares, docstring_types
from lsp_server.context.view import IndexView
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed

_VERBS = ("read", "write", "flush", "peek")
_NOUNS = ("bytes", "line", "until", "chunk", "header", "body")

FILES = {
    # a base holding the interface, a subclass adding one public method
    "net/base.py": (
        "class BaseStream:\n"
        + "".join(
            f"    def {verb}_{noun}(self, data: bytes) -> int:\n        return 0\n\n"
            for verb in _VERBS
            for noun in _NOUNS
        )
        + "    def closed(self) -> bool:\n        return False\n"
    ),
    "net/stream.py": (
        "from net.base import BaseStream\n\n\n"
        "class IOStream(BaseStream):\n"
        "    def set_nodelay(self, value: bool) -> None:\n"
        "        pass\n\n"
        "    def _handle_connect(self) -> None:\n"
        "        pass\n"
    ),
    # a subclass with many members of its own, each called once, and a base member called
    # most often
    "ui/base.py": (
        "class Widget:\n"
        "    def post_message(self, message: object) -> bool:\n"
        "        return True\n\n"
        "    def refresh(self) -> None:\n"
        "        pass\n"
    ),
    "ui/screen.py": (
        "from ui.base import Widget\n\n\n"
        "class Screen(Widget):\n"
        + "".join(
            f"    def _step_{i}(self) -> None:\n        pass\n\n"
            for i in range(MAX_FITTING_MEMBERS + 2)
        )
    ),
    # a subclass implementing what its base declares, adding one method
    "srv/tcp.py": (
        "class TCPServer:\n"
        + "".join(
            f"    def {name}(self) -> None:\n        pass\n\n"
            for name in ("listen", "bind", "start", "stop", "handle_stream")
        )
    ),
    "srv/http.py": (
        "from srv.tcp import TCPServer\n\n\n"
        "class HTTPServer(TCPServer):\n"
        + "".join(
            f"    def {name}(self) -> None:\n        pass\n\n"
            for name in ("listen", "bind", "start", "handle_stream", "close_all_connections")
        )
    ),
    # a big class whose members come in families (`compare_*`)
    "ddl/impl.py": (
        "class DefaultImpl:\n"
        + "".join(
            f"    def {name}(self, a, b) -> bool:\n        return True\n\n"
            for name in (
                "compare_indexes",
                "compare_unique_constraint",
                "compare_check_constraint",
                "drop_table",
                "create_index",
                "rename_column",
            )
        )
    ),
    # an alternate constructor with no return annotation
    "auth/creds.py": (
        "class Credentials:\n"
        "    @classmethod\n"
        "    def from_signing_credentials(cls, credentials, audience=None):\n"
        "        return cls()\n\n"
        "    def refresh(self, request) -> None:\n"
        "        pass\n"
    ),
    # a chain of attributes: a dataclass field, a property, a descriptor
    "lines/line.py": (
        "class Line:\n"
        "    def contains_comments(self) -> bool:\n        return False\n\n"
        "    def is_import(self) -> bool:\n        return False\n"
    ),
    "lines/result.py": (
        "from dataclasses import dataclass\n\n"
        "from lines.line import Line\n\n\n"
        "@dataclass\n"
        "class Result:\n"
        "    head: Line\n"
        "    body: Line\n"
    ),
    "lines/color.py": (
        "class Color:\n    def tint(self, other: 'Color') -> 'Color':\n        return self\n\n\n"
        "class ColorProperty:\n"
        "    def __get__(self, obj: object, objtype: type | None = None) -> Color:\n"
        "        return Color()\n\n\n"
        "class Styles:\n"
        "    background = ColorProperty()\n\n"
        "    @property\n"
        "    def result(self) -> 'Result':\n"
        "        return None\n"
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "py-receiver-members")


def _gathered(
    index: RepoIndex, rel: str, text: str, after: list[str] | None = None
) -> tuple[dict[str, float], frozenset[str]]:
    """`Container.name` (or `name`) -> score of each candidate, and the names a cut class
    skeleton shows first, for a cursor at the end of `text` (`after`: the lines below it)."""
    lines = text.split("\n")
    view = IndexView(index, lambda _p: True, rel)
    index.update_text(index.root / rel, text + "\n" + "\n".join(after or []))
    try:
        found = candidates_for_cursor(view, rel, "python", lines, after or [], 0)
    finally:
        index.close_text(index.root / rel)
    scores = {
        f"{c.definition.container}.{c.definition.name}"
        if c.definition.container
        else c.definition.name: c.score
        for c in found.gathered.candidates.values()
    }
    return scores, found.hot


def test_base_holding_the_interface_outweighs_a_thin_subclass(index: RepoIndex) -> None:
    # `stream: IOStream`, IOStream adds `set_nodelay` to BaseStream's 25 methods: the next
    # member is most likely one of the base's
    text = (
        "from net.stream import IOStream\n\n\n"
        "def pump(stream: IOStream) -> None:\n"
        "    if not stream."
    )
    scores, _hot = _gathered(index, "net/user.py", text)
    assert scores.get("BaseStream", 0.0) >= W_CURSOR
    assert scores.get("IOStream", 0.0) < scores["BaseStream"]


def test_chain_shares_count_the_public_names_each_class_adds(index: RepoIndex) -> None:
    view = IndexView(index, lambda _p: True, "net/user.py")
    stream = next(d for d in view.definitions("IOStream") if d.kind == "class")
    base = next(d for d in view.definitions("BaseStream") if d.kind == "class")
    shares = dict((d.name, s) for d, s in api_shares(view, [(stream, 1.0), (base, 0.7)]))
    assert shares["BaseStream"] == 1.0
    # one public name of 26 (`_handle_connect` is private): the floor, by its place
    assert shares["IOStream"] == pytest.approx(MIN_CHAIN_SHARE)


def test_a_name_counts_for_the_class_that_introduces_it(index: RepoIndex) -> None:
    # the server subclass overrides what the base declares: the interface is the base's
    view = IndexView(index, lambda _p: True, "srv/user.py")
    http = next(d for d in view.definitions("HTTPServer") if d.kind == "class")
    tcp = next(d for d in view.definitions("TCPServer") if d.kind == "class")
    shares = dict((d.name, s) for d, s in api_shares(view, [(http, 1.0), (tcp, 0.7)]))
    assert shares["TCPServer"] == 1.0
    assert shares["HTTPServer"] < 0.5


def test_members_called_far_above_and_below_the_cursor_are_shown_first(
    index: RepoIndex,
) -> None:
    filler = [f"    n_{i} = {i}" for i in range(400)]
    text = "\n".join(
        [
            "from net.base import BaseStream\n\n",
            "def pump(stream: BaseStream) -> None:",
            "    stream.flush_body(b'')",
            *filler,
            "    stream.",
        ]
    )
    below = ["    stream.peek_chunk(b'')", "    return None"]
    _scores, hot = _gathered(index, "net/user.py", text, below)
    assert {"flush_body", "peek_chunk"} <= hot


def test_most_called_member_of_the_chain_beats_a_subclass_member_called_once(
    index: RepoIndex,
) -> None:
    calls = [f"    screen._step_{i}()" for i in range(MAX_FITTING_MEMBERS + 2)]
    text = "\n".join(
        [
            "from ui.screen import Screen\n\n",
            "def show(screen: Screen) -> None:",
            *calls,
            *["    screen.post_message(None)"] * 3,
            "    screen.",
        ]
    )
    _scores, hot = _gathered(index, "ui/app.py", text)
    assert "post_message" in hot


def test_chain_of_attributes_follows_a_dataclass_field(index: RepoIndex) -> None:
    # `rhs.head.`: `rhs: Result`, `head: Line` (the name `head` alone names no class)
    text = (
        "from lines.result import Result\n\n\n"
        "def prefer(rhs: Result) -> bool:\n"
        "    return rhs.head."
    )
    scores, _hot = _gathered(index, "lines/user.py", text)
    assert scores.get("Line", 0.0) >= W_CURSOR


def test_chain_of_attributes_reads_a_property_and_a_descriptor(index: RepoIndex) -> None:
    # `styles.result.head.`: a property's return type, then a field; `styles.background.`:
    # a descriptor reads as what its `__get__` returns (Color), not as the descriptor
    head = "from lines.color import Styles\n\n\ndef paint(styles: Styles) -> None:\n"
    scores, _hot = _gathered(index, "lines/paint.py", head + "    styles.result.head.")
    assert scores.get("Line", 0.0) >= W_CURSOR
    scores, _hot = _gathered(index, "lines/paint.py", head + "    styles.background.")
    assert scores.get("Color", 0.0) >= W_CURSOR
    assert scores.get("ColorProperty", 0.0) < W_CURSOR


def test_comment_above_the_statement_names_the_member_it_calls(index: RepoIndex) -> None:
    # `# contains comments` documents the `if (` statement the cursor is in
    text = (
        "from lines.line import Line\n\n\n"
        "def check(line: Line) -> bool:\n"
        "    # contains comments\n"
        "    if (\n"
        "        line."
    )
    _scores, hot = _gathered(index, "lines/check.py", text)
    assert "contains_comments" in hot
    # a comment above another statement says nothing about this one
    other = text.replace("    if (\n", "    ok = True\n    if (\n")
    _scores, hot = _gathered(index, "lines/check.py", other)
    assert "contains_comments" not in hot


def test_member_of_the_family_the_file_calls_on_the_receiver_fits(index: RepoIndex) -> None:
    # `impl.compare_indexes(...)`, `impl.compare_unique_constraint(...)` above: the next
    # `impl.` is likely a sibling, `compare_check_constraint`, not `drop_table`
    text = "\n".join(
        [
            "from ddl.impl import DefaultImpl\n\n",
            "def compare(impl: DefaultImpl, a, b) -> bool:",
            "    impl.compare_indexes(a, b)",
            "    impl.compare_unique_constraint(a, b)",
            "    return impl.",
        ]
    )
    _scores, hot = _gathered(index, "ddl/user.py", text)
    assert "compare_check_constraint" in hot
    assert "drop_table" not in hot


def test_untyped_parameter_has_the_class_its_docstring_gives(index: RepoIndex) -> None:
    # `stack` is unannotated; the docstring says it is a `Line` (Google style, Sphinx role)
    text = "\n".join(
        [
            "def build(stack, options):",
            '    """Set up a stack.',
            "",
            "    Args:",
            "      stack: :class:`~lines.line.Line` instance",
            "      options: Dictionary with options.",
            '    """',
            "    stack.",
        ]
    )
    scores, _hot = _gathered(index, "lines/build.py", text)
    assert scores.get("Line", 0.0) >= W_CURSOR


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ("        signer (google.auth.crypt.Signer): The signer.", {"signer": "Signer"}),
        ("    :type signer: Signer", {"signer": "Signer"}),
        ("        signer : crypt.Signer", {"signer": "Signer"}),
        ("        signer: the object that signs", {}),  # words, not a class
        ("        payload (Mapping[str, str]): The payload.", {}),  # a container
        ("        other (Signer): not a parameter", {}),
    ],
)
def test_docstring_parameter_styles(doc: str, expected: dict[str, str]) -> None:
    lines = ["def sign(signer, payload):", '    """Sign.', "", "    Args:", doc, '    """']
    assert docstring_types("def sign(signer, payload):", lines) == expected


def test_annotated_parameter_and_code_before_any_docstring_are_not_read() -> None:
    lines = ["def sign(signer: Key):", "    x = 1", '    """signer (Signer): no."""']
    assert docstring_types("def sign(signer: Key):", lines) == {}
    lines = ["def sign(signer):", "    x = 1", '    """signer (Signer): no."""']
    assert docstring_types("def sign(signer):", lines) == {}


def test_classmethod_called_on_its_class_builds_an_instance_of_it(index: RepoIndex) -> None:
    # `creds.Credentials.from_signing_credentials(...)`, no return annotation: a Credentials
    view = IndexView(index, lambda _p: True, "auth/user.py")
    gatherer = Gatherer(view, "auth/user.py", "python")
    gatherer.add_call_types(
        {
            "jwt_credentials": "Credentials.from_signing_credentials",
            "other": "factory.from_signing_credentials",  # not called on its class
        }
    )
    assert gatherer.receiver_types == {"jwt_credentials": "Credentials"}
