"""Secret redaction of everything the context builder takes from a file, decided on the
whole file: a prompt is a slice, and a slice can hold the body of a PEM block without its
header, or a value without the name that says it is a password.

Secrets found in a whole file are remembered by value (`secrets.learn`), so the pieces cut
from it (definition headers, class skeletons, similar-code windows) are redacted even
where no rule could recognise the fragment, and so is any later prompt that carries them
(a refactor selection inside a PEM block, the endpoint's last scan).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from lsp_server.endpoint.secrets import SecretScanner, current_scanner, learn

from .pack import Piece
from .recent import RecentFiles
from .source import file_lines


class Scrubber:
    """Redacts pieces of repository files, one builder call long (files are read and
    scanned at most once per call; scans are cached per text by the scanner)."""

    def __init__(
        self,
        root: Path | None,
        own: tuple[str, str] | None = None,
        recent: RecentFiles | None = None,
        scanner: SecretScanner | None = None,
    ) -> None:
        self.scanner = scanner or current_scanner()
        self._root = root
        self._recent = recent
        self._texts: dict[str, str | None] = {}
        if own is not None:
            self._texts[own[0]] = own[1]
        self._learned: set[str] = set()

    def whole(self, rel: str) -> str | None:
        """The whole current text of a repository file: the open document, else the disk."""
        if rel not in self._texts:
            text: str | None = None
            if self._root is not None:
                path = Path(os.path.join(self._root, rel))
                if self._recent is not None:
                    text = self._recent.text(path)
                if text is None:
                    lines = file_lines(path)
                    text = "\n".join(lines) if lines is not None else None
            self._texts[rel] = text
        return self._texts[rel]

    def know(self, rel: str, text: str) -> None:
        """The whole text of `rel` when the caller already holds it (a recent file)."""
        self._texts.setdefault(rel, text)

    def scrub(self, rel: str, piece: str) -> str:
        """`piece`, cut from file `rel`, with the secrets of the whole file redacted."""
        if not piece:
            return piece
        if rel not in self._learned:
            self._learned.add(rel)
            text = self.whole(rel)
            if text:
                spans = self.scanner.find_spans(text)
                if spans:
                    learn(text, spans)
        return self.scanner.scan(piece).text

    def wrap(self, piece: Piece) -> Piece:
        """The piece with every form of its text (compact, full, shrunk, group open/close)
        scrubbed, so that its token cost is counted on what is sent."""
        rel = piece.path

        def clean(render: Callable[[], str]) -> Callable[[], str]:
            return lambda: self.scrub(rel, render())

        piece.render = clean(piece.render)
        if piece.compact is not None:
            piece.compact = clean(piece.compact)
        if piece.shrink is not None:
            shrink = piece.shrink
            piece.shrink = lambda n: self.scrub(rel, shrink(n))
        if piece.group_open is not None:
            group_open = piece.group_open

            def opened() -> tuple[str, str]:
                head, tail = group_open()
                return self.scrub(rel, head), self.scrub(rel, tail)

            piece.group_open = opened
        return piece
