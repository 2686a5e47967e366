"""Go: the cursor in the case list of a type switch (`switch f.Value.(type) {`).

The next case names another type of the same kind as the cases above it: in
`case *durationValue:` ... `case *|`, the likely next types are the other implementations of
the interface being switched on, which a Go type satisfies by its method set. So the
methods every case type above defines tell which types of the package fit (`String`,
`Set`, `Type`: pflag's thirty `*xValue` types), however far away they are defined.
"""

from __future__ import annotations

import re

from lsp_server.index.model import ONLY_MEMBERS, Definition

from .view import IndexView

#: lines read above the cursor looking for the switch
SWITCH_LINES = 120
#: a method more types define than this tells little (and costs a long answer)
MAX_DEFINERS = 400
_TYPE_SWITCH = re.compile(r"\bswitch\b.*\.\(type\)\s*\{\s*$")
_CASE = re.compile(r"^\s*case\s+([^:]*)")
_TYPE_NAME = re.compile(r"^[*\[\]]*([A-Za-z_]\w*)$")


def case_types(lines: list[str]) -> list[str] | None:
    """The unqualified type names the `case` clauses above the cursor (the end of `lines`)
    name in the Go type switch around it, nearest first; None outside a type switch."""
    balance = 0
    named: list[str] = []
    for line in reversed(lines[-SWITCH_LINES:]):
        balance += line.count("{") - line.count("}")
        if balance > 0:  # the block around the cursor opens on this line
            return named if _TYPE_SWITCH.search(line) else None
        if balance == 0:
            case = _CASE.match(line)
            if case is not None:
                for part in case.group(1).split(","):
                    found = _TYPE_NAME.match(part.strip())
                    if found is not None and found.group(1) != "nil":
                        named.append(found.group(1))
    return None


def same_kind_types(view: IndexView, named: list[str], offer: list[Definition]) -> set[str]:
    """The types of `offer` (a package's declarations) that define every method all the
    `named` types define: the other cases the switch most likely lists."""
    common: set[str] | None = None
    for type_name in dict.fromkeys(named):
        defs = [d for d in offer if d.name == type_name and d.kind != "interface"]
        if not defs:
            continue  # an interface, or a type of another package: no method set here
        methods = {m.name for m in view.members(type_name, defs[0].path) if m.kind == "method"}
        common = methods if common is None else common & methods
    if not common:
        return set()
    view.prefetch(dict.fromkeys(common, ONLY_MEMBERS))
    types: set[str] | None = None
    for method in common:
        defs = view.definitions(method, ONLY_MEMBERS)
        if len(defs) > MAX_DEFINERS:
            continue
        definers = {d.container for d in defs if d.container is not None and d.kind == "method"}
        types = definers if types is None else types & definers
    return {d.name for d in offer if types and d.name in types} - set(named)
