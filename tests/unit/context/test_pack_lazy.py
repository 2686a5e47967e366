"""Lazy pieces: made only when packing reaches them, packed as the same pieces made up front."""

from __future__ import annotations

import functools

from lsp_server.context.pack import MAX_CONSIDERED, LazyPiece, Piece, pack


def piece(path: str, line: int, score: float) -> Piece:
    text = f"def f{line}(value_{line}: int, other: str) -> None: ...\n"
    compact = f"def f{line}(...): ...\n"
    return Piece(
        (path, line),
        path,
        line,
        score,
        "definition",
        functools.partial(str, text + f'    """Doc of f{line}."""\n'),
        compact=functools.partial(str, compact),
    )


def lazy(made: list[tuple[str, int]], path: str, line: int, score: float) -> LazyPiece:
    def make() -> Piece:
        made.append((path, line))
        return piece(path, line, score)

    return LazyPiece((path, line), path, line, score, "definition", make)


def specs(n: int) -> list[tuple[str, int, float]]:
    return [(f"m{i % 7}.py", i, 1.0 + (i * 37 % 101) / 10) for i in range(n)]


def snippets(pieces: list[Piece] | list[LazyPiece], budget: int) -> list[tuple[str, str]]:
    return [(s.path, s.text) for s in pack(pieces, budget, "#").snippets]


def test_lazy_pieces_pack_as_pieces_made_up_front() -> None:
    for n, budget in ((5, 2000), (60, 300), (250, 800), (250, 4000)):
        eager = [piece(p, line, s) for p, line, s in specs(n)]
        made: list[tuple[str, int]] = []
        lazies = [lazy(made, p, line, s) for p, line, s in specs(n)]
        assert snippets(lazies, budget) == snippets(eager, budget)
        # packed again (after a secret turned up): the same pieces, reset, none made twice
        assert snippets(lazies, budget) == snippets(eager, budget)
        assert len(made) == len(set(made))


def test_pieces_packing_does_not_reach_are_never_made() -> None:
    made: list[tuple[str, int]] = []
    lazies = [lazy(made, p, line, s) for p, line, s in specs(250)]
    packed = pack(lazies, 300, "#")
    assert packed.snippets
    assert 0 < len(made) < MAX_CONSIDERED < len(lazies)
    # control: with room for everything, every piece considered is made, and no other
    made = []
    lazies = [lazy(made, p, line, s) for p, line, s in specs(250)]
    pack(lazies, 10**6, "#")
    assert len(made) == MAX_CONSIDERED
