"""Greedy packing of ranked pieces into a token budget, and their rendering order.

Two passes: first every piece, best first, in its compact form (a one-line header), so
that as many relevant definitions as possible make it in; then, best first again, pieces
are upgraded to their full form (doc line, class members) while the budget allows.
Members of one class share a single opening/closing line; pieces of one file share one
path header; a full class skeleton makes the separately chosen members of that class
redundant (their budget is given back).

Nothing is shown twice: a piece whose header line a chosen piece of the same file already
shows (an identical overload, a member listed by its class's skeleton) is not added, and
a piece that comes to show the header of another chosen piece (a class skeleton, a window
of similar code) replaces it. Every order is total (score, then place), so the result
does not depend on the order the candidates were found in.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .render import header
from .tokens import count_tokens, fewest_tokens
from .types import Snippet

#: At most this many pieces are considered (bounded assembly time).
MAX_CONSIDERED = 160
#: Share of the room the compact pass may use; the rest is for upgrades.
COMPACT_SHARE = 0.7


@dataclass
class Piece:
    key: tuple[str, int]
    path: str
    line: int
    score: float
    kind: str  # "definition" | "skeleton" | "similar"
    render: Callable[[], str]
    compact: Callable[[], str] | None = None
    shrink: Callable[[int], str] | None = None  # the full form with at most n members
    group: tuple[str, str] | None = None  # (path, container) for class members
    group_open: Callable[[], tuple[str, str]] | None = None  # -> (open text, close text)
    covers: tuple[str, str] | None = None  # a full class skeleton covers this group
    scope: str = ""  # the class the definition is in ("" at top level): where repeats count
    text: str = ""
    cost: int = 0
    full: bool = False


@dataclass
class Packed:
    snippets: list[Snippet] = field(default_factory=list)
    tokens: int = 0


#: What a rendered line ends with that says nothing (an elided body, an opening brace).
_ELIDED_TAIL = re.compile(r"(?:\s*(?:\.\.\.|…|\{\s*…\s*\}|\{|:))+\s*$")
#: Lines that carry no content of their own (an elided body, a closing brace).
_TRIVIAL = frozenset(("", "...", "…", "}", "};", ")", "]", '"' * 3, "'" * 3))


@functools.lru_cache(maxsize=8192)
def content_lines(text: str) -> tuple[str, ...]:
    """The lines of a rendered piece that say something, normalized so that one header
    rendered alone (`def f(a): ...`), in a skeleton (`    def f(a): ...`) or with its
    doc line (`def f(a):`) compares equal."""
    out: list[str] = []
    for line in text.split("\n"):
        line = _ELIDED_TAIL.sub("", line.strip()).strip()
        if line not in _TRIVIAL:
            out.append(line)
    return tuple(out)


def scoped_lines(piece: Piece, text: str) -> list[tuple[str, str]]:
    """`content_lines` with the scope each belongs to: a member's lines are its class's,
    a full class skeleton's lines after its header are the class's members."""
    lines = content_lines(text)
    if piece.kind == "similar":
        return [("*", line) for line in lines]
    if piece.group is not None:
        return [(piece.group[1], line) for line in lines]
    if piece.covers is not None and len(lines) > 1:
        return [(piece.scope, lines[0])] + [(piece.covers[1], line) for line in lines[1:]]
    return [(piece.scope, line) for line in lines]


_NONE: dict[str, int] = {}
_NO_TEXTS: dict[tuple[str, ...], int] = {}


def piece_order(piece: Piece | LazyPiece) -> tuple[float, str, str, int, int]:
    """Best first; ties broken by place, never by the order candidates were found in."""
    return (-piece.score, piece.path, piece.kind, piece.line, piece.key[1])


class _Packer:
    def __init__(self, budget: int, comment: str) -> None:
        self.budget = budget
        self.comment = comment
        self.used = 0
        self.chosen: dict[tuple[str, int], Piece] = {}
        self.path_cost: dict[str, int] = {}
        self.group_cost: dict[tuple[str, str], int] = {}
        self.group_text: dict[tuple[str, str], tuple[str, str]] = {}
        self.covered: set[tuple[str, str]] = set()
        self.first_form: dict[tuple[str, int], tuple[str, int]] = {}
        #: (path, scope) -> content lines of the chosen pieces; a scope is the class whose
        #: members the lines are ("" for top level, "*" for a window of similar code)
        self.shown: dict[tuple[str, str], dict[str, int]] = {}
        self.lines_of: dict[tuple[str, int], list[tuple[str, str]]] = {}
        #: path -> content lines of each chosen piece outside any class block, as a whole
        #: (what `_shown_already` compares a new piece with, without walking every choice)
        self.texts: dict[str, dict[tuple[str, ...], int]] = {}
        self.whole_of: dict[tuple[str, int], tuple[str, ...]] = {}

    def _show(self, piece: Piece, text: str) -> None:
        lines = self.lines_of[piece.key] = scoped_lines(piece, text)
        path, shown = piece.path, self.shown
        for scope, line in lines:
            counts = shown.get((path, scope))
            if counts is None:
                counts = shown[(path, scope)] = {}
            counts[line] = counts.get(line, 0) + 1
        if piece.group is None:
            whole = self.whole_of[piece.key] = content_lines(text)
            texts = self.texts.get(path)
            if texts is None:
                texts = self.texts[path] = {}
            texts[whole] = texts.get(whole, 0) + 1

    def _unshow(self, piece: Piece) -> None:
        for scope, line in self.lines_of.pop(piece.key, []):
            self.shown[(piece.path, scope)][line] -= 1
        whole = self.whole_of.pop(piece.key, None)
        if whole is not None:
            self.texts[piece.path][whole] -= 1

    def _shown_already(self, piece: Piece, text: str) -> bool:
        """The piece's header is on screen already (same file, same class), or a chosen
        piece of the file reads exactly the same (two nested `def post(tlist):` of different
        functions: the second says nothing new)."""
        lines = scoped_lines(piece, text)
        if not lines:
            return False
        scope, head = lines[0]
        shown = self.shown
        if shown.get((piece.path, scope), _NONE).get(head, 0) > 0:
            return True
        if shown.get((piece.path, "*"), _NONE).get(head, 0) > 0:
            return True
        if piece.group is not None:
            return False  # under its own class's line, the same text is another member
        return self.texts.get(piece.path, _NO_TEXTS).get(content_lines(text), 0) > 0

    def _drop_repeated(self, piece: Piece) -> None:
        """Chosen pieces of the same file whose header `piece` now shows are redundant."""
        if piece.kind not in ("skeleton", "similar"):
            return  # a definition's lines after its header are its doc, no other header
        lines = self.lines_of.get(piece.key, [])
        inside = set(lines[1:])
        if not inside:
            return
        window = {line for _, line in lines} if piece.kind == "similar" else set()
        for key, other in list(self.chosen.items()):
            if other is piece or other.path != piece.path or other.kind == "similar":
                continue
            head = self.lines_of.get(key, [])
            if head and (head[0] in inside or head[0][1] in window):
                self._remove(key)

    def _remove(self, key: tuple[str, int]) -> None:
        piece = self.chosen.pop(key)
        self.used -= piece.cost
        self._unshow(piece)
        group = piece.group
        if group is not None and not any(p.group == group for p in self.chosen.values()):
            self.used -= self.group_cost.pop(group, 0)
            self.group_text.pop(group, None)
        if not any(p.path == piece.path for p in self.chosen.values()):
            self.used -= self.path_cost.pop(piece.path, 0)

    def _overhead(self, piece: Piece) -> tuple[int, int, tuple[str, str]]:
        path_extra = 0
        if piece.path not in self.path_cost:
            path_extra = count_tokens(header(piece.path, self.comment)) + 1
        group_extra = 0
        opened = ("", "")
        if (
            piece.group is not None
            and piece.group not in self.group_cost
            and piece.group_open is not None
        ):
            opened = piece.group_open()
            group_extra = count_tokens(opened[0]) + count_tokens(opened[1])
        return path_extra, group_extra, opened

    def add(self, piece: Piece, limit: int) -> bool:
        if piece.key in self.chosen or (piece.group is not None and piece.group in self.covered):
            return False
        full = piece.compact is None
        known = self.first_form.get(piece.key)
        if known is None:  # rendering (and scrubbing) a piece costs: once per piece
            text = piece.render() if full else piece.compact()  # type: ignore[misc]
            known = self.first_form[piece.key] = (text, count_tokens(text) + 1)
        text, cost = known
        if not text.strip() or self._shown_already(piece, text):
            return False
        path_extra, group_extra, opened = self._overhead(piece)
        if self.used + cost + path_extra + group_extra > limit:
            return False
        piece.text, piece.cost, piece.full = text, cost, full
        self.chosen[piece.key] = piece
        if path_extra:
            self.path_cost[piece.path] = path_extra
        if piece.group is not None and piece.group not in self.group_cost:
            self.group_cost[piece.group] = group_extra
            self.group_text[piece.group] = opened
        self.used += cost + path_extra + group_extra
        self._show(piece, text)
        if full and piece.covers is not None:
            self._cover(piece.covers)
        self._drop_repeated(piece)
        return True

    def _cover(self, group: tuple[str, str]) -> None:
        self.covered.add(group)
        for key in [k for k, p in self.chosen.items() if p.group == group]:
            piece = self.chosen.pop(key)
            self.used -= piece.cost
            self._unshow(piece)
        self.used -= self.group_cost.pop(group, 0)
        self.group_text.pop(group, None)

    def upgrade(self, piece: Piece) -> bool:
        if piece.full or piece.key not in self.chosen:
            return True
        refund = 0
        if piece.covers is not None and piece.covers in self.group_cost:
            refund = self.group_cost[piece.covers] + sum(
                p.cost for p in self.chosen.values() if p.group == piece.covers
            )
        room = self.budget - self.used + piece.cost + refund
        text = piece.render()
        cost = _cost_within(text, room)
        if cost > room and piece.shrink is not None:
            for limit in SHRINK_STEPS:  # a big class: its first members (most relevant) only
                text = piece.shrink(limit)
                cost = _cost_within(text, room)
                if cost <= room:
                    break
        if cost > room:
            return False
        self.used += cost - piece.cost
        piece.text, piece.cost, piece.full = text, cost, True
        self._unshow(piece)
        self._show(piece, text)
        if piece.covers is not None:
            self._cover(piece.covers)
        self._drop_repeated(piece)
        return True


def _cost_within(text: str, room: int) -> int:
    """A text's cost (tokens and its newline) if it fits in `room`; else some number above
    `room`, not counted when even the fewest tokens it can have do not fit: half the full
    forms an upgrade renders do not fit, and counting a large one is the dearest part."""
    if len(text) >= room:  # (the bound never exceeds the length: a short text is counted)
        fewest = fewest_tokens(text) + 1
        if fewest > room:
            return fewest
    return count_tokens(text) + 1


#: Member counts tried when a class skeleton does not fit whole.
SHRINK_STEPS = (12, 6, 3)

#: The upgrade pass gives up after this many upgrades in a row that did not fit.
MAX_FAILED_UPGRADES = 6
#: ... and stops adding compact pieces after this many in a row that did not fit (each
#: attempt renders and scrubs a piece: the cost of a large candidate list).
MAX_FAILED_ADDS = 12


#: Pieces handed to `prime` at a time, in the order they will be tried: a few, as each one
#: handed is made and rendered (a third of a chunk of 32 was never tried), and a joint scan
#: of the few costs little more than one of many.
PRIME_CHUNK = 8
#: Chosen pieces whose full form is primed before the upgrade pass (it tries ~20).
PRIME_FULL = 16

#: Called with the pieces about to be tried, and whether in their full form: a chance to
#: do per-piece work for many at once (see `redact.Scrubber.prime`).
Prime = Callable[[list[Piece], bool], None]


@dataclass
class LazyPiece:
    """A piece's place in the ranking, the piece itself (its renderings, their scrubbing)
    made only when packing reaches it: of a hundred candidates a third are never tried,
    and past `MAX_CONSIDERED` none is."""

    key: tuple[str, int]
    path: str
    line: int
    score: float
    kind: str
    make: Callable[[], Piece]
    made: Piece | None = None

    def piece(self) -> Piece:
        if self.made is None:
            self.made = self.make()
        return self.made


class _Ranking:
    """The pieces considered, best first, each made (and reset) when first reached."""

    def __init__(self, pieces: Sequence[Piece | LazyPiece]) -> None:
        self.items = sorted(pieces, key=piece_order)[:MAX_CONSIDERED]
        for item in self.items:
            if isinstance(item, Piece):
                _reset(item)

    def __len__(self) -> int:
        return len(self.items)

    def at(self, i: int) -> Piece:
        item = self.items[i]
        if isinstance(item, Piece):
            return item
        piece = self.items[i] = item.piece()
        _reset(piece)
        return piece

    def chunk(self, start: int, size: int) -> list[Piece]:
        return [self.at(i) for i in range(start, min(start + size, len(self.items)))]


def _reset(piece: Piece) -> None:
    """A piece packed before (a second packing) starts afresh."""
    piece.text, piece.cost, piece.full = "", 0, False


def pack(
    pieces: Sequence[Piece | LazyPiece], budget: int, comment: str, prime: Prime | None = None
) -> Packed:
    ranked = _Ranking(pieces)
    packer = _Packer(budget, comment)
    compact_limit = int(budget * COMPACT_SHARE)
    missed = 0
    for i in range(len(ranked)):
        if budget - packer.used < 6 or missed >= MAX_FAILED_ADDS:
            break
        if prime is not None and i % PRIME_CHUNK == 0:
            prime(ranked.chunk(i, PRIME_CHUNK), False)
        piece = ranked.at(i)
        limit = compact_limit if piece.compact is not None else budget
        missed = 0 if packer.add(piece, limit) else missed + 1
    if prime is not None:
        chosen = [packer.chosen[item.key] for item in ranked.items if item.key in packer.chosen]
        prime([p for p in chosen if p.compact is not None][:PRIME_FULL], True)
    failed = missed = 0
    for i in range(len(ranked)):
        if budget - packer.used < 6 or failed >= MAX_FAILED_UPGRADES:
            break
        if ranked.items[i].key in packer.chosen:
            failed = 0 if packer.upgrade(ranked.at(i)) else failed + 1
        elif missed >= MAX_FAILED_ADDS:
            continue
        elif (piece := ranked.at(i)).compact is not None:
            missed = 0 if packer.add(piece, budget) else missed + 1
    return Packed(_arrange(list(packer.chosen.values()), packer.group_text), packer.used)


def _arrange(
    chosen: list[Piece], group_text: dict[tuple[str, str], tuple[str, str]]
) -> list[Snippet]:
    """Files ordered by their best score, best last (nearest the cursor); in a file, pieces
    in source order, class members gathered under their class."""
    by_path: dict[str, list[Piece]] = {}
    for piece in chosen:
        by_path.setdefault(piece.path, []).append(piece)
    order = sorted(by_path, key=lambda p: (max(x.score for x in by_path[p]), p))
    snippets: list[Snippet] = []
    for path in order:
        items: list[tuple[int, str, Snippet]] = []
        groups: dict[tuple[str, str], list[Piece]] = {}
        grouped = {p.group for p in by_path[path] if p.group is not None}
        group_heads = {h for g in grouped for h in content_lines(group_text.get(g, ("",))[0])}
        for piece in by_path[path]:
            if not piece.full and piece.covers in grouped:
                continue  # the class line opens its members' block already
            if piece.group is not None:
                groups.setdefault(piece.group, []).append(piece)
            else:
                kind = piece.kind if piece.full or piece.kind == "similar" else "definition"
                text = piece.text
                if piece.kind == "skeleton":
                    text = _without_lines(text, group_heads)
                snippet = Snippet(path, text, kind, piece.score)
                items.append((piece.line, snippet.text, snippet))
        for group, members in groups.items():
            members.sort(key=lambda p: (p.line, p.key[1]))
            opened, closed = group_text.get(group, ("", ""))
            body = "".join(m.text for m in members)
            score = max(m.score for m in members)
            snippet = Snippet(path, opened + body + closed, "definition", score)
            items.append((members[0].line, snippet.text, snippet))
        items.sort(key=lambda item: (item[0], item[1]))
        snippets.extend(s for _, _, s in items)
    return snippets


def _without_lines(skeleton: str, heads: set[str]) -> str:
    """A class skeleton without the member lines that open a block shown elsewhere in the
    prompt (a nested class whose members are listed under its own line)."""
    if not heads:
        return skeleton
    lines = skeleton.split("\n")
    kept = lines[:1] + [
        line for line in lines[1:] if not (content_lines(line) and content_lines(line)[0] in heads)
    ]
    return "\n".join(kept)
