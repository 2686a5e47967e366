"""Document sync under random incremental edits, checked against a full-text oracle.

One real server per position encoding serves every hypothesis example (a server per example
would be far too slow). After every didChange the server's copy of the document — read back
through `mistral.debug.documentText` — must equal the oracle's text exactly.

The oracle is written here independently of `lsp_server.documents`: LSP breaks lines at
\\n, \\r\\n and \\r only; a position past the end of a line means the end of that line and a
line past the last one means the end of the document.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types

from lsp_server.documents.positions import LineIndex
from tests.hardening_support import ThreadedServer, document_text
from tests.lsp_harness import isolated_env

ENCODINGS = ("utf-16", "utf-8", "utf-32")
EXAMPLES = int(os.environ.get("HARDENING_SYNC_EXAMPLES", "300"))

# Pieces texts are made of: LSP line breaks, multi-unit characters (surrogate pairs in
# UTF-16, 2-4 bytes in UTF-8), combining marks and ZWJ sequences, and the characters that
# str.splitlines() treats as line breaks but LSP does not.
PIECES = [
    "a",
    "Zq",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "é",
    "e\u0301",
    "\u0301",
    "😀",
    "👍🏽",
    "👨\u200d👩\u200d👧",
    "𝔘",
    "中文",
    "\x00",
    "\ufeff",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
]
texts = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
_BREAK = re.compile(r"\r\n|\r|\n")


# ----------------------------------------------------------------------------- the oracle


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end of content) of every LSP line."""
    spans, start = [], 0
    for match in _BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def position_of(text: str, offset: int, encoding: str) -> tuple[int, int]:
    for line, (start, end) in enumerate(line_spans(text)):
        if start <= offset <= end:
            return line, units(text[start:offset], encoding)
    raise AssertionError(f"offset {offset} is inside a line break")


def representable(text: str, offset: int) -> int:
    """An offset between \\r and \\n cannot be named by a position: use the one before \\r."""
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        return offset - 1
    return offset


# ----------------------------------------------------------------------------- edits


@st.composite
def a_position(draw: st.DrawFn, text: str, encoding: str) -> tuple[tuple[int, int], int]:
    """A position in `text` and the offset it means; sometimes past a line or the end."""
    spans = line_spans(text)
    kind = draw(st.sampled_from(["offset", "offset", "offset", "eol", "past_eol", "past_eof"]))
    if kind == "past_eof":
        extra = draw(st.integers(0, 3))
        return (len(spans) + extra, draw(st.integers(0, 5))), len(text)
    line = draw(st.integers(0, len(spans) - 1))
    start, end = spans[line]
    width = units(text[start:end], encoding)
    if kind == "eol":
        return (line, width), end
    if kind == "past_eol":
        return (line, width + draw(st.integers(1, 1000))), end
    offset = representable(text, draw(st.integers(start, end)))
    return position_of(text, offset, encoding), offset


@st.composite
def a_change(
    draw: st.DrawFn, text: str, encoding: str
) -> tuple[types.TextDocumentContentChangeEvent, str]:
    """One content change and the oracle's text after it."""
    if draw(st.integers(0, 19)) == 0:
        new = draw(texts)
        return types.TextDocumentContentChangeWholeDocument(text=new), new
    (p1, o1), (p2, o2) = draw(a_position(text, encoding)), draw(a_position(text, encoding))
    if o2 < o1:
        (p1, o1), (p2, o2) = (p2, o2), (p1, o1)
    insert = draw(texts)
    change = types.TextDocumentContentChangePartial(
        range=types.Range(
            start=types.Position(line=p1[0], character=p1[1]),
            end=types.Position(line=p2[0], character=p2[1]),
        ),
        text=insert,
    )
    return change, text[:o1] + insert + text[o2:]


# ----------------------------------------------------------------------------- the server


@pytest.fixture(scope="module", params=ENCODINGS)
def sync_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ThreadedServer, str, Path]]:
    encoding = request.param
    tmp = tmp_path_factory.mktemp(f"sync-{encoding}")
    root = tmp / "ws"
    root.mkdir()
    # No endpoint key: sync must not depend on it, and nothing can leave.
    env = isolated_env(tmp, api_key=None)
    with ThreadedServer(root=root, env=env, position_encodings=[encoding]) as server:
        assert server.client is not None
        assert server.client.init_result.capabilities.position_encoding == encoding
        yield server, encoding, root


_counter = itertools.count()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), initial=texts)
def test_incremental_edits_match_the_oracle(sync_server, data: st.DataObject, initial: str) -> None:
    server, encoding, root = sync_server
    client = server.client
    assert client is not None
    uri = (root / f"doc{next(_counter)}.py").as_uri()
    oracle = initial
    version = 1

    async def open_doc() -> dict | None:
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=version, text=initial
                )
            )
        )
        return await document_text(client, uri)

    assert server.call(open_doc) == {"version": 1, "text": initial}
    try:
        for _ in range(data.draw(st.integers(1, 6), label="notifications")):
            changes = []
            for _ in range(data.draw(st.integers(1, 3), label="changes")):
                change, oracle = data.draw(a_change(oracle, encoding))
                changes.append(change)
            version += 1
            params = types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=changes,
            )

            async def send(params: types.DidChangeTextDocumentParams = params) -> dict | None:
                client.text_document_did_change(params)
                return await document_text(client, uri)

            got = server.call(send)
            assert got is not None
            assert got["text"] == oracle, (changes, repr(got["text"]), repr(oracle))
            assert got["version"] == version
    finally:

        async def close_doc() -> None:
            client.text_document_did_close(
                types.DidCloseTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(uri=uri)
                )
            )

        server.call(close_doc)


def test_oracle_agrees_with_hand_worked_positions() -> None:
    """The oracle itself can be wrong: pin it on cases worked out by hand."""
    text = "a😀\r\nb\u2028c\rd"
    assert line_spans(text) == [(0, 2), (4, 7), (8, 9)]
    assert position_of(text, 2, "utf-16") == (0, 3)
    assert position_of(text, 2, "utf-8") == (0, 5)
    assert position_of(text, 2, "utf-32") == (0, 2)
    assert position_of(text, 7, "utf-8") == (1, 5)  # \u2028 is 3 bytes and not a break
    assert representable(text, 3) == 2


@settings(max_examples=2000, deadline=None)
@given(
    text=texts,
    data=st.data(),
    new=texts,
)
def test_line_index_edits_match_a_full_rescan(text: str, data: st.DataObject, new: str) -> None:
    """The store updates its line index incrementally; it must equal a fresh scan."""
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    edited = LineIndex(text).replaced(start, end, new)
    fresh = LineIndex(text[:start] + new + text[end:])
    assert edited.text == fresh.text
    assert edited.starts == fresh.starts
    assert [edited.line_text(i) for i in range(edited.line_count)] == [
        fresh.line_text(i) for i in range(fresh.line_count)
    ]
