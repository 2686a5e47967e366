"""`Definition` is built by its own __init__ (fast, from index rows): it must still behave
as the frozen dataclass it declares -- fields, defaults, keywords, equality, hashing,
`dataclasses.replace`, pickling, and no assignment."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from lsp_server.index.model import Definition

ROW = ("area", "function", "geo/shapes.py", 3, 0, 9, 12, "Circle", "def area(self):", "Area.", 3, 8)


def test_positional_keyword_and_default_construction_agree() -> None:
    by_row = Definition(*ROW)
    names = [f.name for f in dataclasses.fields(Definition)]
    assert names == list(Definition.__slots__)
    assert by_row == Definition(**dict(zip(names, ROW, strict=True)))
    assert [getattr(by_row, n) for n in names] == list(ROW)
    short = Definition(*ROW[:10])
    assert (short.name_line, short.name_column) == (-1, -1)


def test_it_stays_a_frozen_hashable_value() -> None:
    d = Definition(*ROW)
    assert hash(d) == hash(Definition(*ROW)) and len({d, Definition(*ROW)}) == 1
    assert d != dataclasses.replace(d, kind="method")
    assert dataclasses.replace(d, kind="method").kind == "method"
    assert pickle.loads(pickle.dumps(d)) == d
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.name = "perimeter"  # type: ignore[misc]
