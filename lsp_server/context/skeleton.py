"""Compact text for a definition: its header, first doc line and an elided body.

Built from what the index already extracted (signature, doc, members), so producing a
skeleton never reads or parses a file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from lsp_server.index.model import Definition

CLASS_KINDS = frozenset(("class", "interface", "struct", "enum", "trait", "type", "namespace"))
CALLABLE_KINDS = frozenset(("function", "method"))
#: Members listed in a class skeleton before it is cut short.
MAX_MEMBERS = 24


def _python(language_id: str | None) -> bool:
    return language_id in (None, "python")


def _doc_line(doc: str | None, language_id: str | None, comment: str, indent: str) -> str:
    if not doc:
        return ""
    if _python(language_id):
        return f'{indent}"""{doc.replace(chr(34) * 3, "")}"""\n'
    return f"{indent}{comment} {doc}\n"


#: A member's signature in a class skeleton is folded onto one line and cut at this length.
MEMBER_SIG_MAX = 160


def clean_signature(signature: str) -> str:
    """The header without comment lines that precede the body (the index keeps them)."""
    lines = signature.strip().split("\n")
    while len(lines) > 1 and lines[-1].strip().startswith(("#", "//", "/*", "*")):
        lines.pop()
    return "\n".join(lines).rstrip()


def is_type_alias(kind: str, signature: str) -> bool:
    """`type Item = I::Item;`, `type Option<A> = None<A> | Some<A>`: a name for another
    type, with no members of its own. A class skeleton of it would open a block under the
    alias and list the members of whatever else shares its name (a TS namespace). Only a
    `type` declaration can be one (a class header's comment may hold `disable=...`)."""
    if kind != "type":
        return False
    depth = 0
    for i, char in enumerate(signature):
        if char in "<([{":
            depth += 1
        elif char in ">)]}":
            depth -= 1
        elif char == "=" and depth == 0 and signature[i + 1 : i + 2] != ">":
            return not signature[i + 1 :].lstrip().startswith("{")
    return False


def is_class(definition: Definition) -> bool:
    """A definition shown as a class: a block of members (a type alias is one line)."""
    return definition.kind in CLASS_KINDS and not is_type_alias(
        definition.kind, definition.signature
    )


def _has_body(definition: Definition) -> bool:
    """A function or a class: its body is elided (`...`, `{ … }`) when shown."""
    return definition.kind in CALLABLE_KINDS or is_class(definition)


def _whole_python_line(definition: Definition, language_id: str | None) -> bool:
    """A Python definition whose signature is its whole one-line source, body included
    (`source.SourceLines.with_header`): shown as it is, nothing to elide."""
    return (
        _python(language_id)
        and definition.line == definition.end_line
        and not code_part(definition.signature).rstrip().endswith(":")
    )


#: A line comment after code: `):  # pylint: disable=...`, `{ // legacy`.
_LINE_COMMENT = re.compile(r"\s+(?:#|//)\s.*$")


def code_part(line: str) -> str:
    """`line` less its trailing comment (kept when the marker may be inside a string: an
    odd number of quotes before it)."""
    found = _LINE_COMMENT.search(line)
    if found is None:
        return line
    before = line[: found.start()]
    if before.count('"') % 2 or before.count("'") % 2:
        return line
    return before


@functools.lru_cache(maxsize=8192)
def fold(signature: str, limit: int = MEMBER_SIG_MAX) -> str:
    """A multi-line header on one line (`def f(\n    a,\n)` -> `def f(a,)`), cut to `limit`.
    A header with a comment before its last line stays as written: folded, the comment
    would swallow the rest (`def get(  # type: ignore` + `self, key)`)."""
    lines = clean_signature(signature).split("\n")
    if any(code_part(line) != line for line in lines[:-1]):
        return "\n".join(lines)
    out = lines[0].rstrip()
    for line in lines[1:]:
        piece = line.strip()
        if not piece:
            continue
        joiner = "" if out.endswith(("(", "[", "{")) or piece.startswith((")", "]", "}")) else " "
        out += joiner + piece
    if len(out) > limit:
        tail = ":" if out.endswith(":") else ""
        out = out[: limit - 2].rstrip() + "…" + tail
    return out


def _sig(definition: Definition, indent: str) -> str:
    """The signature as in the source: first line re-indented, later lines kept."""
    return indent + clean_signature(definition.signature)


def _elide(sig: str, language_id: str | None) -> str:
    if _python(language_id):
        return sig + (" ..." if sig.endswith(":") else "")
    if sig.endswith("{"):
        return sig + " … }"
    if sig.endswith((";", ",", "=", "(", "[")) or "=>" in sig:
        return sig
    return sig + " { … }"


def definition_text(
    definition: Definition, language_id: str | None, comment: str, indent: str = ""
) -> str:
    """A function/method/variable: signature, doc line, elided body."""
    sig = _sig(definition, indent)
    if _python(language_id):
        if _has_body(definition) and not _whole_python_line(definition, language_id):
            body_indent = indent + "    "
            doc = _doc_line(definition.doc, language_id, comment, body_indent)
            return f"{sig}\n{doc}{body_indent}...\n"
        return sig + "\n"
    doc = _doc_line(definition.doc, language_id, comment, indent)
    if _has_body(definition):
        return f"{doc}{_elide(sig, language_id)}\n"
    return f"{doc}{sig}\n"


def container_open(cls: Definition | None, name: str, language_id: str | None) -> str:
    """The line that opens a class around its members (a made-up one if the class is unknown)."""
    if cls is not None:
        sig = fold(cls.signature, 400)
        code = code_part(sig).rstrip()  # `class A(B):  # pylint: ...` opens already
        if _python(language_id):
            return sig + ("" if code.endswith(":") else ":") + "\n"
        return sig + ("" if code.endswith("{") else " {") + "\n"
    if _python(language_id):
        return f"class {name}:\n"
    return f"class {name} {{\n"


def container_close(language_id: str | None) -> str:
    return "" if _python(language_id) else "}\n"


def member_line(member: Definition, language_id: str | None, comment: str) -> str:
    """One member in a class skeleton: its elided signature on (mostly) one line."""
    indent = "    " if _python(language_id) else "  "
    sig = indent + fold(member.signature)
    if member.kind in CALLABLE_KINDS:
        return _elide(sig, language_id) + "\n"
    return sig + "\n"


def class_skeleton(
    cls: Definition,
    members: Iterable[Definition],
    language_id: str | None,
    comment: str,
    max_members: int = MAX_MEMBERS,
    hot: frozenset[str] = frozenset(),
) -> str:
    """A class header, its doc line and the signatures of its members, bodies elided."""
    python = _python(language_id)
    if _whole_python_line(cls, language_id):
        return fold(cls.signature, 400) + "\n"  # `class Missing(KeyError): pass`
    inner = "    " if python else "  "
    parts = [container_open(cls, cls.name, language_id)]
    if cls.doc:
        parts.append(_doc_line(cls.doc, language_id, comment, inner))
    latest: dict[str, Definition] = {}
    for member in members:  # overloads: the last one (the implementation) stands for all
        if member.name not in latest or member.line > latest[member.name].line:
            latest[member.name] = member
    ordered = sorted(latest.values(), key=lambda m: (m.name not in hot, *_member_order(m)))
    shown = 0
    for member in ordered:
        if shown >= max_members:
            parts.append(f"{inner}{comment} …\n" if not python else f"{inner}...\n")
            break
        parts.append(member_line(member, language_id, comment))
        shown += 1
    if python and shown == 0 and not cls.doc:
        parts.append(f"{inner}...\n")
    parts.append(container_close(language_id))
    return "".join(parts)


def _member_order(member: Definition) -> tuple[int, int]:
    name = member.name
    if name in ("__init__", "constructor", "new"):
        rank = 0
    elif member.kind not in CALLABLE_KINDS:
        rank = 4 if member.signature.lstrip().startswith(("self.", "this.")) else 2
    elif name.startswith("__") and name.endswith("__"):
        rank = 3
    elif name.startswith("_") or name.startswith("#"):
        rank = 2
    else:
        rank = 1
    return (rank, member.line)


def compact_text(definition: Definition, language_id: str | None, indent: str = "") -> str:
    """One line: the folded header with an elided body (`def f(a, b): ...`)."""
    sig = indent + fold(definition.signature)
    if _has_body(definition):
        return _elide(sig, language_id) + "\n"
    return sig + "\n"
