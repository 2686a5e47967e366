"""Redaction of the whole source before any slicing: the context builder finds secrets on
the whole text, so a prompt cut out of it never carries part of a secret whose tell-tale
(a PEM header, a `password` name) fell outside the cut. Each test has a control showing
that scanning only the slice would have leaked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.context import ContextBuilder, RecentFiles
from lsp_server.endpoint import secrets as secrets_module
from lsp_server.endpoint.secrets import SecretScanner
from lsp_server.refactor.redaction import restore_redactions

BODY = [
    "MIIEpAIBAAKCAQEA" + "".join(chr(65 + (i * 7 + j) % 26) for j in range(48)) for i in range(27)
]
BODY = [line[:20] + f"{i:02d}" + line[22:] for i, line in enumerate(BODY)]  # all distinct
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(BODY) + "\n-----END RSA PRIVATE KEY-----"
CODE = "".join(f"def handler_{i}(event):\n    return event.get({i!r})\n\n" for i in range(6))
TEXT = f'"""Service keys."""\n\nSIGNING_KEY = """{PEM}"""\n\n{CODE}def main():\n    return '


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    secrets_module.forget_learned()
    yield
    secrets_module.forget_learned()


def _builder(recent: RecentFiles | None = None) -> ContextBuilder:
    return ContextBuilder(None, is_excluded=lambda _path: False, recent=recent)


def _body_lines_in(text: str) -> list[str]:
    return [line for line in BODY if line in text]


def test_a_pem_block_cut_by_the_budget_sends_no_body_line() -> None:
    cut_inside = 0
    for budget in range(60, 900, 5):
        context = _builder().build(
            path=None, language_id="python", text=TEXT, offset=len(TEXT), budget_tokens=budget
        )
        assert _body_lines_in(context.prefix) == [], budget
        kept = context.prefix.count("\n") + 1
        original_slice = "\n".join(TEXT.split("\n")[-kept:])
        if "BEGIN RSA" in original_slice or not _body_lines_in(original_slice):
            continue  # the budget kept the header, or cut below the block: no test here
        cut_inside += 1
        # control: the old order (cut first, then scan the slice) leaks body lines
        secrets_module.forget_learned()
        assert _body_lines_in(SecretScanner().scan(original_slice).text)
    assert cut_inside >= 1  # some budget above did cut the block's header off


def test_line_numbers_hold_after_redaction() -> None:
    context = _builder().build(
        path=None, language_id="python", text=TEXT, offset=len(TEXT), budget_tokens=4000
    )
    assert context.prefix.count("\n") == TEXT.count("\n")
    assert "[REDACTED:Private Key]" in context.prefix and context.prefix.endswith("    return ")


def test_a_refactor_inside_a_pem_block_sends_no_body_line() -> None:
    start = TEXT.index(BODY[10])
    end = TEXT.index(BODY[13]) + len(BODY[13])
    raw_selection = TEXT[start:end]
    # control: the selection alone holds nothing a rule recognises
    assert _body_lines_in(SecretScanner().scan(raw_selection).text) == BODY[10:14]
    ranged = _builder().build_for_range(
        path=None, language_id="python", text=TEXT, start=start, end=end, budget_tokens=2000
    )
    assert _body_lines_in(ranged.selection) == [] and _body_lines_in(ranged.scope) == []
    # the endpoint's last scan knows the values now, should a caller send the raw selection
    sent = SecretScanner().scan(raw_selection).text
    assert _body_lines_in(sent) == []
    # and a rewrite that echoes the placeholders gets the key lines back, in order
    answer = sent.replace("\n", "\n# kept\n")
    restored, problems = restore_redactions(answer, raw_selection)
    assert problems == [] and restored.replace("\n# kept\n", "\n") == raw_selection


def test_similar_code_from_another_open_file_is_redacted_with_that_files_secrets() -> None:
    other_text = (
        "def connect(event):\n    client = make_client(event)\n"
        f'    client.password = "{BODY[0][:12]}-Zq81!x"\n    return client.get(event)\n'
    )
    recent = RecentFiles()
    recent.touch(Path("/ws/other.py"), other_text)
    text = "def handle(event):\n    client = make_client(event)\n    return client."
    context = _builder(recent).build(
        path=Path("/ws/main.py"), language_id="python", text=text, offset=len(text),
        budget_tokens=2000,
    )  # fmt: skip
    similar = [s for s in context.snippets if s.kind == "similar"]
    assert similar and "make_client" in similar[0].text  # control: the window was included
    assert f"{BODY[0][:12]}-Zq81!x" not in context.prefix
    assert "[REDACTED:Secret Keyword]" in similar[0].text
