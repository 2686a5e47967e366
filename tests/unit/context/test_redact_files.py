"""A file's whole-text secret scan is done once per version of the file, not per keystroke,
and done again when the file, the scanner or the values learned from other files change."""

from __future__ import annotations

import os
from pathlib import Path

from lsp_server.context.redact import Scrubber, forget_files
from lsp_server.endpoint.secrets import SecretScanner, Span, forget_learned, learn


class _CountingScanner(SecretScanner):
    def __init__(self) -> None:
        super().__init__()
        self.scanned: list[str] = []

    def find_spans(self, text: str, *, rules_clean: bool = False) -> list[Span]:
        self.scanned.append(text)
        return super().find_spans(text, rules_clean=rules_clean)


def _learned_by_a_new_request(root: Path, scanner: SecretScanner, rel: str) -> bool:
    return Scrubber(root, scanner=scanner, defer=True).learn_file(rel)


def test_a_clean_file_is_scanned_once_per_version(tmp_path: Path) -> None:
    forget_files()
    forget_learned()
    source = tmp_path / "util.py"
    source.write_text("def helper():\n    return 1\n")
    scanner = _CountingScanner()
    assert not _learned_by_a_new_request(tmp_path, scanner, "util.py")
    assert not _learned_by_a_new_request(tmp_path, scanner, "util.py")
    assert len(scanner.scanned) == 1  # the next keystroke's context reuses the verdict
    # A new version of the file (size and mtime change) is scanned again, and its secret found.
    source.write_text('def helper():\n    password = "Zq8vN3xR7mW2pL5tK9yB44"\n')
    os.utime(source, ns=(1, 1))
    assert _learned_by_a_new_request(tmp_path, scanner, "util.py")
    assert len(scanner.scanned) == 2


def test_a_value_learned_elsewhere_or_another_scanner_scans_again(tmp_path: Path) -> None:
    forget_files()
    forget_learned()
    (tmp_path / "util.py").write_text("TOKEN = lookup('k7Qw9Zr2Lp4Xv8Mn')\n")
    scanner = _CountingScanner()
    assert not _learned_by_a_new_request(tmp_path, scanner, "util.py")
    # Another file's secret is that same value: util.py now carries a known secret.
    text = "x = 'k7Qw9Zr2Lp4Xv8Mn'"
    learn(text, [Span(5, 21, "generic")])
    assert _learned_by_a_new_request(tmp_path, scanner, "util.py")
    other = _CountingScanner()  # e.g. rules reloaded
    _learned_by_a_new_request(tmp_path, other, "util.py")
    assert len(other.scanned) == 1
    forget_learned()
