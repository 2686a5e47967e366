"""Load Tekken's token counter without stalling the server's event loop.

`Tekkenizer.from_file` parses the 19 MB vocabulary with one `json.load`: a single C call that
holds the GIL for ~0.3 s, so a background load froze the event loop, and every completion
asked meanwhile, for that long. Counting needs only the vocabulary's byte ranks and the
pre-tokenizer pattern, so this reads the same file entry by entry and lets other threads run
between chunks; tiktoken builds its encoder with the GIL released. The counts are Tekken's
own (tests compare them with `Tekkenizer.from_file` on the same texts).
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tiktoken

_BLANKS = re.compile(r"\s*")
_decoder = json.JSONDecoder()

#: array entries parsed or decoded between two pauses (well under a millisecond of work)
CHUNK = 512


class TekkenFileError(ValueError):
    """The file is not a Tekken vocabulary this loader understands."""


def _past_blanks(text: str, at: int) -> int:
    match = _BLANKS.match(text, at)
    return match.end() if match else at


def _expect(text: str, at: int, token: str) -> int:
    at = _past_blanks(text, at)
    if not text.startswith(token, at):
        raise TekkenFileError(f"expected {token!r} at offset {at}")
    return at + len(token)


#: one vocabulary entry as the file writes it; anything else is parsed as JSON
_ENTRY = re.compile(
    r'\{\s*"rank"\s*:\s*(\d+)\s*,\s*"token_bytes"\s*:\s*"([A-Za-z0-9+/=]*)"\s*,'
    r'\s*"token_str"\s*:\s*(?:"(?:[^"\\]|\\.)*"|null)\s*\}'
)


def _vocab(text: str, at: int, pause: Callable[[], None]) -> tuple[list[tuple[int, str]], int]:
    """(rank, base64 bytes) of each entry of the array at `at`, and the offset after it.

    Entries are matched as plain strings, not built as dicts: 150,000 dicts made the garbage
    collector walk them all, on whichever thread allocated next (the event loop's too).
    """
    at = _expect(text, at, "[")
    entries: list[tuple[int, str]] = []
    while True:
        at = _past_blanks(text, at)
        if text.startswith("]", at):
            return entries, at + 1
        match = _ENTRY.match(text, at)
        if match:
            entries.append((int(match[1]), match[2]))
            at = match.end()
        else:
            item, at = _decoder.raw_decode(text, at)
            if not isinstance(item, dict):
                raise TekkenFileError(f"vocab entry {len(entries)} is not an object")
            entries.append((item.get("rank", -1), str(item.get("token_bytes", ""))))
        if len(entries) % CHUNK == 0:
            pause()
        at = _past_blanks(text, at)
        if text.startswith(",", at):
            at += 1


def _config_and_vocab(
    text: str, pause: Callable[[], None]
) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """The top-level `config` and `vocab`; reading stops once both are in hand."""
    found: dict[str, Any] = {}
    at = _expect(text, 0, "{")
    while not ("config" in found and "vocab" in found):
        at = _past_blanks(text, at)
        if text.startswith("}", at):
            raise TekkenFileError("the file has no config or no vocab")
        key, at = _decoder.raw_decode(text, at)
        at = _past_blanks(text, _expect(text, at, ":"))
        if key == "vocab":
            found[key], at = _vocab(text, at, pause)
        else:
            found[key], at = _decoder.raw_decode(text, at)
        at = _past_blanks(text, at)
        if text.startswith(",", at):
            at += 1
    return found["config"], found["vocab"]


def _ranks(vocab: list[tuple[int, str]], size: int, pause: Callable[[], None]) -> dict[bytes, int]:
    """Token bytes -> rank for the first `size` entries (Tekken's non-special vocabulary)."""
    if len(vocab) < size:
        raise TekkenFileError(f"vocab has {len(vocab)} entries, fewer than {size}")
    ranks: dict[bytes, int] = {}
    for expected, (rank, token) in enumerate(vocab[:size]):
        if rank != expected:
            raise TekkenFileError(f"vocab entry {expected} has rank {rank}")
        ranks[base64.b64decode(token)] = rank
        if rank % CHUNK == 0:
            pause()
    if len(ranks) != size:
        raise TekkenFileError("vocab has repeated tokens")
    return ranks


def load_counter(
    path: Path, pause: Callable[[], None] = lambda: time.sleep(0)
) -> tiktoken.Encoding:
    """Tekken's encoder (special tokens aside, as `Tekkenizer` builds it) read from `path`.

    `pause` runs between chunks of work; the default yields the GIL to other threads.
    """
    text = path.read_text(encoding="utf-8")
    pause()
    config, vocab = _config_and_vocab(text, pause)
    del text
    try:
        size = int(config["default_vocab_size"]) - int(config["default_num_special_tokens"])
        pattern = str(config["pattern"])
    except (KeyError, TypeError, ValueError) as exc:
        raise TekkenFileError(f"config lacks {exc}") from exc
    ranks = _ranks(vocab, size, pause)
    del vocab
    return tiktoken.Encoding(
        name=path.stem, pat_str=pattern, mergeable_ranks=ranks, special_tokens={}
    )
