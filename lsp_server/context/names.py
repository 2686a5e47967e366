"""Which names the code around the cursor uses, and how close to the cursor.

A lexical scan (no parsing) of the last lines before the cursor and the first lines after
it. Each occurrence adds a weight that decays with its distance in lines; names written
after a dot are counted separately as attribute uses, with their receiver.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_USE = re.compile(r"(\.\s*|::)?([A-Za-z_$][\w$]*)")  # `::`: Rust/C++ paths (`Foo::new`)
_STRING = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")

KEYWORDS = frozenset(
    """False None True and as assert async await break case catch class const continue def
    default del do elif else enum except export extends false finally fn for from func function
    global go if impl implements import in instanceof interface is lambda let match mod module mut
    new nil not null or package pass private protected pub public raise readonly return self
    static struct super switch this throw true try type typeof use var void while with yield
    int str float bool bytes list dict set tuple object string number boolean any unknown never
    undefined len print range isinstance getattr setattr hasattr error byte rune uint int64
    int32 uint8 uint64 float64 make append cap copy delete panic recover chan map defer select
    fallthrough goto println console require exports""".split()  # noqa: SIM905
)


@dataclass
class NameUse:
    """Weights of a name's uses near the cursor (bare and after a dot) and in the file."""

    bare: float = 0.0
    attr: float = 0.0
    count: int = 0
    receivers: dict[str, float] = field(default_factory=dict)


def _decay(distance: int) -> float:
    return 1.0 / (1.0 + distance / 4.0)


def scan_line(line: str, weight: float, out: dict[str, NameUse], receiver_ok: bool = True) -> None:
    line = _STRING.sub('""', line)
    previous: str | None = None
    previous_end = -1
    for match in _USE.finditer(line):
        dotted, name = match.group(1), match.group(2)
        if not dotted and name in KEYWORDS and name not in ("self", "this"):
            previous = None
            continue
        use = out.get(name)
        if use is None:
            use = out[name] = NameUse()
        use.count += 1
        if dotted:
            use.attr += weight
            if receiver_ok and previous is not None and match.start() == previous_end:
                use.receivers[previous] = use.receivers.get(previous, 0.0) + weight
        else:
            use.bare += weight
        previous = name
        previous_end = match.end()


def names_near(
    prefix_lines: list[str], suffix_lines: list[str], before: int = 40, after: int = 6
) -> dict[str, NameUse]:
    """Names used in the last `before` lines of the prefix and the first `after` of the suffix.

    `prefix_lines` ends with the (partial) cursor line.
    """
    out: dict[str, NameUse] = {}
    start = max(0, len(prefix_lines) - before)
    # a window that starts inside a docstring must know it, or its closing quotes would
    # open one and blank the code that follows
    above = "\n".join(prefix_lines[:start])
    inside = (above.count('"""') + above.count("'''")) % 2 == 1
    window = code_lines(prefix_lines[start:], inside)
    for distance in range(len(window)):
        scan_line(window[-1 - distance], _decay(distance), out)
    at_cursor = code_lines_state(prefix_lines[start:], inside)
    for distance, line in enumerate(code_lines(suffix_lines[:after], at_cursor), start=1):
        scan_line(line, 0.5 * _decay(distance), out)
    return out


_TRIPLE = re.compile(r"\"\"\"|'''")
_COMMENT_LINE = re.compile(r"^\s*(?:#|//|/?\*)")


def code_lines_state(lines: list[str], inside: bool = False) -> bool:
    """Whether the end of the lines is inside triple-quoted text (`inside`: at their start)."""
    text = "\n".join(lines)
    return inside != ((text.count('"""') + text.count("'''")) % 2 == 1)


def code_lines(lines: list[str], inside: bool = False) -> list[str]:
    """The lines with docstrings (triple-quoted text) and whole-line comments blanked:
    prose words are not names the code is about to use (`inside`: the first line starts
    inside triple-quoted text)."""
    out: list[str] = []
    for line in lines:
        marks = list(_TRIPLE.finditer(line))
        if not marks:
            out.append("" if inside or _COMMENT_LINE.match(line) else line)
            continue
        kept: list[str] = []
        position = 0
        for mark in marks:
            if not inside:
                kept.append(line[position : mark.start()])
            inside = not inside
            position = mark.end()
        if not inside:
            kept.append(line[position:])
        out.append(" ".join(kept))
    return out


_IDENT = re.compile(r"([A-Za-z_$][\w$]*)")
_CALLED = re.compile(r"([A-Za-z_$][\w$]*)\s*\(")
#: a comment, or a doctest's example (`>>> G = nx.path_graph(4)`): not what the code uses
_EXAMPLE = re.compile(r"[ \t]*(?:>>>|#|//)")


def qualified_uses(
    text: str, qualifier: str, separator: str = ".", calls_only: bool = False
) -> dict[str, int]:
    """How often `text` names each member through `qualifier` (`nx.core_number(`,
    `util::parse`): what a file uses from a module. Its bare words are no such evidence:
    `self.nodes` and `for edges in` do not use networkx's `nodes` and `edges` functions.
    `calls_only`: only `qualifier.name(` counts (Python's optional annotations, `node:
    nodes.Node` all over a file, call nothing). Found with `str.find` (a file's text is
    searched for each of its modules)."""
    counts: Counter[str] = Counter()
    needle = qualifier + separator
    name_at = _CALLED if calls_only else _IDENT
    at = text.find(needle)
    while at >= 0:
        after = at + len(needle)
        name = name_at.match(text, after)
        before = text[at - 1] if at else " "
        if (
            name is not None
            and not (before.isalnum() or before in "_$.")
            and not _EXAMPLE.match(text, text.rfind("\n", 0, at) + 1)
        ):
            counts[name.group(1)] += 1
        at = text.find(needle, after)
    return counts


def names_in(text: str) -> set[str]:
    """All non-keyword identifiers in a piece of text."""
    return {m.group(2) for m in _USE.finditer(text)} - KEYWORDS


_PARAM_TYPE = re.compile(r"([A-Za-z_$][\w$]*)\s*\??:\s*[\"']?(?:[\w$]+\.)*([A-Z][\w$]*)")
_GO_PARAM = re.compile(r"([A-Za-z_]\w*)\s+\*?(?:\w+\.)?([A-Z]\w*)")
#: (`(?<![A-Za-z_$])`: never tried from inside a name, where it cannot match once it did not
#: from the name's start: the same matches, several times faster)
_ASSIGNED = re.compile(
    r"(?<![A-Za-z_$])([A-Za-z_$][\w$]*)\s*(?::\s*[\w$.]+\s*)?=\s*(?:await\s+)?(?:new\s+)?"
    r"(?:[\w$]+\.)*([A-Z][\w$]*)\s*[(<{]"
)
#: `x: Foo = ...`, `self.x: Optional[Foo] = None` (Python): the annotation up to `=` or the end
_ANNOTATED = re.compile(r"^\s*(?:self\.)?([A-Za-z_]\w*)\s*:\s*([^=]+?)\s*(?:=(?!=).*)?$")
#: `x = cast(Foo, y)` / `x = typing.cast("Foo", y)`
_CAST = re.compile(r"([A-Za-z_]\w*)\s*=\s*(?:\w+\.)?cast\(\s*[\"']?([\w.]+)")
#: `x = self.y` / `x = self._y`: x has y's type
_FROM_ATTRIBUTE = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*self\.([A-Za-z_]\w*)\s*$")
#: Generic containers and typing forms: `list[Foo]` is not a `Foo`, `Callable[...]` not a class.
_NOT_CLASSES = frozenset(
    """Any Callable Type ClassVar Final Literal Annotated List Dict Set FrozenSet Tuple
    Iterable Iterator Sequence Mapping MutableMapping MutableSequence Generator AsyncIterator
    AsyncIterable AsyncGenerator Awaitable Coroutine TypeVar TypeAlias Self NoReturn Never
    Protocol Generic Collection Container Deque DefaultDict OrderedDict Counter""".split()  # noqa: SIM905
)


def _split_top(text: str, separator: str) -> list[str]:
    """`a, b[c, d], e` split at the separators outside brackets."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def annotation_class(annotation: str) -> str | None:
    """The class an annotation names, if it names one: `Optional["IOStream"]`,
    `IOStream | None`, `iostream.IOStream`, `Cache[K, V]` -> the class name; `list[Foo]`,
    `int`, `Callable[...]`, `A | B` -> None."""
    text = annotation.strip().strip("\"'").strip()
    while True:
        for wrapper in ("Optional[", "typing.Optional[", "t.Optional[", "Union[", "t.Union["):
            if text.startswith(wrapper) and text.endswith("]"):
                inner = text[len(wrapper) : -1]
                options = [p for p in _split_top(inner, ",") if p.strip() not in ("None", "")]
                text = options[0].strip().strip("\"'") if len(options) == 1 else ""
                break
        else:
            break
    options = [p.strip() for p in _split_top(text, "|") if p.strip() not in ("None", "")]
    if len(options) != 1:
        return None
    name = options[0].strip("\"'").split("[", 1)[0].split("<", 1)[0].strip()
    last = name.rsplit(".", 1)[-1]
    if not re.fullmatch(r"[A-Z]\w*", last) or last in _NOT_CLASSES:
        return None
    return last


def _parameter_list(signature: str) -> str:
    """The text between a signature's parentheses (up to the end if never closed)."""
    start = signature.find("(")
    if start < 0:
        return ""
    depth = 0
    for position in range(start, len(signature)):
        char = signature[position]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return signature[start + 1 : position]
    return signature[start + 1 :]


def parameter_types(signature: str) -> dict[str, str]:
    """Python parameters -> the class their annotation names (`stream: IOStream`)."""
    types: dict[str, str] = {}
    for param in _split_top(_parameter_list(signature), ","):
        name, colon, rest = param.partition(":")
        name = name.strip().lstrip("*")
        if not colon or not name.isidentifier():
            continue
        found = annotation_class(_split_top(rest, "=")[0])
        if found is not None:
            types[name] = found
    return types


def receiver_types(signature: str, lines: list[str], language_id: str) -> dict[str, str]:
    """Variable -> class name, from parameter annotations, annotated variables (Python),
    `x = Foo(...)` and `x = cast(Foo, ...)` assignments."""
    types: dict[str, str] = {}
    if language_id == "python":
        types.update(parameter_types(signature))
    else:
        pattern = _GO_PARAM if language_id == "go" else _PARAM_TYPE
        for match in pattern.finditer(signature):
            types[match.group(1)] = match.group(2)
    for line in lines:
        # (each pattern is tried only on lines with the characters it needs: trying it at
        # every position of every line is most of the cost)
        if "=" in line and ("(" in line or "<" in line or "{" in line):
            for match in _ASSIGNED.finditer(line):
                types[match.group(1)] = match.group(2)
        if language_id == "python":
            _python_line_types(line, types)
        if language_id == "go" and ":=" in line:
            for match in re.finditer(r"([A-Za-z_]\w*)\s*:=\s*&?(?:\w+\.)?([A-Z]\w*)\s*\{", line):
                types[match.group(1)] = match.group(2)
    return types


def _python_line_types(line: str, types: dict[str, str]) -> None:
    annotated = _ANNOTATED.match(line) if ":" in line else None
    if annotated is not None and not line.lstrip().startswith(("def ", "class ", "async ")):
        found = annotation_class(annotated.group(2))
        if found is not None:
            types[annotated.group(1)] = found
    cast = _CAST.search(line) if "cast(" in line else None
    if cast is not None:
        found = annotation_class(cast.group(2))
        if found is not None:
            types[cast.group(1)] = found
    alias = _FROM_ATTRIBUTE.match(line) if "self." in line else None
    if alias is not None and alias.group(2) in types:
        types[alias.group(1)] = types[alias.group(2)]


def attribute_aliases(lines: list[str]) -> dict[str, str]:
    """Locals that hold an attribute (`utils = self.utilities`: utils -> utilities)."""
    return {
        match.group(1): match.group(2)
        for line in lines
        if "self." in line and (match := _FROM_ATTRIBUTE.match(line)) is not None
    }


_CALL_ASSIGNED = re.compile(
    r"(?<![A-Za-z_$])([A-Za-z_$][\w$]*)\s*(?::=|=)\s*(?:await\s+)?((?:[\w$]+\.)*)([a-z_$][\w$]*)\s*\("
)


def call_assignments(lines: list[str]) -> dict[str, str]:
    """Variable -> the call whose result it holds, with the receiver's last name when there
    is one: `x = make_thing(...)` -> "make_thing", `loop = ioloop.IOLoop.current()` ->
    "IOLoop.current", `d = self._build_driver()` -> "self._build_driver"."""
    calls: dict[str, str] = {}
    for line in lines:
        if "=" not in line or "(" not in line:  # what the pattern needs (see receiver_types)
            continue
        for match in _CALL_ASSIGNED.finditer(line):
            receiver = match.group(2).rstrip(".").rsplit(".", 1)[-1]
            function = match.group(3)
            calls[match.group(1)] = f"{receiver}.{function}" if receiver else function
    return calls


_WITH = re.compile(r"^\s*(?:async\s+)?with\s+(.+?):?\s*$")
_ENTERED_CALL = re.compile(r"^(?:await\s+)?((?:[A-Za-z_]\w*\.)*)([A-Za-z_]\w*)\s*\(")


def with_targets(lines: list[str]) -> dict[str, str]:
    """Variable -> the call whose context manager it enters (`with Lock() as lock`: "Lock",
    `async with trio.open_nursery() as nursery`: "trio.open_nursery", the receiver's last
    name kept as in `call_assignments`)."""
    calls: dict[str, str] = {}
    for line in lines:
        match = _WITH.match(line) if "with" in line and " as " in line else None
        if match is None:
            continue
        for item in _split_top(match.group(1), ","):
            expression, as_, target = item.rpartition(" as ")
            call = _ENTERED_CALL.match(expression.strip()) if as_ else None
            if call is None or not target.strip().isidentifier():
                continue
            receiver = call.group(1).rstrip(".").rsplit(".", 1)[-1]
            function = call.group(2)
            calls[target.strip()] = f"{receiver}.{function}" if receiver else function
    return calls


#: What entering a context manager or iterating gives: `AbstractAsyncContextManager[Nursery]`
#: -> Nursery (a context manager class's own `__enter__` usually returns itself).
_ENTERED_WRAPPERS = (
    "AbstractContextManager[",
    "AbstractAsyncContextManager[",
    "ContextManager[",
    "AsyncContextManager[",
    "Iterator[",
    "Generator[",
    "AsyncIterator[",
    "AsyncGenerator[",
)


def entered_class(annotation: str) -> str | None:
    """The class a `with f() as x` binds when `f` returns `annotation`."""
    text = annotation.strip().strip("\"'")
    bare = text.rsplit(".", 1)[-1] if "[" not in text else text.split("[", 1)[0].rsplit(".", 1)[-1]
    for wrapper in _ENTERED_WRAPPERS:
        if bare + "[" == wrapper and text.endswith("]"):
            inner = text[text.index("[") + 1 : -1]
            return annotation_class(_split_top(inner, ",")[0])
    return annotation_class(text)


_PARAM = re.compile(r"[(,]\s*(?:\*{1,2}|\.\.\.)?([A-Za-z_$][\w$]*)")
_ASSIGN_TARGET = re.compile(
    r"^\s*(?:(?:const|let|var)\s+)?([A-Za-z_$][\w$]*)\s*(?::[^=]*)?(?::=|=(?!=))"
    r"|\bfor\s+(?:\(?\s*(?:const|let|var)\s+)?([A-Za-z_$][\w$]*)"
    r"|\bas\s+([A-Za-z_$][\w$]*)\s*:"
)


def local_names(signature: str, lines: list[str]) -> set[str]:
    """Parameters of the enclosing function and variables assigned in the lines."""
    names = {m.group(1) for m in _PARAM.finditer(signature.split("->", 1)[0])}
    for line in lines:
        if "=" not in line and "for" not in line and "as" not in line:  # what it needs
            continue
        for match in _ASSIGN_TARGET.finditer(line):
            names.add(match.group(1) or match.group(2) or match.group(3))
    return names
