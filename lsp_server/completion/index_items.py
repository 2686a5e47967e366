"""Completions from the index alone: what works with no endpoint, and what merges with AI.

Names come from the current file, the files it imports, then the whole repository; after a
`.`, members of the class the receiver names (or of the enclosing class for self/this).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsp_server.context.members import class_members, module_members
from lsp_server.index.languages import language_for_path
from lsp_server.index.model import Definition
from lsp_server.index.pymodules import PY_EXTS, exported, modules_for

if TYPE_CHECKING:
    from lsp_server.index.repo_index import RepoIndex
    from lsp_server.session import Session

_WORD_BEFORE = re.compile(r"[A-Za-z_$][\w$]*$")
_RECEIVER = re.compile(r"([A-Za-z_$][\w$]*)\s*(?:\.|->|::)\s*([A-Za-z_$][\w$]*)?$")
_SELF_NAMES = frozenset({"self", "this", "cls", "@"})
_CALLABLE = frozenset({"function", "method"})
_CLASSES = frozenset({"class", "struct", "enum", "interface"})


@dataclass(frozen=True)
class IndexItem:
    label: str
    kind: str
    detail: str  # signature
    doc: str | None
    path: str
    replace_start: int  # offset where the word being completed starts


def word_before(text: str, offset: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    match = _WORD_BEFORE.search(text[line_start:offset])
    return match.group(0) if match else ""


def _enclosing_class(definitions: list[Definition], line: int) -> Definition | None:
    best: Definition | None = None
    for d in definitions:
        is_class = d.kind in ("class", "struct", "interface", "trait")
        if is_class and d.line <= line <= d.end_line and (best is None or d.line >= best.line):
            best = d
    return best


def _member_candidates(
    session: Session, path: Path, text: str, offset: int, receiver: str
) -> list[Definition] | None:
    index = session.index_for(path)
    if index is None:
        return None
    if receiver in _SELF_NAMES:
        line = text.count("\n", 0, offset)
        container = _enclosing_class(index.file_definitions(path), line)
        rel = index.relative(path)
        spec = language_for_path(path)
        if container is None or rel is None or spec is None:
            return []
        # its own members and those its bases define (`self.post_message` four levels up)
        return class_members(index, rel, spec.id, [container])
    if path.suffix in PY_EXTS:
        bound = _python_receiver(index, path, receiver)
        if bound is not None:
            return bound
    else:
        module = _module_receiver(index, path, text, offset, receiver)
        if module is not None:
            return module
    classes = [d for d in index.definitions(receiver) if d.kind in ("class", "struct", "enum")]
    if classes:
        return index.members(receiver)
    for imp in index.imports_of(path):
        aliases = dict(imp.aliases)
        if imp.resolved and receiver in (imp.module.split(".")[-1], *aliases.values()):
            return index.file_definitions(imp.resolved)
    return None


def _python_receiver(index: RepoIndex, path: Path, receiver: str) -> list[Definition] | None:
    """What `receiver.` offers when an import of this file binds `receiver`: a module's
    top-level names (`from pkg import nodes` -> `nodes.section`, not some class's
    methods), or the members of an imported class."""
    rel = index.relative(path)
    if rel is None:
        return None
    modules = modules_for(index.files())
    for binding in reversed(modules.bindings(rel, index.imports_of(path))):
        if binding.local != receiver and binding.local.rsplit(".", 1)[-1] != receiver:
            continue
        if binding.member is None:
            found = exported(binding.file, modules, index.file_definitions, index.imports_of)
            return sorted(found, key=lambda d: d.name.startswith("_"))
        if binding.member != "*":
            classes = [
                d
                for d in index.definitions(binding.member)
                if d.path == binding.file and d.container is None and d.kind in _CLASSES
            ]
            if classes:
                return [m for m in index.members(binding.member) if m.path == binding.file]
    return None


def _module_receiver(
    index: RepoIndex, path: Path, text: str, offset: int, receiver: str
) -> list[Definition] | None:
    """What `util.` / `ns.` / `geometry::` offers when `receiver` names a module (a Go
    package's every file, a JS barrel's re-exports, a Rust module): the context's answer."""
    rel = index.relative(path)
    spec = language_for_path(path)
    if rel is None or spec is None:
        return None
    lines = text[:offset].split("\n")
    return module_members(index, rel, spec.id, lines, receiver, word_before(text, offset))


def _name_candidates(session: Session, path: Path, prefix: str, limit: int) -> list[Definition]:
    index = session.index_for(path)
    if index is None or not prefix:
        return []
    local = [d for d in index.file_definitions(path) if d.name.startswith(prefix)]
    imported: list[Definition] = []
    for imp in index.imports_of(path):
        if imp.resolved:
            imported.extend(
                d for d in index.file_definitions(imp.resolved) if d.name.startswith(prefix)
            )
    found = [d for d in index.search(prefix, limit=limit * 2) if d.name.startswith(prefix)]
    return local + imported + found


def index_items(
    session: Session, path: Path | None, text: str, offset: int, limit: int = 50
) -> list[IndexItem]:
    """Index-based completion items at the cursor, best first, one per name."""
    if path is None:
        return []
    prefix = word_before(text, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    receiver = _RECEIVER.search(text[line_start:offset])
    candidates: list[Definition] | None = None
    if receiver:
        candidates = _member_candidates(session, path, text, offset, receiver.group(1))
        if candidates is not None:
            candidates = [d for d in candidates if d.name.startswith(prefix)]
    if candidates is None:
        candidates = _name_candidates(session, path, prefix, limit)
    items: dict[str, IndexItem] = {}
    for d in candidates:
        if d.name == prefix or d.name in items:
            continue
        items[d.name] = IndexItem(d.name, d.kind, d.signature, d.doc, d.path, offset - len(prefix))
        if len(items) >= limit:
            break
    return list(items.values())


def inline_from_index(session: Session, path: Path | None, text: str, offset: int) -> str | None:
    """Ghost text without an endpoint: the rest of the best matching name, call parens."""
    prefix = word_before(text, offset)
    if len(prefix) < 2 and not text[:offset].endswith("."):
        return None
    items = index_items(session, path, text, offset, limit=1)
    if not items:
        return None
    best = items[0]
    rest = best.label[len(prefix) :]
    if best.kind in _CALLABLE and text[offset : offset + 1] != "(":
        rest += "("
    return rest or None
