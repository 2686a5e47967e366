"""Greedy packing of ranked pieces into a token budget, and their rendering order.

A piece is one definition (or similar-code window). Members of one class share a single
opening/closing line; pieces of one file share one path header; a class skeleton makes the
separately chosen members of that class redundant (their budget is given back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .render import header
from .tokens import count_tokens
from .types import Snippet

#: At most this many pieces are considered (bounded assembly time).
MAX_CONSIDERED = 160


@dataclass
class Piece:
    key: tuple[str, int]
    path: str
    line: int
    score: float
    kind: str  # "definition" | "skeleton" | "similar"
    render: Callable[[], str]
    group: tuple[str, str] | None = None  # (path, container) for class members
    group_open: Callable[[], tuple[str, str]] | None = None  # -> (open text, close text)
    covers: tuple[str, str] | None = None  # a class skeleton covers this group
    text: str = ""
    cost: int = 0


@dataclass
class Packed:
    snippets: list[Snippet] = field(default_factory=list)
    tokens: int = 0


def pack(pieces: list[Piece], budget: int, comment: str) -> Packed:
    ranked = sorted(pieces, key=lambda p: -p.score)[:MAX_CONSIDERED]
    chosen: dict[tuple[str, int], Piece] = {}
    path_cost: dict[str, int] = {}
    group_cost: dict[tuple[str, str], int] = {}
    group_text: dict[tuple[str, str], tuple[str, str]] = {}
    covered: set[tuple[str, str]] = set()
    used = 0
    for piece in ranked:
        if budget - used < 8:
            break
        if piece.key in chosen or (piece.group is not None and piece.group in covered):
            continue
        piece.text = piece.render()
        if not piece.text.strip():
            continue
        piece.cost = count_tokens(piece.text) + 1
        extra = 0
        new_path = piece.path not in path_cost
        if new_path:
            extra += count_tokens(header(piece.path, comment)) + 1
        new_group = piece.group is not None and piece.group not in group_cost
        opened = ("", "")
        if new_group and piece.group_open is not None:
            opened = piece.group_open()
            extra += count_tokens(opened[0]) + count_tokens(opened[1])
        refund = 0
        refunded: list[tuple[str, int]] = []
        if piece.covers is not None and piece.covers in group_cost:
            for key, other in chosen.items():
                if other.group == piece.covers:
                    refund += other.cost
                    refunded.append(key)
            refund += group_cost[piece.covers]
        if used + piece.cost + extra - refund > budget:
            continue
        for key in refunded:
            del chosen[key]
        if piece.covers is not None:
            covered.add(piece.covers)
            group_cost.pop(piece.covers, None)
        chosen[piece.key] = piece
        if new_path:
            path_cost[piece.path] = count_tokens(header(piece.path, comment)) + 1
        if new_group and piece.group is not None:
            group_cost[piece.group] = extra - (path_cost[piece.path] if new_path else 0)
            group_text[piece.group] = opened
        used += piece.cost + extra - refund
    return Packed(_arrange(list(chosen.values()), group_text), used)


def _arrange(
    chosen: list[Piece], group_text: dict[tuple[str, str], tuple[str, str]]
) -> list[Snippet]:
    """Files ordered by their best score, best last (nearest the cursor); in a file, pieces
    in source order, class members gathered under their class."""
    by_path: dict[str, list[Piece]] = {}
    for piece in chosen:
        by_path.setdefault(piece.path, []).append(piece)
    order = sorted(by_path, key=lambda p: max(x.score for x in by_path[p]))
    snippets: list[Snippet] = []
    for path in order:
        items: list[tuple[int, Snippet]] = []
        groups: dict[tuple[str, str], list[Piece]] = {}
        for piece in by_path[path]:
            if piece.group is not None:
                groups.setdefault(piece.group, []).append(piece)
            else:
                items.append((piece.line, Snippet(path, piece.text, piece.kind, piece.score)))
        for group, members in groups.items():
            members.sort(key=lambda p: p.line)
            opened, closed = group_text.get(group, ("", ""))
            body = "".join(m.text for m in members)
            score = max(m.score for m in members)
            snippet = Snippet(path, opened + body + closed, "definition", score)
            items.append((members[0].line, snippet))
        items.sort(key=lambda item: item[0])
        snippets.extend(s for _, s in items)
    return snippets
