"""A file cannot stall the secret scan: the value filter's "is it a name?" regex once split a
run of letters in exponentially many ways, so `password = "<forty letters>1"` took hours in
every scan of that file (the index's workers, each completion's context, the endpoint)."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys

from lsp_server.endpoint import secret_rules
from lsp_server.endpoint.secrets import SecretScanner

#: the regex before (kept here for the control and the equivalence below)
OLD_ALPHA_WORDS = r"(?:[A-Z]?[a-z]+|[A-Z]+)(?:[_.-]?(?:[A-Z]?[a-z]+|[A-Z]+))*"
HOSTILE_VALUE = "abcdefghijklmnopqrstuvwxyzabcdefghijklmn1"

#: under the 32 characters from which a value is not asked "is it a name?" at all
SHORT_VALUE = HOSTILE_VALUE[-31:]

_CHILD = """
import re, sys
from lsp_server.endpoint.secrets import SecretScanner
if sys.argv[1] == "old-regex":  # what every scan of HOSTILE_FILE did before
    print(re.fullmatch(sys.argv[2], sys.argv[3]) is not None, end="")
else:
    print(SecretScanner().scan(sys.argv[3]).text, end="")
"""


def _in_a_child(which: str, text: str, timeout_s: float) -> str | None:
    """`which` run over `text` in a fresh process: its output, None if it had not finished
    (a stalled regex cannot be interrupted in-process)."""
    args = [sys.executable, "-c", _CHILD, which, OLD_ALPHA_WORDS, text]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s, check=True)
    except subprocess.TimeoutExpired:
        return None
    return done.stdout


def test_a_long_run_of_letters_in_a_value_is_scanned_at_once() -> None:
    for value in (HOSTILE_VALUE, SHORT_VALUE):
        text = f'password = "{value}"\n'
        scanned = _in_a_child("scan", text, timeout_s=120)  # milliseconds
        assert scanned == 'password = "[REDACTED:Secret Keyword]"\n', value
        assert SecretScanner().scan(text).text == scanned
        assert secret_rules._ALPHA_WORDS.fullmatch(value) is None
    # control: the old regex over that value has not finished seconds later (it takes hours)
    assert _in_a_child("old-regex", HOSTILE_VALUE, timeout_s=3) is None


def test_the_regex_accepts_exactly_what_the_old_one_did() -> None:
    old = re.compile(OLD_ALPHA_WORDS)
    new = secret_rules._ALPHA_WORDS
    alphabet = "aZk_.-1é "
    for size in range(7):
        for chars in itertools.product(alphabet, repeat=size):
            text = "".join(chars)
            assert (old.fullmatch(text) is None) == (new.fullmatch(text) is None), text
