"""Token counting with Mistral's own tokenizer (Tekken, shipped inside mistral-common).

The tokenizer file comes with the `mistral-common` wheel, so nothing is downloaded. It loads
in about half a second, once per process (call `warm_up()` early, e.g. in a thread at
initialize). Encoding runs at ~11 MB/s (tiktoken's ordinary encoder: no special-token scan)
and counts are cached by text (lines, snippets, class skeletons up to 8 kB), so counting a
2k-token prompt line by line costs well under a millisecond. Until the tokenizer
is loaded -- or if it cannot be -- a calibrated estimate is used instead (see
bench/tokenizer_calibration.py for its measured error); the estimate leans high so a budget
is not overrun. The loaded tokenizer stays resident (~70 MB); `use_exact_tokenizer(False)`
keeps to the estimate for memory-constrained setups.
"""

from __future__ import annotations

import functools
import gc
import logging
import math
import re
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

_TOKENIZER_FILE = "tekken_240911.json"
_lock = threading.Lock()
_encode: Callable[[str], int] | None = None
_failed = False
_loading = threading.Event()  # set while a background warm-up is loading the tokenizer
_exact = True  # False: never load the tokenizer (it costs ~70 MB of memory), estimate only


def use_exact_tokenizer(enabled: bool) -> None:
    """Choose exact counting (Tekken, ~70 MB resident) or the estimate (no memory cost).

    Turning it off lets go of a loaded tokenizer (and its cached counts), so the memory the
    setting is about can be reclaimed; turning it back on loads it again when next needed.
    """
    global _exact, _encode
    _exact = enabled
    if not enabled and _encode is not None:
        with _lock:
            _encode = None
            _counts.clear()


def exact_tokenizer_enabled() -> bool:
    return _exact


#: Pieces that approximate Tekken's pre-tokenizer: words (with a leading space or
#: punctuation), digit groups, punctuation runs, newlines with indentation, blanks.
_PIECE = re.compile(r" ?[^\W\d_]+|\d{1,3}| ?[^\w\s]+|\s*\n[ \t]*|[ \t]+|_+")


def _load() -> Callable[[str], int] | None:
    global _encode, _failed
    if _encode is not None or _failed or not _exact:
        return _encode if _exact else None
    with _lock:
        if _encode is not None or _failed:
            return _encode
        try:
            from importlib.resources import files

            from .tekken_load import load_counter

            # Tekken's own vocabulary, read so that the event loop keeps running meanwhile
            model = load_counter(Path(str(files("mistral_common") / "data" / _TOKENIZER_FILE)))
            # what tiktoken documents as `encode(text, disallowed_special=())`, at half its
            # cost: special tokens' text counts as plain text, as the endpoint would see it
            encode = model.encode_ordinary

            def count(text: str) -> int:
                return len(encode(text))

            _encode = count
        except ImportError:  # the VS Code bundle leaves mistral-common out on purpose
            log.info("mistral-common is not installed: token counts use the estimate")
            _failed = True
        except Exception:  # noqa: BLE001 - any other failure falls back to the estimate
            log.warning("Mistral tokenizer unavailable; using the estimate", exc_info=True)
            _failed = True
    return _encode


#: A background warm-up waits this long (or until `start_pending_warm_up()`, called once the
#: first completion is answered) before loading: the load costs ~1 s of CPU, which the first
#: completion of a session should not have to share. Counts use the stand-in meanwhile.
WARM_UP_DELAY_S = 3.0
_go = threading.Event()


def warm_up(background: bool = True, delay_s: float = WARM_UP_DELAY_S) -> None:
    """Load the tokenizer: now, or (by default) in a daemon thread once start-up has settled,
    so that no request waits for it and the first one does not compete with it."""
    if background:
        if _encode is not None or _failed or _loading.is_set() or not _exact:
            return
        _loading.set()

        def load() -> None:
            try:
                _go.wait(delay_s)
                _load()
                gc.freeze()  # the vocabulary stays for good: no full collection walks it
            finally:
                _loading.clear()

        threading.Thread(target=load, name="tokenizer-load", daemon=True).start()
    else:
        _load()


def start_pending_warm_up() -> None:
    """The first completion is answered: a pending background load may start now."""
    _go.set()


def estimate_tokens(text: str) -> int:
    """A fast estimate calibrated against Tekken on Python/JS/TS/Go code (leans high)."""
    return _estimates(text)


def _estimate(text: str) -> int:
    words = long_words = long_chars = punct = blanks = extra_bytes = 0
    for piece in _PIECE.findall(text):
        last = piece[-1]
        if not piece.isascii():
            extra_bytes += len(piece.encode("utf-8", "surrogatepass")) - len(piece)
        if last.isalpha() or last == "_":
            if len(piece) <= 6:
                words += 1
            else:
                long_words += 1
                long_chars += len(piece)
        elif last.isdigit():
            punct += 1
        elif last.isspace():
            blanks += 1
        else:
            punct += len(piece.strip())
    estimate = (
        0.55 * words
        + 1.3 * long_words
        + 0.02 * long_chars
        + 0.9 * punct
        + 0.95 * blanks
        + 0.35 * extra_bytes
    )
    return int(estimate * 1.2) + 1 if text else 0


#: Counts are cached by text: many short ones (lines, one-line pieces), and fewer longer ones
#: -- class skeletons, most of all: the same skeleton comes back on every keystroke and after
#: another file's change, and a 2 kB one costs ~0.1 ms to count. At most ~50 MB of text.
SHORT_TEXT_MAX = 512
LONG_TEXT_MAX = 8192


class _ByText:
    """A count, cached by text up to `LONG_TEXT_MAX` characters (in two caches by size, so
    that the many short texts do not push the longer ones out)."""

    def __init__(self, count: Callable[[str], int]) -> None:
        self._count = count
        self._short = functools.lru_cache(maxsize=65536)(count)
        self._long = functools.lru_cache(maxsize=2048)(count)

    def __call__(self, text: str) -> int:
        size = len(text)
        if size <= SHORT_TEXT_MAX:
            return self._short(text)
        if size <= LONG_TEXT_MAX:
            return self._long(text)
        return self._count(text)

    def hits(self) -> int:
        return self._short.cache_info().hits + self._long.cache_info().hits

    def clear(self) -> None:
        self._short.cache_clear()
        self._long.cache_clear()


def _exact_count(text: str) -> int:
    encode = _encode
    assert encode is not None
    return encode(text)


_counts = _ByText(_exact_count)
#: The estimate costs about what encoding does (a regex pass over the text): without the
#: tokenizer, the same lines and pieces come back on every keystroke just the same.
_estimates = _ByText(_estimate)


#: While the tokenizer loads, the estimate stands in for it with this margin: on 2,000-character
#: chunks of the standard library the estimate's lowest ratio to Tekken was 0.916 (docstring
#: prose), so 1.1 keeps a stand-in count at or above the exact one and the budget is never
#: overrun by the first completions of a session.
STAND_IN_MARGIN = 1.1


def count_tokens(text: str) -> int:
    """Tokens of `text` under Mistral's Tekken tokenizer (exact once loaded).

    While a background `warm_up()` is still loading the tokenizer, a conservative estimate
    answers (no request waits for it); without any warm-up the first call loads it (~0.5 s).
    With the exact tokenizer turned off (`use_exact_tokenizer(False)`), the plain estimate.
    """
    if not text:
        return 0
    if not _exact:
        return estimate_tokens(text)
    if _encode is None and (_loading.is_set() or _load() is None):
        return math.ceil(estimate_tokens(text) * STAND_IN_MARGIN)
    return _counts(text)


#: ASCII letters to "a", digits to "1", anything else to a blank (one character for one: the
#: fast path of `str.translate`).
_RUNS = str.maketrans(
    {chr(c): "a" if chr(c).isalpha() else "1" if chr(c).isdigit() else " " for c in range(128)}
)


def fewest_tokens(text: str) -> int:
    """At most `count_tokens(text)`, found ~8 times faster (11.5 against 90 µs for 2 kB of
    code, tokenizer warm): enough to tell that a text does not fit without encoding it (a
    class skeleton too big for the room left).

    Tekken's pre-tokenizer (`tekken_240911.json`'s pattern) cuts a text into pieces, each
    encoded apart into one token or more. A piece holds letters of one run only (an optional
    character other than a letter or digit, then letters) or one digit, so an ASCII text has
    at least as many tokens as runs of letters plus digits. Any other text, or a count that
    is not Tekken's (the estimate), gets 0: no claim.
    """
    if not text.isascii() or not _exact or _encode is None:
        return 0
    return len(text.translate(_RUNS).replace("1", " 1 ").split())


def tokenizer_name() -> str:
    """Which counter is in use, for status output and benchmarks."""
    return f"tekken ({_TOKENIZER_FILE})" if _load() is not None else "estimate"
