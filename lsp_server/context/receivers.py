"""What the receiver at the cursor offers, and where in its class hierarchy it lives.

After `stream.` with nothing typed yet, the member that comes next is one of the public
members the receiver's classes offer: most often in the class that holds most of them. A
thin subclass (`IOStream` adding `connect` to a `BaseIOStream` of thirty methods) is not
where a caller's next member most likely is, so each class of the chain is weighted by the
share of the public interface it adds, not only by how far up the chain it is.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from lsp_server.index.model import CONTAINED, NOT_MEMBERS, ONLY_MEMBERS, Definition

from .names import annotation_class, parameter_types, receiver_types
from .skeleton import CLASS_KINDS
from .view import IndexView

if TYPE_CHECKING:
    from .gather import Gatherer

#: `self.x = param` or `self.x = param.method(...)` (a parameter's type, or what one of its
#: methods returns: `self.stream = environment._tokenize(source)`)
_SELF_FROM_NAME = re.compile(r"^self\.(\w+)\s*=\s*(\w+)(?:\s*\.\s*(\w+)\s*\(.*)?$", re.S)
#: `self.stream.io_loop.` / `rhs.head.pa` at the end of the cursor line: the chain of names
#: before the last dot (two or more: a single receiver is read by the caller)
_CHAIN_AT_CURSOR = re.compile(r"(?<![\w$.])((?:[A-Za-z_]\w*\s*\.\s*){2,})\w*$")
#: Members whose declared return type is what reading them gives (`@property def screen(self)
#: -> Screen`: the index does not keep decorators, and a method read in a chain with no call,
#: `self.screen.`, is most likely a property).
_PROPERTY_KINDS = ("property", "method")

#: Member kinds a caller completes after `recv.` (fields of a class body count too).
API_KINDS = frozenset(("method", "function", "property", "field", "constant", "variable"))
#: The least share a class of the chain keeps, relative to its place in the chain (a class
#: adding nothing public still has its constructor and private helpers).
MIN_CHAIN_SHARE = 0.3
#: A receiver known by its members: at most this many of the names used on it are looked
#: up, and a name more than `TELLING_DEFS` classes define (`get`, `name`) tells nothing.
USED_NAMES = 8
TELLING_DEFS = 30


def public_members(view: IndexView, cls: Definition) -> set[str]:
    """The public member names a class defines itself (not `_private`, not `__dunder__`,
    not `self.x = ...` attributes, which the class's methods assign for themselves)."""
    return {
        m.name
        for m in view.members(cls.name, cls.path)
        if m.kind in API_KINDS
        and not m.name.startswith("_")
        and not m.signature.lstrip().startswith(("self.", "this."))
    }


def api_shares(
    view: IndexView, chain: list[tuple[Definition, float]]
) -> list[tuple[Definition, float]]:
    """`chain` (a class and its bases, most derived first, with their weights by place) with
    each class weighted by how much of the public interface it introduces: the names it
    defines that no class after it (a base) defines, relative to the class introducing most
    (a subclass implementing `handle_stream` does not make it its own interface)."""
    seen: set[str] = set()
    added: list[int] = []
    for cls, _share in reversed(chain):  # a name counts for the class that introduces it
        names = public_members(view, cls) - seen
        seen |= names
        added.append(len(names))
    added.reverse()
    most = max(added, default=0)
    if most == 0:
        return chain
    return [
        (cls, max(MIN_CHAIN_SHARE * share, count / most))
        for (cls, share), count in zip(chain, added, strict=True)
    ]


def classes_by_members(view: IndexView, used: dict[str, int]) -> list[Definition]:
    """The classes a receiver of unknown type most likely is, by the members the file uses
    on it (`used`): `G.neighbors(u)`, `G.nodes` on an untyped parameter `G` name the class
    that defines them (`Graph`), duck typing's own evidence. At most two classes, each
    defining at least two of the telling names and half of them; none when no class stands
    out."""
    names = sorted((n for n in used if not n.startswith("__")), key=lambda n: (-used[n], n))
    names = names[:USED_NAMES]
    counts = view.member_counts(names)
    telling = [n for n in names if 0 < counts[n] <= TELLING_DEFS]
    if len(telling) < 2:
        return []
    view.prefetch(dict.fromkeys(telling, ONLY_MEMBERS))
    cover: Counter[tuple[str, str]] = Counter()
    for name in telling:  # definitions come in canonical order: ties break the same way
        defs = view.definitions(name, ONLY_MEMBERS)
        cover.update(list(dict.fromkeys((d.container, d.path) for d in defs if d.container)))
    best = max(cover.values(), default=0)
    if best < 2 or 2 * best < len(telling):
        return []
    found: list[Definition] = []
    for (container, path), covered in cover.most_common():
        if covered < best or len(found) == 2:
            break
        found.extend(d for d in view.named_in(container, path) if d.kind in CLASS_KINDS)
    return found[:2]


_FIELD_KINDS = ("field", "property", "variable")


def class_fields(view: IndexView, cls: Definition, names: set[str]) -> list[Definition]:
    """The attributes named `names` that a class defines or assigns (`x: int = 0`,
    `self.x = ...`): from the edited file's definitions, or looked up by name for a class
    of another file (reading a big base's whole file costs more)."""
    if cls.path == view.current:
        found = view.file_definitions(cls.path)
    else:
        view.prefetch(dict.fromkeys(names, CONTAINED))
        found = [d for name in sorted(names) for d in view.definitions(name, CONTAINED)]
    return [
        d
        for d in found
        if d.container == cls.name
        and d.path == cls.path
        and d.kind in _FIELD_KINDS
        and d.name in names
    ]


def attribute_types(
    view: IndexView, classes: list[Definition], lang: str, wanted: set[str]
) -> dict[str, str]:
    """Attribute -> class name for the `wanted` attributes of `classes` (the first class
    wins): from their annotations, `self.x = Foo(...)`, and `self.x = param` where the
    method that assigns it annotates `param` (`def __init__(self, stream: IOStream)`)."""
    types: dict[str, str] = {}
    for cls in classes:
        fields = class_fields(view, cls, wanted - types.keys())
        if not fields:
            continue
        found = receiver_types("", [d.signature for d in fields], lang)
        if lang == "python" and any(_SELF_FROM_NAME.match(d.signature) for d in fields):
            found.update(_types_from_parameters(view, cls, fields))
        for name, type_name in found.items():
            types.setdefault(name, type_name)
    return types


def _types_from_parameters(
    view: IndexView, cls: Definition, fields: list[Definition]
) -> dict[str, str]:
    methods = [
        d for d in view.file_definitions(cls.path) if d.container == cls.name and d.kind == "method"
    ]
    types: dict[str, str] = {}
    for field in fields:
        assigned = _SELF_FROM_NAME.match(field.signature)
        if assigned is None:
            continue
        for method in methods:
            if method.line <= field.line <= method.end_line:
                type_name = parameter_types(method.signature).get(assigned.group(2))
                if type_name is not None and assigned.group(3):
                    type_name = _method_returns(view, type_name, assigned.group(3))
                if type_name is not None:
                    types.setdefault(assigned.group(1), type_name)
                break
    return types


def chain_at_cursor(line: str) -> list[str]:
    """`x = self.stream.io_loop.` -> ["self", "stream", "io_loop"]; [] when the receiver at
    the cursor is a single name (or follows a call: `f().x.`)."""
    match = _CHAIN_AT_CURSOR.search(line)
    if match is None:
        return []
    return [part.strip() for part in match.group(1).split(".") if part.strip()]


def member_type(view: IndexView, classes: list[Definition], name: str, lang: str) -> str | None:
    """The class an attribute or property `name` of `classes` (a class and its bases, the
    first that has it wins) holds: its annotation, `self.x = Foo()`, `self.x = param` with
    `param: Foo`, or a property's declared return type."""
    found = attribute_types(view, classes, lang, {name}).get(name)
    if lang != "python":
        return found
    if found is not None:
        return _through_descriptor(view, found)
    for cls in classes:
        for member in view.members(cls.name, cls.path):
            if member.name == name and member.kind in _PROPERTY_KINDS:
                return _return_class(member)
    return None


def _class_member(
    view: IndexView, type_name: str, name: str, kinds: tuple[str, ...] = ()
) -> Definition | None:
    """The first member `name` (of one of `kinds`, if given) of a class named `type_name`."""
    for cls in view.definitions(type_name, NOT_MEMBERS):
        if cls.kind != "class":
            continue
        for member in view.members(cls.name, cls.path):
            if member.name == name and (not kinds or member.kind in kinds):
                return member
    return None


def _method_returns(view: IndexView, type_name: str, name: str) -> str | None:
    """The class that method `name` of class `type_name` declares it returns."""
    method = _class_member(view, type_name, name, ("method",))
    return _return_class(method) if method is not None else None


def _return_class(member: Definition) -> str | None:
    arrow = member.signature.rfind("->")
    if arrow < 0:
        return None
    return annotation_class(member.signature[arrow + 2 :].rstrip().removesuffix(":"))


def _through_descriptor(view: IndexView, type_name: str) -> str | None:
    """What reading an attribute holding a `type_name` gives: the return type of its
    `__get__` when the class is a descriptor (`background = ColorProperty(...)` reads as a
    `Color`; None if it does not say), else the class itself."""
    getter = _class_member(view, type_name, "__get__")
    return _return_class(getter) if getter is not None else type_name


def chain_type(
    gatherer: Gatherer,
    chain: list[str],
    enclosing: list[Definition],
) -> str | None:
    """The class of the last name of `chain` (`self.stream.io_loop`: what `io_loop` of the
    class of `self.stream` holds), following each attribute through the class the previous
    one holds and its bases; None when a link is unknown. `enclosing`: the class around the
    cursor and its bases (what `self` is)."""
    first, *attributes = chain
    if first in ("self", "cls"):
        classes = list(enclosing)
    else:
        type_name = gatherer.receiver_types.get(first)
        if type_name is None:
            return None
        classes = [c for c, _ in gatherer.with_bases(gatherer.type_classes(type_name))]
    found: str | None = None
    for attribute in attributes:
        if not classes:
            return None
        found = member_type(gatherer.view, classes, attribute, gatherer.language_id)
        if found is None:
            return None
        classes = [c for c, _ in gatherer.with_bases(gatherer.type_classes(found))]
    return found


#: A parameter's type in a docstring: `name (Type): ...` (Google), `:type name: Type`
#: (Sphinx), `name: :class:`~pkg.Type` ...` / `name : Type` (NumPy and the like).
_DOC_PARAM = (
    re.compile(r"^\s*\*{0,2}(\w+)\s*\(([^)]*)\)\s*:"),
    re.compile(r"^\s*:type\s+(\w+)\s*:\s*(.+)$"),
    re.compile(r"^\s*(\w+)\s*:\s*(.+)$"),
)
_DOC_TYPE = re.compile(r"^(?::class:)?`?~?([\w.]+(?:\[[^\]]*\])?)`?(?:\s+(?:instance|object))?\.?$")
DOC_LINES = 80  # a function's docstring is read this far below its header


def docstring_types(signature: str, lines: list[str]) -> dict[str, str]:
    """Parameters the signature leaves unannotated -> the class the function's docstring
    gives them (`stack: :class:`~sqlparse.filters.FilterStack` instance`, `signer
    (google.auth.crypt.Signer): ...`, `:type path: Path`): untyped code often documents
    them. `lines`: the function's lines from its header on."""
    annotated = parameter_types(signature)
    wanted = {p for p in _parameters(signature) if p not in annotated}
    types: dict[str, str] = {}
    inside = False
    for line in lines[1:DOC_LINES]:
        quotes = line.count('"""') + line.count("'''")
        if not inside and not quotes:
            if line.strip():
                break  # code before any docstring: none
            continue
        if quotes % 2 == 1:
            if inside:
                break
            inside = True
        for pattern in _DOC_PARAM:
            match = pattern.match(line)
            if match is None or match.group(1) not in wanted:
                continue
            text = match.group(2).strip()
            named = _DOC_TYPE.match(text)
            found = annotation_class(named.group(1)) if named is not None else None
            if found is not None:
                types.setdefault(match.group(1), found)
            break
    return types


def _parameters(signature: str) -> list[str]:
    """The parameter names of a Python signature (not self/cls)."""
    start = signature.find("(")
    end = signature.rfind(")")
    if start < 0 or end < start:
        return []
    names = []
    for part in signature[start + 1 : end].split(","):
        name = part.split(":", 1)[0].split("=", 1)[0].strip().lstrip("*")
        if name.isidentifier() and name not in ("self", "cls"):
            names.append(name)
    return names


_CLS_FIRST = re.compile(r"^\s*(?:async\s+)?def\s+\w+\s*\(\s*cls\s*[,)]")


def alternate_constructor(definition: Definition, receiver: str) -> str | None:
    """`Credentials.from_signing_credentials(...)`: a classmethod called on its own class
    that declares no return type most often builds an instance of it (`from_*`, `create`);
    the class, or None."""
    if (
        definition.container is None
        or definition.container != receiver
        or "->" in definition.signature
        or not _CLS_FIRST.match(definition.signature)
    ):
        return None
    return definition.container
