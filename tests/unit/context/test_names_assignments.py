"""What the cursor's recent lines assign: the patterns are tried only where they can match
(names' starts, lines holding the characters they need), and find what trying them
everywhere found, names inside names and after dots included."""

from __future__ import annotations

from lsp_server.context.names import call_assignments, local_names, receiver_types

LINES = [
    "self.stream = IOStream(sock)",
    "9abc = Foo()",
    "    total: int = Pricing.compute(cart)",
    "n2 = await obj.make_thing(x)",
    "loop = ioloop.IOLoop.current()",
    "if x == y:",
    "for item in items:",
    "with open(p) as handle:",
    "    pass",
]


def test_assigned_classes_and_calls() -> None:
    assert receiver_types("", LINES, "python") == {"stream": "IOStream", "abc": "Foo"}
    # (the annotated assignment's call is read as assigned to `int`, as it always was)
    assert call_assignments(LINES) == {
        "int": "Pricing.compute",
        "n2": "obj.make_thing",
        "loop": "IOLoop.current",
    }
    assert local_names("def f(a, *rest):", LINES) == {
        "a",
        "rest",
        "total",
        "n2",
        "loop",
        "item",
        "handle",
    }


def test_go_short_declarations() -> None:
    lines = ["srv := &http.Server{Addr: a}", "n := 3", "cfg = Config{}"]
    assert receiver_types("func f(ctx Context)", lines, "go") == {
        "ctx": "Context",
        "srv": "Server",
        "cfg": "Config",
    }
