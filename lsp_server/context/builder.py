"""ContextBuilder: what a fill-in-the-middle request (or a refactor) sends, within a budget.

Order of work for a completion:
1. reserve a share of the budget for the suffix and the prefix, cut at line boundaries;
2. gather candidate definitions for the names near the cursor, the names the file imports,
   the bases of the enclosing class, definitions of this file that fell outside the kept
   prefix, and similar windows of recently touched files; rank and pack them greedily into
   what is left;
3. give what the snippets did not use back to the prefix, then to the suffix.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from lsp_server.endpoint.secrets import current_scanner, learn, note_redacted, redact_around
from lsp_server.index.languages import LanguageSpec, language_by_id, language_for_path
from lsp_server.index.model import NOT_MEMBERS, Definition, Import
from lsp_server.index.protocol import IndexReader

from .budget import clip_line_left, cut_prefix, cut_suffix
from .candidates import candidates_for_cursor
from .gather import Candidate, Gatherer
from .gc_pause import collections_held
from .names import (
    NameUse,
    scan_line,
)
from .pack import LazyPiece, Piece, pack
from .rank import prior_for
from .recent import RecentFiles
from .redact import Scrubber
from .render import header, render_snippets
from .similar import jaccard, token_set
from .skeleton import (
    CLASS_KINDS,
    class_skeleton,
    compact_text,
    container_close,
    container_open,
    definition_text,
    is_class,
)
from .source import SourceLines
from .testfiles import is_test_path
from .tokens import count_tokens
from .types import CompletionContext, RangeContext, Snippet
from .view import IndexView

log = logging.getLogger(__name__)

#: Shares of the budget reserved before snippets are packed (tuned on bench/context_recall.py).
PREFIX_SHARE = 0.45
SUFFIX_SHARE = 0.12
#: Counting pieces separately overestimates slightly; keep a margin all the same.
SAFETY = 0.98
#: Similar-code windows: at most this share of the snippet budget, this many windows.
SIMILAR_SHARE = 0.3
SIMILAR_MAX = 3
SIMILAR_MIN_JACCARD = 0.2
W_SIMILAR = 2.0
QUERY_LINES = 12
#: How far above the cursor names are counted for the "used in this file" bonus.
#: Weight of the repository-wide prior (`rank.Prior.boost`): a candidate's score is
#: multiplied by 1 + W_PRIOR * boost (a tie-breaker between candidates of similar score).
#: 0: at 0.15 and 0.3 it lost 1 point at start in pydantic and asyncio, none gained.
W_PRIOR = 0.0
#: Same-named definitions (methods of many classes) tried most imported file first.
#: Off: on 6 held-out code bases it changed 2 of 873 points (+2 dot) for +0.8 ms cold.
W_PRIOR_ORDER = False


def own_members(view: IndexView, cls: Definition) -> list[Definition]:
    """The members of `cls`, less those inside another container of the same name in its
    file: a TS interface and its companion `declare namespace` share a name, and each
    would list the other's members. Members outside every such body (Go methods, a Rust
    `impl`) go with the first: a struct defined twice under `#[cfg]` would list them twice."""
    members = view.members(cls.name, cls.path)
    if all(cls.line <= m.line <= cls.end_line for m in members):
        return members  # a Python class, a Java one: no member anywhere else to sort out
    twins = [
        c
        for c in view.definitions(cls.name, NOT_MEMBERS)
        if c.path == cls.path and c.line != cls.line and c.kind in CLASS_KINDS
    ]
    if not twins:
        return members
    first = cls.line < min(t.line for t in twins)
    return [
        m
        for m in members
        if cls.line <= m.line <= cls.end_line
        or (first and not any(t.line <= m.line <= t.end_line for t in twins))
    ]


class ContextBuilder:
    """Assembles completion and refactor context from the index and recent files.

    Cheap to create (one per request is fine): caches live in the index, `RecentFiles` and
    the token counter.
    """

    def __init__(
        self,
        index: IndexReader | None,
        *,
        is_excluded: Callable[[Path], bool],
        recent: RecentFiles | None = None,
        verdicts: dict[tuple[str, str], bool] | None = None,
    ) -> None:
        self.index = index
        self.is_excluded = is_excluded
        self.recent = recent
        self._root: Path | None = Path(index.root) if index is not None else None
        self._excluded: dict[str, bool] = {}
        #: `is_excluded` by (root, relative path), kept by the caller across requests for as
        #: long as its verdicts stand (a context asks about ~500 paths; building each one's
        #: Path and asking again cost ~1 ms per keystroke)
        self._verdicts = verdicts if verdicts is not None else {}
        #: test files are context only for a test (set per request by `_for_file`)
        self._tests_ok = True

    # -- helpers ----------------------------------------------------------------------------

    def _relative(self, path: Path | None) -> str | None:
        if path is None:
            return None
        if self.index is not None:
            try:
                rel = self.index.relative(path)
                if rel:
                    return str(rel).replace("\\", "/")
            except Exception:  # noqa: BLE001 - outside the repository
                return None
            return None
        return Path(path).name

    def _for_file(self, rel: str | None) -> None:
        """What this request may show: test files only when the edited file is a test."""
        tests_ok = rel is None or is_test_path(rel)
        if tests_ok != self._tests_ok:
            self._excluded.clear()  # verdicts depend on it
        self._tests_ok = tests_ok

    def _allowed(self, rel: str) -> bool:
        hit = self._excluded.get(rel)
        if hit is None:
            hit = self._excluded[rel] = self._excluded_now(rel)
        return not hit

    def _excluded_now(self, rel: str) -> bool:
        if not self._tests_ok and is_test_path(rel):
            return True
        key = (str(self._root), rel)
        verdict = self._verdicts.get(key)
        if verdict is None:
            full = (self._root / rel) if self._root is not None else Path(rel)
            try:
                verdict = bool(self.is_excluded(full))
            except Exception:  # noqa: BLE001 - when in doubt, leave it out
                return True
            self._verdicts[key] = verdict
        return verdict

    @staticmethod
    def _spec(path: Path | None, language_id: str | None) -> LanguageSpec | None:
        spec = language_by_id(language_id) if language_id else None
        if spec is None and path is not None:
            spec = language_for_path(path)
        return spec

    # -- completion -------------------------------------------------------------------------

    @collections_held()
    def build(
        self,
        *,
        path: Path | None,
        language_id: str | None,
        text: str,
        offset: int,
        budget_tokens: int,
    ) -> CompletionContext:
        """The prefix (snippets, then this file's text before the cursor) and suffix.

        Secrets are found on the whole text and redacted before anything is cut from it
        (line numbers kept), and every snippet is redacted with its own file's secrets."""
        offset = max(0, min(offset, len(text)))
        budget = max(0, int(budget_tokens * SAFETY))
        spec = self._spec(path, language_id)
        comment = spec.line_comment if spec is not None else "#"
        lang = spec.id if spec is not None else (language_id or "")
        rel = self._relative(path)
        self._for_file(rel)
        text, offset, redacted = self._redact_whole(text, offset)
        scrubber = Scrubber(self._root, (rel, text) if rel else None, self.recent, defer=True)

        lines = text[:offset].split("\n")
        after = text[offset:].split("\n")
        clipped = clip_line_left(lines[-1], max(1, budget // 2))
        # a cursor line cut from the left cannot be joined to the lines above it
        floor = len(lines) - 1 if clipped != lines[-1] else None
        lines[-1] = clipped
        kept_after, suffix_used = cut_suffix(after, int(budget * SUFFIX_SHARE))
        first, prefix_used = cut_prefix(lines, max(0, int(budget * PREFIX_SHARE)), floor)
        own_header = header(rel, comment) if rel else ""
        header_cost = count_tokens(own_header) + 1 if own_header else 0
        room = budget - prefix_used - suffix_used - header_cost

        pieces: list[Piece | LazyPiece] = []
        packed = None
        with self.index.snapshot() if self.index is not None else contextlib.nullcontext():
            if room > 16:
                if self.index is not None and rel is not None and spec is not None:
                    found = self._definition_pieces(
                        rel, lang, comment, lines, after, first, scrubber
                    )
                    pieces.extend(found)
                similar = self._similar_pieces(path, rel, lines, room, scrubber)
                pieces.extend(scrubber.wrap(piece) for piece in similar)
            packed = pack(pieces, room, comment, scrubber.prime) if pieces else None
            if packed is not None and scrubber.settle(_paths(packed.snippets)):
                # a chosen piece's file holds a secret: pack again knowing every file's secrets
                packed = pack(pieces, room, comment, scrubber.prime)
        snippets = packed.snippets if packed else []
        snippet_tokens = packed.tokens if packed else 0
        if not snippets:
            header_cost = 0
            own_header = ""
        leftover = budget - prefix_used - suffix_used - header_cost - snippet_tokens
        if leftover > 0 and first > 0:
            kept = (first, prefix_used)
            first, prefix_used = cut_prefix(lines, prefix_used + leftover, floor, kept)
            leftover = budget - prefix_used - suffix_used - header_cost - snippet_tokens
        if leftover > 0 and kept_after < len(after):
            kept = (kept_after, suffix_used)
            kept_after, suffix_used = cut_suffix(after, suffix_used + leftover, kept)

        rendered = render_snippets(snippets, comment) if snippets else ""
        prefix = rendered + own_header + "\n".join(lines[first:])
        suffix = "\n".join(after[:kept_after])
        if redacted:
            _note_own(lines[first:] + after[:kept_after])
        sources: list[str] = [rel] if rel else []
        for snippet in snippets:
            if snippet.path not in sources:
                sources.append(snippet.path)
        tokens = prefix_used + suffix_used + header_cost + snippet_tokens
        return CompletionContext(prefix, suffix, sources, snippets, tokens)

    def _definition_pieces(
        self,
        rel: str,
        lang: str,
        comment: str,
        lines: list[str],
        after: list[str],
        first: int,
        scrubber: Scrubber,
    ) -> list[LazyPiece]:
        """A piece for each candidate, made (and wrapped by `scrubber`) when packing needs it."""
        assert self.index is not None
        view = IndexView(self.index, self._allowed, rel)
        if W_PRIOR_ORDER:
            prior = prior_for(self.index, view.all_files(), self._imports_quietly, rel)
            view.precedence = lambda d: -prior.boost(d)
        found = candidates_for_cursor(view, rel, lang, lines, after, first)
        if W_PRIOR > 0:
            self._apply_prior(view, found.gathered.candidates.values())
        source = SourceLines(self._root, {rel: lines})

        def make(cand: Candidate) -> Callable[[], Piece]:
            return lambda: scrubber.wrap(self._piece(view, cand, lang, comment, found.hot, source))

        pieces: list[LazyPiece] = []
        for cand in found.gathered.candidates.values():
            d = cand.definition
            if self._allowed(d.path) or d.path == rel:
                kind = _piece_kind(d)
                pieces.append(
                    LazyPiece((d.path, d.line), d.path, d.line, cand.score, kind, make(cand))
                )
        return pieces

    def _apply_prior(self, view: IndexView, candidates: Iterable[Candidate]) -> None:
        """Re-weight candidates by how much the rest of the repository uses them."""
        assert self.index is not None
        prior = prior_for(self.index, view.all_files(), self._imports_quietly, view.current)
        for cand in candidates:
            cand.score *= 1.0 + W_PRIOR * prior.boost(cand.definition)

    def _imports_quietly(self, path: str) -> list[Import]:
        assert self.index is not None
        try:
            return list(self.index.imports_of(path))
        except Exception:  # noqa: BLE001 - a broken index must not break completion
            return []

    def _piece(
        self,
        view: IndexView,
        cand: Candidate,
        lang: str,
        comment: str,
        hot: frozenset[str] = frozenset(),
        source: SourceLines | None = None,
    ) -> Piece:
        src = source or SourceLines(self._root)
        d = cand.definition
        key = (d.path, d.line)
        header_of = _memo(src.with_header)
        if is_class(d):
            limit = 24 if cand.role in ("base", "local") else 16

            def render_class(d: Definition = d, limit: int = limit) -> str:
                members = [src.with_header(m) for m in own_members(view, d)]
                if not members and lang != "python":  # no block to open: `struct Unit;`
                    return definition_text(header_of(d), lang, comment)
                return class_skeleton(header_of(d), members, lang, comment, limit, hot)

            def shrink_class(limit: int, d: Definition = d, most: int = limit) -> str:
                return render_class(d, min(limit, most))

            return Piece(
                key,
                d.path,
                d.line,
                cand.score,
                _piece_kind(d),
                render_class,
                compact=lambda: compact_text(header_of(d), lang),
                shrink=shrink_class,
                covers=(d.path, d.name),
                scope=d.container or "",
            )
        if d.container is not None and d.kind in ("method", "field", "property"):
            indent = "    " if lang == "python" else "  "
            container = d.container

            def render_member(d: Definition = d, indent: str = indent) -> str:
                return definition_text(header_of(d), lang, comment, indent)

            def opener(d: Definition = d, container: str = container) -> tuple[str, str]:
                defs = [c for c in view.definitions(container, NOT_MEMBERS) if c.path == d.path]
                owners = [c for c in defs if c.kind in CLASS_KINDS]
                owner = src.with_header(owners[0]) if owners else None
                return container_open(owner, container, lang), container_close(lang)

            return Piece(
                key,
                d.path,
                d.line,
                cand.score,
                "definition",
                render_member,
                compact=lambda: compact_text(header_of(d), lang, indent),
                group=(d.path, container),
                group_open=opener,
            )

        def render_def(d: Definition = d) -> str:
            return definition_text(header_of(d), lang, comment)

        return Piece(
            key,
            d.path,
            d.line,
            cand.score,
            "definition",
            render_def,
            compact=lambda: compact_text(header_of(d), lang),
            scope=d.container or "",
        )

    @staticmethod
    def _redact_whole(text: str, *cuts: int) -> tuple[str, int, bool]:
        """The text with its secrets redacted (found on all of it, newlines kept) and where
        the first cut falls in it; learns the secrets' values for pieces cut elsewhere."""
        scanner = current_scanner()
        spans = scanner.find_spans(text)
        if not spans:
            return text, cuts[0], False
        learn(text, spans)
        redacted, positions = redact_around(text, cuts, spans)
        return redacted, positions[0], True

    def _similar_pieces(
        self,
        path: Path | None,
        rel: str | None,
        lines: list[str],
        room: int,
        scrubber: Scrubber | None = None,
    ) -> list[Piece]:
        if self.recent is None or len(self.recent) == 0:
            return []
        query = token_set("\n".join(lines[-QUERY_LINES:]))
        if len(query) < 4:
            return []
        current = Path(path) if path is not None else None
        found: list[tuple[float, str, int, int, str]] = []
        for other in self.recent.paths():
            if current is not None and other == current:
                continue
            other_rel = self._relative(other)
            if other_rel is None or other_rel == rel or not self._allowed(other_rel):
                continue
            best: tuple[float, int, int] | None = None
            for window in self.recent.windows(other):
                score = jaccard(query, window.tokens)
                if score >= SIMILAR_MIN_JACCARD and (best is None or score > best[0]):
                    best = (score, window.start, window.end)
            if best is not None:
                text = self.recent.text(other) or ""
                found.append((best[0], other_rel, best[1], best[2], text))
        found.sort(reverse=True)
        pieces: list[Piece] = []
        cap = int(room * SIMILAR_SHARE)
        spent = 0
        for score, other_rel, start, end, text in found[:SIMILAR_MAX]:
            window_text = "\n".join(text.split("\n")[start:end]) + "\n"
            if scrubber is not None:
                scrubber.know(other_rel, text)
                scrubber.learn_file(other_rel)
                window_text = scrubber.scrub(other_rel, window_text)
            cost = count_tokens(window_text)
            if spent + cost > cap:
                continue
            spent += cost
            pieces.append(
                Piece(
                    (other_rel, -1 - start),
                    other_rel,
                    start,
                    W_SIMILAR * score,
                    "similar",
                    functools.partial(str, window_text),
                )
            )
        return pieces

    # -- refactors --------------------------------------------------------------------------

    def build_for_range(
        self,
        *,
        path: Path | None,
        language_id: str | None,
        text: str,
        start: int,
        end: int,
        budget_tokens: int,
    ) -> RangeContext:
        """The selection, the scope around it, and the definitions of the names it uses."""
        start, end = sorted((max(0, min(start, len(text))), max(0, min(end, len(text)))))
        spans = current_scanner().find_spans(text)
        if spans:  # redact the whole source first; the selection and scope are cut from it
            learn(text, spans)
            text, (start, end) = redact_around(text, (start, end), spans)
        spec = self._spec(path, language_id)
        comment = spec.line_comment if spec is not None else "#"
        lang = spec.id if spec is not None else (language_id or "")
        rel = self._relative(path)
        self._for_file(rel)
        budget = max(0, int(budget_tokens * SAFETY))
        selection = text[start:end]
        all_lines = text.split("\n")
        first_line = text.count("\n", 0, start)
        last_line = text.count("\n", 0, end)

        view = IndexView(self.index, self._allowed, rel) if self.index is not None else None
        gatherer = Gatherer(view, rel, lang) if view is not None and rel and spec else None
        scope_start, scope_end = max(0, first_line - 20), min(len(all_lines), last_line + 21)
        if gatherer is not None:
            cls, func = gatherer.enclosing(first_line, all_lines)
            owner = func if func is not None and func.end_line >= last_line else cls
            if owner is not None and owner.end_line >= last_line:
                scope_start, scope_end = owner.line, owner.end_line + 1
            if cls is not None:
                gatherer.add_bases(cls)
        # a scope larger than half the budget is trimmed around the selection
        scope_lines = all_lines[scope_start:scope_end]
        while len(scope_lines) > 1 and count_tokens("\n".join(scope_lines)) > budget // 2:
            if first_line - scope_start > scope_end - 1 - last_line:
                scope_start += max(1, (first_line - scope_start) // 2)
            elif scope_end - 1 > last_line:
                scope_end -= max(1, (scope_end - 1 - last_line) // 2)
            else:
                break
            scope_lines = all_lines[scope_start:scope_end]
        scope = "\n".join(scope_lines)
        used = count_tokens(selection) + count_tokens(scope)
        snippets: list[Snippet] = []
        if gatherer is not None and view is not None and budget - used > 16:
            uses: dict[str, NameUse] = {}
            for line in selection.split("\n"):
                scan_line(line, 1.0, uses)
            gatherer.add_names(uses, {}, scope_start)
            scrubber = Scrubber(self._root, (rel, text) if rel else None)
            pieces = [
                scrubber.wrap(self._piece(view, c, lang, comment))
                for c in gatherer.out.candidates.values()
                if self._allowed(c.definition.path) or c.definition.path == rel
            ]
            packed = pack(pieces, budget - used, comment)
            snippets = packed.snippets
            used += packed.tokens
        sources: list[str] = [rel] if rel else []
        for snippet in snippets:
            if snippet.path not in sources:
                sources.append(snippet.path)
        if spans:
            _note_own(scope_lines + selection.split("\n"))
        return RangeContext(
            path=rel,
            language_id=lang or None,
            selection=selection,
            scope=scope,
            scope_start_line=scope_start,
            snippets=snippets,
            sources=sources,
            tokens=used,
        )


def _piece_kind(definition: Definition) -> str:
    """A class is shown as a skeleton of its members, anything else as a definition."""
    return "skeleton" if is_class(definition) else "definition"


def _paths(snippets: list[Snippet]) -> list[str]:
    """The files snippets come from, each once, in order."""
    return list(dict.fromkeys(snippet.path for snippet in snippets))


def _note_own(lines: list[str]) -> None:
    """Tell the endpoint which lines of the user's own text go out with a placeholder put
    there here: in `block` mode a secret that would have been sent refuses the request."""
    for line in lines:
        if "[REDACTED:" in line:
            note_redacted(line)


def _memo(function: Callable[[Definition], Definition]) -> Callable[[Definition], Definition]:
    """Remember the one result a piece needs (its compact and full forms share it), by the
    definition's identity: hashing its twelve fields cost more than the lookup saved."""
    last: list[tuple[Definition, Definition]] = []

    def call(definition: Definition) -> Definition:
        if last and last[0][0] is definition:
            return last[0][1]
        found = function(definition)
        last[:] = [(definition, found)]
        return found

    return call
