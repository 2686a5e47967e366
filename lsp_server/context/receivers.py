"""What the receiver at the cursor offers, and where in its class hierarchy it lives.

After `stream.` with nothing typed yet, the member that comes next is one of the public
members the receiver's classes offer: most often in the class that holds most of them. A
thin subclass (`IOStream` adding `connect` to a `BaseIOStream` of thirty methods) is not
where a caller's next member most likely is, so each class of the chain is weighted by the
share of the public interface it adds, not only by how far up the chain it is.
"""

from __future__ import annotations

from lsp_server.index.model import Definition

from .view import IndexView

#: Member kinds a caller completes after `recv.` (fields of a class body count too).
API_KINDS = frozenset(("method", "function", "property", "field", "constant", "variable"))
#: The least share a class of the chain keeps, relative to its place in the chain (a class
#: adding nothing public still has its constructor and private helpers).
MIN_CHAIN_SHARE = 0.3


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
    each class weighted by how much of the public interface it adds: the names it defines
    that no class before it in the chain defines, relative to the class adding most."""
    seen: set[str] = set()
    added: list[int] = []
    for cls, _share in chain:
        names = public_members(view, cls) - seen
        seen |= names
        added.append(len(names))
    most = max(added, default=0)
    if most == 0:
        return chain
    return [
        (cls, max(MIN_CHAIN_SHARE * share, count / most))
        for (cls, share), count in zip(chain, added, strict=True)
    ]
