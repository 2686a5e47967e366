"""Secret redaction of everything the context builder takes from a file, decided on the
whole file: a prompt is a slice, and a slice can hold the body of a PEM block without its
header, or a value without the name that says it is a password.

Secrets found in a whole file are remembered by value (`secrets.learn`), so the pieces cut
from it (definition headers, class skeletons, similar-code windows) are redacted even
where no rule could recognise the fragment, and so is any later prompt that carries them
(a refactor selection inside a PEM block, the endpoint's last scan).

Cost: scanning is most of a cold assembly's time, so (1) the pieces a packing pass is about
to try are scanned together, as one text (lines kept apart), and a piece that no secret
found there touches needs no scan of its own -- what a rule finds in a piece alone it finds
in the piece among others (the endpoint's last scan sees them together too); and (2) with
`defer`, a file's whole text is scanned only when one of its pieces is chosen (`settle`):
if that finds a secret, the caller packs again, learning every file first as before.
Meanwhile pieces are looked through for the API key and the learned values only: what the
rules would find in a chosen piece they find in its whole file, and a file they found
nothing in gives nothing in its pieces either (the endpoint's last scan runs them all); and
(3) a file whose content the index found no rule-based secret in (`RepoIndex.
secrets_verdict`, under the same rules) is not scanned again: it must still have the stat it
had when the index read it (size, mtime, ctime, inode), or its bytes on disk must hash to the
content indexed (read and hashed, never decoded, split or joined). Its whole text is not
looked through for the API key and learned values either: those are found by value in each
piece (`scrub`, `prime`), and a whole-file look can only find what is already known, so it
would learn nothing that changes what is sent. An open document, a file changed since it was
indexed or one with a secret is read and scanned whole, as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from lsp_server.endpoint.secrets import (
    SecretScanner,
    Span,
    current_scanner,
    learn,
    learned_epoch,
)
from lsp_server.index.repo_index import SecretsVerdict, index_at
from lsp_server.index.walk import read_signature

from .pack import Piece
from .recent import RecentFiles
from .source import file_lines

_V = TypeVar("_V")
log = logging.getLogger(__name__)

#: Pieces are joined with this when scanned together: each keeps its own lines.
_JOIN = "\n"

#: Across requests, per file path: its whole text joined from `file_lines`' cached lines
#: (the same list object while the file is unchanged), and the texts whose whole-file scan
#: found nothing, with the scanner and learned values it was found clean under. A keystroke
#: then neither joins nor hashes the ~10 files its snippets come from again.
_FILES_MAX = 256
_files_lock = threading.Lock()
_joined: OrderedDict[str, tuple[list[str], str]] = OrderedDict()
_clean_files: OrderedDict[str, tuple[str, SecretScanner, int]] = OrderedDict()
#: Per file path: the stat of a version known to hold the index's clean content, and the
#: rules digest of that verdict (see `walk.read_signature`).
_verified: OrderedDict[str, tuple[str, str]] = OrderedDict()
#: A larger file is left to the text path (`file_lines` does not read it either).
_VERIFY_MAX_BYTES = 2_000_000


def _remember(table: OrderedDict[str, _V], key: str, value: _V) -> None:
    with _files_lock:
        table[key] = value
        table.move_to_end(key)
        while len(table) > _FILES_MAX:
            table.popitem(last=False)


def _hashed_signature(key: str, sha256: str) -> str | None:
    """The file's stat as it is read, if its bytes hash to `sha256`."""
    try:
        with open(key, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if stat.st_size > _VERIFY_MAX_BYTES:
                return None
            data = handle.read()
    except OSError:
        return None
    return read_signature(stat) if hashlib.sha256(data).hexdigest() == sha256 else None


def _disk_text(key: str) -> str | None:
    """A file's text from `file_lines`, joined once per version of the file."""
    lines = file_lines(Path(key))
    if lines is None:
        return None
    hit = _joined.get(key)
    if hit is not None and hit[0] is lines:
        return hit[1]
    text = "\n".join(lines)
    _remember(_joined, key, (lines, text))
    return text


def forget_files() -> None:
    """Forget the texts and clean verdicts kept across requests (benchmarks' cold runs)."""
    with _files_lock:
        _joined.clear()
        _clean_files.clear()
        _verified.clear()


class Scrubber:
    """Redacts pieces of repository files, one builder call long (files are read and
    scanned at most once per call; scans are cached per text by the scanner)."""

    def __init__(
        self,
        root: Path | None,
        own: tuple[str, str] | None = None,
        recent: RecentFiles | None = None,
        scanner: SecretScanner | None = None,
        *,
        defer: bool = False,
    ) -> None:
        self.scanner = scanner or current_scanner()
        self._root = root
        self._recent = recent
        self._texts: dict[str, str | None] = {}
        if own is not None:
            self._texts[own[0]] = own[1]
        self._learned: set[str] = set()
        self._verdicts: dict[str, SecretsVerdict | None] = {}
        self.defer = defer
        self._clean: set[str] = set()  # texts a joint scan found nothing in
        self._raw: dict[tuple[tuple[str, int], str], str] = {}  # (piece, form) -> text
        self._forms: dict[tuple[str, int], dict[str, Callable[[], str]]] = {}

    def whole(self, rel: str) -> str | None:
        """The whole current text of a repository file: the open document, else the disk."""
        if rel not in self._texts:
            text: str | None = None
            if self._root is not None:
                key = os.path.join(self._root, rel)
                if self._recent is not None:
                    text = self._recent.text(Path(key))
                if text is None:
                    text = _disk_text(key)
            self._texts[rel] = text
        return self._texts[rel]

    def know(self, rel: str, text: str) -> None:
        """The whole text of `rel` when the caller already holds it (a recent file)."""
        self._texts.setdefault(rel, text)

    def learn_file(self, rel: str) -> bool:
        """Scan `rel`'s whole text once and remember its secrets; True if it has any."""
        if rel in self._learned:
            return False
        self._learned.add(rel)
        if self._disk_verified_clean(rel):
            return False
        text = self.whole(rel)
        if not text:
            return False
        key = os.path.join(self._root, rel) if self._root is not None else rel
        epoch = learned_epoch()
        clean = _clean_files.get(key)
        if clean is not None and clean[0] is text and clean[1:] == (self.scanner, epoch):
            return False
        spans = self.scanner.find_spans(text, rules_clean=self._indexed_clean(rel, text))
        if spans:
            learn(text, spans)
            self._clean.clear()  # what was clean may carry a value learned now
        else:
            _remember(_clean_files, key, (text, self.scanner, epoch))
        return bool(spans)

    def _disk_verified_clean(self, rel: str) -> bool:
        """The file is read from disk here (no open document holds it) and holds the content
        the index found clean under these rules -- it has the stat it had when the index read
        it, or its bytes hash to that content: nothing to learn from it."""
        if self._root is None or rel in self._texts:
            return False
        key = os.path.join(self._root, rel)
        if self._recent is not None and self._recent.text(Path(key)) is not None:
            return False
        digest = self.scanner.rules_digest
        try:
            signature = read_signature(os.stat(key))
        except OSError:
            return False
        if _verified.get(key) == (signature, digest):
            return True
        verdict = self._verdict(rel)
        if verdict is None or verdict.clean != digest:
            return False
        if verdict.read_stat != signature:  # changed since it was indexed, or not known
            hashed = _hashed_signature(key, verdict.sha256)
            if hashed is None:
                return False
            signature = hashed
        _remember(_verified, key, (signature, digest))
        return True

    def _verdict(self, rel: str) -> SecretsVerdict | None:
        """The index's verdict on `rel`, if an index is open on the root and has one."""
        if rel not in self._verdicts:
            self._ask_verdicts([rel])
        verdict = self._verdicts.get(rel)
        return verdict if verdict is not None and verdict.clean else None

    def _ask_verdicts(self, rels: Iterable[str]) -> None:
        """The index's verdicts on these files, in one query."""
        wanted = [rel for rel in rels if rel not in self._verdicts]
        index = index_at(self._root) if self._root is not None and wanted else None
        found: dict[str, SecretsVerdict] = {}
        if index is not None:
            try:
                found = index.secrets_verdicts(wanted)
            except Exception:  # noqa: BLE001 - no verdict: the text is scanned
                log.debug("secret verdicts unavailable", exc_info=True)
        for rel in wanted:
            self._verdicts[rel] = found.get(rel)

    def _indexed_clean(self, rel: str, text: str) -> bool:
        """The index found no rule-based secret in exactly this text, under these rules."""
        verdict = self._verdict(rel)
        if verdict is None or verdict.clean != self.scanner.rules_digest:
            return False
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return digest == verdict.sha256

    def scrub(self, rel: str, piece: str) -> str:
        """`piece`, cut from file `rel`, with the secrets of the whole file redacted."""
        if not piece:
            return piece
        if not self.defer:
            self.learn_file(rel)
        if piece in self._clean:
            return piece
        return self.scanner.redact(piece, self._spans(piece)).text

    def settle(self, paths: list[str]) -> bool:
        """After a deferred packing: learn the files pieces were chosen from. True if one
        holds a secret (then pack again, `defer` off: every piece is scanned knowing it)."""
        self._ask_verdicts(paths)
        found = False
        for rel in paths:
            found = self.learn_file(rel) or found
        if found:
            self.defer = False
        return found

    def prime(self, pieces: list[Piece], full: bool) -> None:
        """Scan the texts these pieces will be tried in (compact, or `full`) together."""
        form = "full" if full else "compact"
        texts: list[str] = []
        for piece in pieces:
            render = self._forms.get(piece.key, {}).get(form)
            if render is None:
                continue
            if not self.defer:
                self.learn_file(piece.path)
            text = self._text(piece.key, form, render)
            if text and text not in self._clean:
                texts.append(text)
        if texts:
            self._mark_clean(texts)

    def _spans(self, text: str) -> list[Span]:
        """The secrets of a piece's text: while deferred, only the API key and the learned
        values (the rules are asked of the whole files chosen, in `settle`)."""
        return self.scanner.find_spans(text, rules_clean=self.defer)

    def _mark_clean(self, texts: list[str]) -> None:
        joined = _JOIN.join(texts)
        spans = self._spans(joined)
        start = 0
        cursor = 0
        for text in texts:
            end = start + len(text)
            while cursor < len(spans) and spans[cursor].end <= start:
                cursor += 1
            if cursor >= len(spans) or spans[cursor].start >= end:
                self._clean.add(text)
            start = end + len(_JOIN)

    def _text(self, key: tuple[str, int], form: str, render: Callable[[], str]) -> str:
        """A piece's raw text in one form, rendered once."""
        hit = self._raw.get((key, form))
        if hit is None:
            hit = self._raw[(key, form)] = render()
        return hit

    def wrap(self, piece: Piece) -> Piece:
        """The piece with every form of its text (compact, full, shrunk, group open/close)
        scrubbed, so that its token cost is counted on what is sent."""
        rel = piece.path
        key = piece.key

        def clean(render: Callable[[], str], form: str) -> Callable[[], str]:
            self._forms.setdefault(key, {})[form] = render
            return lambda: self.scrub(rel, self._text(key, form, render))

        piece.render = clean(piece.render, "full" if piece.compact is not None else "compact")
        if piece.compact is not None:
            piece.compact = clean(piece.compact, "compact")
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
