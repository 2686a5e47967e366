"""Symbol extraction from one parsed file: definitions, imports and referenced identifiers.

Runs in worker processes during cold indexing, so results are NamedTuples (as cheap to
pickle and build as plain tuples) rather than dataclasses: `DefRow` and `ImportRow` below,
and `DefSpan`/`ImportSpan` pairing them with the bytes they came from. Containers are derived
from range nesting (a sorted sweep with a stack), docs and signatures from the source text
around each definition; both are much cheaper than walking the tree in Python.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable
from typing import Literal, NamedTuple, TypeAlias, get_args

import tree_sitter as ts

from .languages import CHECKED_CAPTURES, LanguageSpec
from .model import DefKind


class DefRow(NamedTuple):
    """One definition as extracted (a `model.Definition` without its path); 0-based lines,
    columns in code points. Field order is the `defs` table's column order."""

    name: str
    kind: DefKind
    line: int
    column: int
    end_line: int
    end_column: int
    container: str | None
    signature: str
    doc: str | None
    name_line: int
    name_column: int


#: DefRow's fields as a plain tuple.
DefFields: TypeAlias = tuple[
    str, DefKind, int, int, int, int, "str | None", str, "str | None", int, int
]
#: A DefRow from a plain tuple, built in C: a NamedTuple's own constructor is a Python
#: function (about 2x slower), which loops building one row per definition can do without.
def_row_from_tuple: Callable[[DefFields], DefRow] = functools.partial(tuple.__new__, DefRow)


class ImportRow(NamedTuple):
    """One import as written (a `model.Import` before resolution)."""

    module: str
    names: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...]
    line: int


class DefSpan(NamedTuple):
    """A definition with the byte span of its node (for incremental updates)."""

    start_byte: int
    end_byte: int
    row: DefRow


class ImportSpan(NamedTuple):
    """An import with the byte span of its node (for incremental updates)."""

    start_byte: int
    end_byte: int
    row: ImportRow


_NODE_KIND: dict[str, DefKind] = {
    "struct_item": "struct",
    "enum_item": "enum",
    "union_item": "struct",
    "type_item": "type",
    "trait_item": "trait",
    "mod_item": "module",
    "macro_definition": "function",
    "struct_specifier": "struct",
    "union_specifier": "struct",
    "enum_specifier": "enum",
    "type_definition": "type",
    "class_specifier": "class",
    "namespace_definition": "namespace",
    "enum_declaration": "enum",
    "struct_declaration": "struct",
    "record_declaration": "class",
    "trait_declaration": "trait",
    "interface_declaration": "interface",
    "namespace_declaration": "namespace",
    "file_scoped_namespace_declaration": "namespace",
    "type_alias_declaration": "type",
    "singleton_method": "method",
    "internal_module": "namespace",
}
_CAPTURE_KIND = {"macro": "function", "constant": "constant", "module": "module"}
#: Every DefKind by name: what a capture kind maps to when it is a definition kind.
_DEF_KINDS: dict[str, DefKind] = {kind: kind for kind in get_args(DefKind)}
#: Kinds that can contain others; "scope" is a container that is not a definition (impl).
_CLASS_LIKE = frozenset(
    ("class", "interface", "struct", "enum", "trait", "scope", "module", "namespace")
)
_SCOPE_KINDS = _CLASS_LIKE | {"function", "method"}
#: When two patterns tag the same name, the more specific kind wins.
_KIND_PRIORITY = {"variable": 0, "constant": 1, "field": 1, "property": 2, "function": 3}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS_TEXT = (
    "and as assert async await break case catch class const continue def default del do "
    "elif else enum except export extends false finally fn for from func function global "
    "go if impl import in interface is lambda let match mod module mut new nil none None "
    "not null or package pass pub raise return self static struct super switch this throw "
    "True False true try type typeof use var void while with yield"
)
_KEYWORDS = frozenset(_KEYWORDS_TEXT.split())

_NO_BODY = frozenset(("variable", "constant", "field", "property"))
_SIGNATURE_MAX = 600
_DOC_MAX = 300


def referenced_identifiers(text: str) -> frozenset[str]:
    """Identifiers appearing in the text (a lexical scan; keywords dropped)."""
    return frozenset(_IDENT.findall(text)) - _KEYWORDS


def extract_from_tree(
    data: bytes, spec: LanguageSpec, tree: ts.Tree
) -> tuple[list[DefRow], list[ImportRow]]:
    """Definitions and imports of one parsed UTF-8 file."""
    defs, imports = extract_spans(data, spec, tree)
    return [row for _s, _e, row in defs], [row for _s, _e, row in imports]


#: A definition candidate while matches are collected, one per name position:
#: (start_byte, -end_byte, end_byte, node, kind, name, name_node, container). A plain tuple:
#: built once per match, the innermost loop of extraction; its first two fields sort it.
_Found: TypeAlias = (
    "tuple[int, int, int, ts.Node, DefKind | Literal['scope'], str, ts.Node, str | None]"
)
_BY_POSITION = operator.itemgetter(0, 1)


def extract_spans(
    data: bytes,
    spec: LanguageSpec,
    tree: ts.Tree,
    byte_range: tuple[int, int] | None = None,
    top: ts.Node | None = None,
) -> tuple[list[DefSpan], list[ImportSpan]]:
    """Definitions and imports with byte spans; with `byte_range`, those intersecting it
    (which includes every enclosing definition, so containers stay right), plus possibly
    others that the caller filters. `top` (a child of the root that contains the range)
    starts the query below the root, skipping patterns anchored at the root."""
    query = spec.tags_query
    roles = spec.pattern_roles
    cursor = ts.QueryCursor(query)
    cursor.set_max_start_depth(spec.max_depth if top is None else spec.max_depth - 1)
    if byte_range is not None:
        cursor.set_byte_range(*byte_range)
    matches = cursor.matches(tree.root_node if top is None else top)
    found: dict[int, _Found] = {}  # by the name's start byte
    imports: list[ImportSpan] = []
    seen_imports: set[int] = set()
    is_ascii = data.isascii()
    priority = _KIND_PRIORITY
    refine = _refine_kind
    for pattern, caps in matches:
        role = roles[pattern]
        if role is None:
            continue
        capture, role_kind, checked, container_captures = role
        node = caps[capture][0]
        if checked and not _checks_pass(data, caps):
            continue
        if role_kind == "import":
            start = node.start_byte
            if start not in seen_imports:
                seen_imports.add(start)
                src = caps.get("src")
                end = node.end_byte
                for import_row in _import_rows(spec.id, data, node, src[0] if src else None):
                    imports.append(ImportSpan(start, end, import_row))
            continue
        names = caps.get("name")
        if not names:
            continue
        name_node = names[0]
        key = name_node.start_byte
        name = data[key : name_node.end_byte].decode("utf-8", "replace")
        kind: DefKind | Literal["scope"]
        if role_kind == "scope":
            kind = "scope"
            name = _scope_name(name)
        else:
            node_type = node.type
            refined = refine(role_kind, node, node_type, name)
            if refined is None:
                continue
            kind = refined
            if node_type == "function_declarator":
                node = _declaration_of(node)
        container = None
        for container_capture in container_captures:
            container_nodes = caps.get(container_capture)
            if container_nodes:
                cn = container_nodes[0]
                container = data[cn.start_byte : cn.end_byte].decode("utf-8", "replace")
                break
        previous = found.get(key)
        if previous is not None:
            previous_kind = previous[4]
            if priority.get(kind, 9) <= priority.get(previous_kind, 9) and not (
                kind == "method" and previous_kind == "function"
            ):
                if previous[7] is None and container is not None:
                    found[key] = (*previous[:7], container)
                continue
            if container is None:
                container = previous[7]
        end = node.end_byte
        found[key] = (node.start_byte, -end, end, node, kind, name, name_node, container)

    entries = sorted(found.values(), key=_BY_POSITION)
    rows: list[DefSpan] = []
    stack: list[tuple[int, str, DefKind | Literal["scope"]]] = []  # (end_byte, name, kind)
    seen_fields: set[tuple[str | None, str]] = set()
    is_python = spec.id == "python"
    for start, _neg_end, end, node, found_kind, name, name_node, container in entries:
        kind = found_kind
        while stack and stack[-1][0] <= start:
            stack.pop()
        if stack:
            parent_kind = stack[-1][2]
            if container is None:
                if kind == "field":
                    for entry in reversed(stack):
                        if entry[2] in _CLASS_LIKE:
                            container = entry[1]
                            break
                else:
                    container = stack[-1][1]
        else:
            parent_kind = None
        if kind in _SCOPE_KINDS:
            stack.append((end, name, kind))
        if kind == "scope":
            continue
        if kind == "field":
            if container is None and is_python:
                continue  # `self.x = ...` outside a class
            if (container, name) in seen_fields:
                continue
            seen_fields.add((container, name))
        elif kind == "function":
            if parent_kind in _CLASS_LIKE and parent_kind != "namespace":
                kind = "method"
        elif kind == "method" and container is None:
            kind = "function"
        row = _def_row(data, spec, node, name_node, name, kind, container, is_ascii)
        rows.append(DefSpan(start, end, row))
    return rows, imports


def _checks_pass(data: bytes, caps: dict[str, list[ts.Node]]) -> bool:
    for key, allowed in CHECKED_CAPTURES.items():
        nodes = caps.get(key)
        if nodes and data[nodes[0].start_byte : nodes[0].end_byte] not in allowed:
            return False
    return True


def _scope_name(text: str) -> str:
    """`Foo<T>` or `a::Foo` (a Rust impl target) -> `Foo`."""
    text = text.split("<", 1)[0]
    return text.rsplit("::", 1)[-1].strip()


def _refine_kind(kind: str, node: ts.Node, node_type: str, name: str) -> DefKind | None:
    """The definition kind of a match from its capture kind and node; None if not one."""
    node_kind = _NODE_KIND.get(node_type)
    if node_kind is not None and kind not in ("field", "method"):
        kind = node_kind
    elif node_type == "method_declaration":
        kind = "method"
    elif node_type == "type_spec":  # Go
        inner = node.child_by_field_name("type")
        if inner is not None:
            kind = {"struct_type": "struct", "interface_type": "interface"}.get(inner.type, "type")
    else:
        kind = _CAPTURE_KIND.get(kind, kind)
    if kind == "constant" and node_type in ("assignment", "expression_statement"):
        kind = "constant" if name.isupper() else "variable"
    return _DEF_KINDS.get(kind)


def _declaration_of(node: ts.Node) -> ts.Node:
    """C/C++ tags name the declarator; the definition is the enclosing declaration."""
    parent = node.parent
    while parent is not None and parent.type in (
        "pointer_declarator",
        "reference_declarator",
        "function_declarator",
    ):
        parent = parent.parent
    if parent is not None and parent.type in (
        "function_definition",
        "declaration",
        "field_declaration",
        "template_declaration",
    ):
        return parent
    return node


def _column(data: bytes, start_byte: int, column_bytes: int, is_ascii: bool) -> int:
    if is_ascii or column_bytes == 0:
        return column_bytes
    return len(data[start_byte - column_bytes : start_byte].decode("utf-8", "replace"))


def _def_row(
    data: bytes,
    spec: LanguageSpec,
    node: ts.Node,
    name_node: ts.Node,
    name: str,
    kind: DefKind,
    container: str | None,
    is_ascii: bool,
) -> DefRow:
    start = node.start_byte
    end = node.end_byte
    (line, col_b) = node.start_point
    (end_line, end_col_b) = node.end_point
    (name_line, name_col_b) = name_node.start_point
    body = None if kind in _NO_BODY else node.child_by_field_name("body")
    body_start = body.start_byte if body is not None else -1
    if start < body_start <= end:
        header = data[start:body_start]
    else:
        body_start = -1
        nl = data.find(b"\n", start, end)
        header = data[start : nl if nl >= 0 else end]
    signature = header.decode("utf-8", "replace").strip()
    if "\n" in signature:
        signature = _trim_header(signature, spec.line_comment)
    if len(signature) > _SIGNATURE_MAX:
        signature = signature[:_SIGNATURE_MAX] + "…"
    doc = None
    if spec.id != "python":
        doc = _comment_above(data, start - col_b, spec.line_comment)
    elif body_start >= 0:
        doc = _python_docstring(data, body_start)
    if is_ascii:
        col, end_col, name_col = col_b, end_col_b, name_col_b
    else:
        col = _column(data, start, col_b, False)
        end_col = _column(data, end, end_col_b, False)
        name_col = _column(data, name_node.start_byte, name_col_b, False)
    fields: DefFields = (
        name,
        kind,
        line,
        col,
        end_line,
        end_col,
        container,
        signature,
        doc,
        name_line,
        name_col,
    )
    return def_row_from_tuple(fields)


def _trim_header(signature: str, line_comment: str) -> str:
    """Drop comment lines that ended up between a header and its body (Ruby, C++)."""
    lines = signature.split("\n")
    while len(lines) > 1 and lines[-1].lstrip().startswith((line_comment, "/*", "*", "#")):
        lines.pop()
    return "\n".join(lines).rstrip()


_PY_STRING_START = re.compile(rb'[rRuU]?("""|\'\'\'|"|\')')


def _python_docstring(data: bytes, pos: int) -> str | None:
    match = _PY_STRING_START.match(data, pos)
    if match is None:
        return None
    quote = match.group(1)
    pos = match.end()
    close = data.find(quote, pos, pos + 4000)
    limit = close if close >= 0 else pos + 4000
    while pos < limit:  # the first non-blank line, without splitting the whole docstring
        nl = data.find(b"\n", pos, limit)
        line_end = nl if nl >= 0 else limit
        line = data[pos:line_end].strip()
        if line:
            return line.decode("utf-8", "replace")[:_DOC_MAX]
        pos = line_end + 1
    return None


_XML_TAG = re.compile(rb"</?(summary|remarks|returns|para|param[^>]*|typeparam[^>]*)>")


def _comment_above(data: bytes, line_start: int, line_comment: str) -> str | None:
    """First line of the comment block directly above a definition (skipping attributes)."""
    marker = line_comment.encode()
    collected: list[bytes] = []
    pos = line_start
    in_block = False
    for _ in range(60):
        if pos <= 0:
            break
        prev_start = data.rfind(b"\n", 0, pos - 1) + 1
        line = data[prev_start : pos - 1].strip()
        pos = prev_start
        if in_block:
            collected.append(line)
            if line.startswith(b"/*"):
                break
            continue
        if line.startswith(marker) and not line.startswith(b"#!"):
            collected.append(line)
            continue
        if line.endswith(b"*/"):
            collected.append(line)
            if line.startswith(b"/*"):
                break
            in_block = True
            continue
        if not collected and (line.startswith(b"@") or line.startswith(b"#[")):
            continue  # annotations / attributes between the comment and the definition
        break
    for raw in reversed(collected):
        text = raw.strip()
        for prefix in (b"/**", b"/*!", b"/*", b"///", b"//!", b"//", b"*/", b"*", b"#"):
            if text.startswith(prefix):
                text = text[len(prefix) :]
                break
        if text.endswith(b"*/"):
            text = text[:-2]
        if b"<" in text:  # C# XML doc comments: <summary>...</summary>
            text = _XML_TAG.sub(b"", text)
        text = text.strip()
        if text:
            return text.decode("utf-8", "replace")[:_DOC_MAX]
    return None


# ---------------------------------------------------------------------------------------------
# Imports, parsed from the text of each import node


def _text(data: bytes, node: ts.Node) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] in "\"'`<" and text[-1] in "\"'`>":
        return text[1:-1]
    return text


def _split_as(item: str, sep: str = " as ") -> tuple[str, str | None]:
    if sep in item:
        name, alias = item.split(sep, 1)
        return name.strip(), alias.strip()
    return item.strip(), None


def _names_aliases(
    items: Iterable[str], sep: str = " as "
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    names: list[str] = []
    aliases: list[tuple[str, str]] = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        name, alias = _split_as(item, sep)
        names.append(name)
        if alias:
            aliases.append((name, alias))
    return tuple(names), tuple(aliases)


_PY_COMMENT = re.compile(r"#[^\n]*")

#: (module, names, aliases) of one import, as an import parser reads it from the text.
_Parsed: TypeAlias = tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]
#: An import parser: (node text, node, source capture text) -> one import, several, or none.
_ImportParser: TypeAlias = Callable[[str, ts.Node, "str | None"], "_Parsed | list[_Parsed] | None"]


def _import_rows(lang: str, data: bytes, node: ts.Node, src: ts.Node | None) -> list[ImportRow]:
    parser = _IMPORT_PARSERS.get(lang)
    if parser is None:
        return []
    line = node.start_point[0]
    try:
        parsed = parser(_text(data, node), node, _text(data, src) if src is not None else None)
    except (ValueError, IndexError):
        return []
    if parsed is None:
        return []
    if isinstance(parsed, list):
        return [ImportRow(m, n, a, line) for m, n, a in parsed if m]
    module, names, aliases = parsed
    return [ImportRow(module, names, aliases, line)] if module else []


def _py_import(text: str, node: ts.Node, src: str | None) -> _Parsed | list[_Parsed] | None:
    text = _PY_COMMENT.sub("", text).replace("\\\n", " ")
    text = " ".join(text.replace("(", " ").replace(")", " ").split())
    if text.startswith("from "):
        head, _, tail = text[5:].partition(" import ")
        names, aliases = _names_aliases(tail.split(","))
        return head.strip(), names, aliases
    if text.startswith("import "):
        rows: list[_Parsed] = []
        for item in text[7:].split(","):
            name, alias = _split_as(item)
            if name:
                rows.append((name, (), ((name, alias),) if alias else ()))
        return rows
    return None


_JS_CLAUSE = re.compile(r"^\s*(?:import|export)\s+(?:type\s+)?(.*?)\s*from\s*['\"`]", re.S)


def _js_import(text: str, node: ts.Node, src: str | None) -> _Parsed | None:
    if src is None:
        return None
    module = _unquote(src)
    names: list[str] = []
    aliases: list[tuple[str, str]] = []
    if node.type in ("import_statement", "export_statement"):
        match = _JS_CLAUSE.match(text)
        clause = match.group(1) if match else ""
        braces = re.search(r"\{(.*?)\}", clause, re.S)
        if braces:
            n, a = _names_aliases(
                re.sub(r"^\s*type\s+", "", part) for part in braces.group(1).split(",")
            )
            names.extend(n)
            aliases.extend(a)
            clause = clause[: braces.start()] + clause[braces.end() :]
        star = re.search(r"\*\s*(?:as\s+([\w$]+))?", clause)
        if star:
            names.append("*")
            if star.group(1):
                aliases.append(("*", star.group(1)))
            clause = clause[: star.start()] + clause[star.end() :]
        default = clause.strip().strip(",").strip()
        if default and re.fullmatch(r"[\w$]+", default):
            names.insert(0, "default")
            aliases.insert(0, ("default", default))
    return module, tuple(names), tuple(aliases)


_GO_SPEC = re.compile(r'^\s*(?:([\w.]+)\s+)?["`]([^"`]+)["`]')


def _go_import(text: str, node: ts.Node, src: str | None) -> _Parsed | None:
    match = _GO_SPEC.match(text)
    if match is None:
        return None
    alias, path = match.group(1), match.group(2)
    package = path.rsplit("/", 1)[-1]
    return path, (package,), ((package, alias),) if alias else ()


def _rust_import(text: str, node: ts.Node, src: str | None) -> _Parsed | None:
    if node.type == "mod_item":
        return (src or "").strip(), (), ()
    body = re.sub(r"^\s*(pub(\([^)]*\))?\s+)?use\s+", "", text).rstrip().rstrip(";").strip()
    body = " ".join(body.split())
    if "{" in body:
        prefix, _, inner = body.partition("{")
        prefix = prefix.rstrip(":").strip()
        inner = inner.rsplit("}", 1)[0]
        items: list[str] = []
        depth = 0
        current = ""
        for char in inner:
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            if char == "," and depth == 0:
                items.append(current)
                current = ""
            else:
                current += char
        items.append(current)
        flat = [i.strip() for i in items if i.strip() and "{" not in i]
        names, aliases = _names_aliases(flat)
        return prefix, names, aliases
    path, alias = _split_as(body)
    if "::" not in path:
        return path, (), ((path, alias),) if alias else ()
    module, _, last = path.rpartition("::")
    return module, (last,), ((last, alias),) if alias else ()


def _java_import(text: str, node: ts.Node, src: str | None) -> _Parsed | None:
    body = text.strip().removeprefix("import").strip().rstrip(";").strip()
    body = body.removeprefix("static ").strip()
    body = "".join(body.split())
    module, _, last = body.rpartition(".")
    if not module:
        return body, (), ()
    return module, (last,), ()


def _c_import(text: str, node: ts.Node, src: str | None) -> _Parsed | None:
    if src is None:
        return None
    return _unquote(src), (), ()


def _csharp_import(text: str, node: ts.Node, src: str | None) -> _Parsed | None:
    body = text.strip().rstrip(";").strip()
    body = re.sub(r"^(global\s+)?using\s+(static\s+)?", "", body)
    if "=" in body:
        alias, _, target = body.partition("=")
        target = target.strip()
        last = target.rsplit(".", 1)[-1]
        return target, (last,), ((last, alias.strip()),)
    return body.strip(), ("*",), ()


def _ruby_import(text: str, node: ts.Node, src: str | None) -> _Parsed | None:
    if src is None:
        return None
    module = _unquote(src)
    return module, (), ()


_PHP_STRING = re.compile(r"""['"]([^'"]+)['"]""")


def _php_import(text: str, node: ts.Node, src: str | None) -> _Parsed | None:
    if node.type != "namespace_use_declaration":
        strings = _PHP_STRING.findall(text)
        return (strings[-1], (), ()) if strings else None
    body = text.strip().rstrip(";")
    body = re.sub(r"^use\s+(function\s+|const\s+)?", "", body).strip()
    if "{" in body:
        prefix, _, inner = body.partition("{")
        names, aliases = _names_aliases(inner.rstrip("}").split(","))
        return prefix.strip().rstrip("\\"), names, aliases
    items = [i.strip() for i in body.split(",")]
    first, alias = _split_as(items[0])
    module, _, last = first.rpartition("\\")
    names, aliases = _names_aliases(
        [last + (f" as {alias}" if alias else "")] + [i.rpartition("\\")[2] for i in items[1:]]
    )
    return module.lstrip("\\"), names, aliases


_IMPORT_PARSERS: dict[str, _ImportParser] = {
    "python": _py_import,
    "javascript": _js_import,
    "typescript": _js_import,
    "tsx": _js_import,
    "go": _go_import,
    "rust": _rust_import,
    "java": _java_import,
    "c": _c_import,
    "cpp": _c_import,
    "csharp": _csharp_import,
    "ruby": _ruby_import,
    "php": _php_import,
}
