"""The incremental Tekken loader: Tekken's own counts, pauses while it reads, clear errors."""

from __future__ import annotations

import base64
import json
import sysconfig
from importlib.resources import files
from pathlib import Path

import pytest
from mistral_common.tokens.tokenizers.tekken import Tekkenizer

from lsp_server.context.tekken_load import CHUNK, TekkenFileError, load_counter

TEKKEN = Path(str(files("mistral_common") / "data" / "tekken_240911.json"))
STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.fixture(scope="module")
def loaded() -> tuple[object, int]:
    pauses = 0

    def pause() -> None:
        nonlocal pauses
        pauses += 1

    return load_counter(TEKKEN, pause), pauses


def _texts() -> list[str]:
    code = [
        (STDLIB / name).read_text(encoding="utf-8")
        for name in ("json/decoder.py", "textwrap.py", "argparse.py")
    ]
    return code + [
        "",
        "héllo wörld, ünïcode: 日本語のテキスト 😀\t\r\n   trailing  ",
        "x = 0xDEADBEEF  # 12345678901234567890\n" * 10,
        "<s>[INST] not special here [/INST]</s>",
    ]


def test_counts_are_tekkens_own(loaded: tuple[object, int]) -> None:
    encoder, _ = loaded
    reference = Tekkenizer.from_file(str(TEKKEN))._model
    for text in _texts():
        ours = encoder.encode(text, disallowed_special=())  # type: ignore[attr-defined]
        assert ours == reference.encode(text, disallowed_special=())


def test_the_load_pauses_between_chunks(loaded: tuple[object, int]) -> None:
    """Other threads (the event loop) get the GIL back every `CHUNK` entries, where a single
    `json.load` held it for the whole 19 MB file."""
    _, pauses = loaded
    vocab_entries = 150_000
    assert pauses >= 2 * vocab_entries // CHUNK * 0.8  # parsing and decoding, both in chunks


def test_a_file_without_vocab_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"config": {"pattern": "x"}}), encoding="utf-8")
    with pytest.raises(TekkenFileError, match="no config or no vocab"):
        load_counter(path, lambda: None)


def test_a_shuffled_vocab_is_refused(tmp_path: Path) -> None:
    config = {"pattern": r"\w+", "default_vocab_size": 3, "default_num_special_tokens": 1}
    vocab = [
        {"rank": 1, "token_bytes": "AA==", "token_str": None},
        {"rank": 0, "token_bytes": "AQ==", "token_str": None},
    ]
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"vocab": vocab, "config": config}), encoding="utf-8")
    with pytest.raises(TekkenFileError, match="entry 0 has rank 1"):
        load_counter(path, lambda: None)


def test_config_after_vocab_and_other_sections_are_read(tmp_path: Path) -> None:
    config = {
        "pattern": r"[a-z]+|\s+|.",
        "default_vocab_size": 259,
        "default_num_special_tokens": 1,
    }
    vocab = [
        {"rank": i, "token_bytes": base64.b64encode(bytes([i])).decode(), "token_str": None}
        for i in range(256)
    ] + [
        {"rank": 256, "token_bytes": "YWI=", "token_str": "ab"},
        {"rank": 257, "token_bytes": "Y2Q=", "token_str": "cd"},
    ]
    path = tmp_path / "t.json"
    path.write_text(
        json.dumps({"image": {"x": [1, 2]}, "vocab": vocab, "config": config}), encoding="utf-8"
    )
    encoder = load_counter(path, lambda: None)
    assert encoder.encode("abab") == [256, 256]
    assert encoder.encode("abcd") == [256, 257]
