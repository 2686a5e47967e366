"""`Definition` is a tuple (made, hashed and compared in C, from index rows): it must behave
as the immutable record it declares -- fields, defaults, keywords, equality, hashing,
`_replace`, pickling, and no assignment."""

from __future__ import annotations

import pickle

import pytest

from lsp_server.index.model import Definition, definition_from_row

ROW = ("area", "function", "geo/shapes.py", 3, 0, 9, 12, "Circle", "def area(self):", "Area.", 3, 8)


def test_positional_keyword_and_default_construction_agree() -> None:
    by_row = Definition(*ROW)
    names = list(Definition._fields)
    assert names[:3] == ["name", "kind", "path"] and names[-2:] == ["name_line", "name_column"]
    assert by_row == Definition(**dict(zip(names, ROW, strict=True)))
    assert [getattr(by_row, n) for n in names] == list(ROW)
    short = Definition(*ROW[:10])
    assert (short.name_line, short.name_column) == (-1, -1)


def test_it_stays_a_frozen_hashable_value() -> None:
    d = Definition(*ROW)
    assert hash(d) == hash(Definition(*ROW)) and len({d, Definition(*ROW)}) == 1
    assert d != d._replace(kind="method")
    assert d._replace(kind="method").kind == "method"
    assert pickle.loads(pickle.dumps(d)) == d
    with pytest.raises(AttributeError):
        d.name = "perimeter"  # type: ignore[misc]
    assert not hasattr(d, "__dict__")  # no per-instance dictionary


def test_a_row_makes_the_same_definition() -> None:
    made = definition_from_row(ROW)
    assert type(made) is Definition and made == Definition(*ROW)
    assert (made.container, made.name_column) == ("Circle", 8)
