"""The languages the index understands: grammar wheels, tag queries, bounded parsing.

Grammars come only from the per-language wheels installed with the package (never fetched
at run time). Each language's definition query is the wheel's own `queries/tags.scm` with
its reference patterns disabled (references are collected separately, much faster), joined
with our additions from `lsp_server/index/queries/<id>.scm`. Languages, queries and parsers
are created lazily and cached, so importing this module is cheap.
"""

from __future__ import annotations

import importlib
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal, NamedTuple

import tree_sitter as ts

_QUERY_DIR = Path(__file__).with_name("queries")

#: Parsing a single file may take at most this long before it is abandoned.
DEFAULT_PARSE_TIMEOUT_S = 3.0


#: The languages the index knows (`LanguageSpec.id`, stored as `files.language`).
LanguageId = Literal[
    "python",
    "javascript",
    "typescript",
    "tsx",
    "go",
    "rust",
    "java",
    "c",
    "cpp",
    "csharp",
    "ruby",
    "php",
]


class PatternRole(NamedTuple):
    """What one pattern of a tags query finds, read once from its text so that the
    extractor's per-match loop does no capture-name lookups it can know are futile."""

    capture: str  # the capture whose node is the definition, import or scope
    kind: str  # a definition kind, "import" or "scope"
    checked: bool  # has captures whose text the extractor checks (`@_self`, ...)
    containers: tuple[str, ...]  # the captures naming the container that the pattern has


@dataclass(eq=False)
class LanguageSpec:
    """One language: how to find its grammar and queries, and a few lexical facts."""

    id: LanguageId
    extensions: tuple[str, ...]
    module: str  # grammar wheel module, e.g. "tree_sitter_python"
    function: str  # function in that module returning the language pointer
    tags_from: tuple[str, ...]  # wheel modules whose queries/tags.scm are joined
    line_comment: str
    #: Deepest node at which a definition/import match may start. Deeper nodes are never
    #: visited by the query cursor, which is what makes the query cheap (it is otherwise
    #: dominated by visiting every node of the tree).
    max_depth: int = 10
    #: Name of our own query file in queries/ (default: the id); TSX shares TypeScript's.
    extra_queries: str = ""
    #: per pattern of `tags_query`: what it finds, or None for disabled patterns
    pattern_roles: tuple[PatternRole | None, ...] = ()
    _language: ts.Language | None = field(default=None, repr=False)
    _query: ts.Query | None = field(default=None, repr=False)

    @property
    def language(self) -> ts.Language:
        if self._language is None:
            with _LOCK:
                if self._language is None:
                    module = importlib.import_module(self.module)
                    self._language = ts.Language(getattr(module, self.function)())
        return self._language

    @property
    def tags_query(self) -> ts.Query:
        """Definitions, imports and scopes: shipped tags (minus references) plus ours."""
        if self._query is None:
            with _LOCK:
                if self._query is None:
                    self._query = _build_query(self)
        return self._query


_LOCK = threading.RLock()

SPECS: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        "python",
        (".py", ".pyi", ".pyw"),
        "tree_sitter_python",
        "language",
        ("tree_sitter_python",),
        "#",
        max_depth=7,
    ),
    LanguageSpec(
        "javascript",
        (".js", ".mjs", ".cjs", ".jsx"),
        "tree_sitter_javascript",
        "language",
        ("tree_sitter_javascript",),
        "//",
    ),
    LanguageSpec(
        "typescript",
        (".ts", ".mts", ".cts"),
        "tree_sitter_typescript",
        "language_typescript",
        ("tree_sitter_javascript", "tree_sitter_typescript"),
        "//",
    ),
    LanguageSpec(
        "tsx",
        (".tsx",),
        "tree_sitter_typescript",
        "language_tsx",
        ("tree_sitter_javascript", "tree_sitter_typescript"),
        "//",
        extra_queries="typescript",
    ),
    LanguageSpec("go", (".go",), "tree_sitter_go", "language", ("tree_sitter_go",), "//"),
    LanguageSpec("rust", (".rs",), "tree_sitter_rust", "language", ("tree_sitter_rust",), "//"),
    LanguageSpec("java", (".java",), "tree_sitter_java", "language", ("tree_sitter_java",), "//"),
    LanguageSpec("c", (".c", ".h"), "tree_sitter_c", "language", ("tree_sitter_c",), "//"),
    LanguageSpec(
        "cpp",
        (".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp", ".inl"),
        "tree_sitter_cpp",
        "language",
        ("tree_sitter_cpp",),
        "//",
    ),
    LanguageSpec("csharp", (".cs",), "tree_sitter_c_sharp", "language", (), "//"),
    LanguageSpec(
        "ruby",
        (".rb", ".rake", ".gemspec"),
        "tree_sitter_ruby",
        "language",
        ("tree_sitter_ruby",),
        "#",
    ),
    LanguageSpec(
        "php", (".php", ".phtml"), "tree_sitter_php", "language_php", ("tree_sitter_php",), "//"
    ),
)

_BY_ID: dict[str, LanguageSpec] = {spec.id: spec for spec in SPECS}
_BY_EXT = {ext: spec for spec in SPECS for ext in spec.extensions}
_ALIASES = {"c_sharp": "csharp", "cs": "csharp", "c++": "cpp", "js": "javascript",
            "ts": "typescript", "typescriptreact": "tsx", "javascriptreact": "javascript",
            "py": "python", "rb": "ruby", "rs": "rust"}  # fmt: skip


def language_for_path(path: str | Path) -> LanguageSpec | None:
    """The language of a file, by its extension (case-insensitive); None if not indexed."""
    suffix = PurePosixPath(str(path).replace("\\", "/")).suffix.lower()
    return _BY_EXT.get(suffix)


def language_by_id(language_id: str) -> LanguageSpec | None:
    """The language for an id such as "python" or an LSP languageId such as "typescriptreact"."""
    key = language_id.lower()
    return _BY_ID.get(key) or _BY_ID.get(_ALIASES.get(key, ""))


def _tags_path(module_name: str) -> Path:
    module = importlib.import_module(module_name)
    base = Path(module.__file__ or "").parent
    return base / "queries" / "tags.scm"


_PREDICATE = re.compile(r'\(#[\w-]+[?!](?:[^()"]|"(?:[^"\\]|\\.)*")*\)')


def _build_query(spec: LanguageSpec) -> ts.Query:
    parts: list[str] = []
    for module_name in spec.tags_from:
        path = _tags_path(module_name)
        if path.is_file():
            parts.append(path.read_text(encoding="utf-8"))
    shipped = "\n".join(parts)
    extra_path = _QUERY_DIR / f"{spec.extra_queries or spec.id}.scm"
    extra = extra_path.read_text(encoding="utf-8") if extra_path.is_file() else ""
    # Text predicates (#eq?, #match?, ...) are removed: trees parsed with a progress callback
    # carry no source text, and the extractor applies the few checks it needs itself.
    source = _PREDICATE.sub("", shipped + "\n" + extra)
    query = ts.Query(spec.language, source)
    # Reference patterns are disabled: the set of referenced identifiers is collected by a
    # single lexical scan, which is an order of magnitude cheaper than these matches.
    roles: list[PatternRole | None] = []
    for index in range(query.pattern_count):
        text = source[query.start_byte_for_pattern(index) : query.end_byte_for_pattern(index)]
        match = _ROLE.search(text)
        if match is None:
            query.disable_pattern(index)
            roles.append(None)
            continue
        capture = match.group(1)
        captures = set(_CAPTURE.findall(text))
        containers = tuple(c for c in _CONTAINER_CAPTURES if c in captures)
        checked = not captures.isdisjoint(CHECKED_CAPTURES)
        kind = capture.removeprefix("definition.")
        roles.append(PatternRole(capture, kind, checked, containers))
    spec.pattern_roles = tuple(roles)
    return query


#: The capture that says what a pattern finds: a definition (kind), an import or a scope.
_ROLE = re.compile(r"@(definition\.\w+|import\b|scope\b)")
_CAPTURE = re.compile(r"@([\w.]+)")
#: Captures naming a definition's container, in order of preference.
_CONTAINER_CAPTURES = ("container", "local.scope")
#: Captures whose text the extractor checks (queries carry no text predicates, see above).
CHECKED_CAPTURES: dict[str, frozenset[bytes]] = {
    "_self": frozenset({b"self"}),
    "_req": frozenset({b"require"}),
    "_m": frozenset({b"require", b"require_relative", b"load", b"autoload"}),
}


# ---------------------------------------------------------------------------------------------
# Parsing with a time limit


_PARSERS = threading.local()


def _parser_for(spec: LanguageSpec) -> ts.Parser:
    cache: dict[str, ts.Parser] | None = getattr(_PARSERS, "cache", None)
    if cache is None:
        cache = _PARSERS.cache = {}
    parser = cache.get(spec.id)
    if parser is None:
        parser = cache[spec.id] = ts.Parser(spec.language)
    return parser


_READ_CHUNK = 65_536


class _ReadBuffer(threading.local):
    """Per-thread memory that read callbacks hand to tree-sitter.

    py-tree-sitter 0.26 never releases what a read callback returns; returning slices of the
    document would pin every version of it. Views of one reused buffer pin nothing new (one
    cached view per length, so the leaked references are to objects that live anyway).
    """

    def __init__(self) -> None:
        self.buffer = bytearray(_READ_CHUNK)
        self.view = memoryview(self.buffer)
        self.slices: dict[int, memoryview] = {}

    def serve(self, data: bytes, offset: int) -> memoryview:
        chunk = data[offset : offset + _READ_CHUNK]
        size = len(chunk)
        self.buffer[:size] = chunk
        view = self.slices.get(size)
        if view is None:
            view = self.slices[size] = self.view[:size]
        return view


_READ_BUFFER = _ReadBuffer()


class ParseTimeout(Exception):
    """A file took longer than the parse time limit (pathological input)."""


def parse_bytes(
    data: bytes,
    spec: LanguageSpec,
    old_tree: ts.Tree | None = None,
    timeout_s: float = DEFAULT_PARSE_TIMEOUT_S,
) -> ts.Tree:
    """Parse UTF-8 bytes, giving up (ParseTimeout) after `timeout_s` seconds."""
    parser = _parser_for(spec)
    deadline = time.monotonic() + timeout_s
    buffer = _READ_BUFFER

    def read(offset: int, _point: object) -> memoryview:
        return buffer.serve(data, offset)

    def progress(_offset: int, _has_error: bool) -> bool:
        return time.monotonic() > deadline

    try:
        if old_tree is None:
            tree = parser.parse(read, progress_callback=progress)
        else:
            tree = parser.parse(read, old_tree, progress_callback=progress)
    except ValueError:  # py-tree-sitter reports a cancelled parse as "Parsing failed"
        tree = None
    if tree is None:
        parser.reset()
        raise ParseTimeout(f"parsing took longer than {timeout_s:.1f}s")
    return tree


def parse(text: str, spec: LanguageSpec, timeout_s: float = DEFAULT_PARSE_TIMEOUT_S) -> ts.Tree:
    """Parse text (raises ParseTimeout on pathological input); `node.text` works on the result.

    The time-limited parse goes through a read callback, and py-tree-sitter 0.26 keeps no
    source for such trees (`node.text` and text predicates would crash), so the result is
    re-parsed from bytes with the first tree as the old tree, which reuses every node.
    """
    data = text.encode("utf-8", "surrogatepass")
    first = parse_bytes(data, spec, timeout_s=timeout_s)
    return _parser_for(spec).parse(data, first)


def error_summary(text: str, language_id: str, limit: int = 5) -> list[str]:
    """Human-readable syntax errors ("line 3, column 5: unexpected 'x'"), 1-based positions."""
    spec = language_by_id(language_id)
    if spec is None:
        return []
    data = text.encode("utf-8", "surrogatepass")
    try:
        tree = parse_bytes(data, spec)
    except ParseTimeout as exc:
        return [str(exc)]
    if not tree.root_node.has_error:
        return []
    messages: list[str] = []
    cursor = tree.walk()
    visited_children = False
    while len(messages) < limit:
        node = cursor.node
        if not visited_children and node is not None:
            if node.is_error or node.is_missing:
                row, col = node.start_point
                raw = data[node.start_byte : node.end_byte]
                snippet = raw.decode("utf-8", "replace").strip().splitlines()
                if node.is_missing:
                    what = f"missing {node.type!r}"
                else:
                    what = f"unexpected {snippet[0][:40]!r}" if snippet else "syntax error"
                messages.append(f"line {row + 1}, column {col + 1}: {what}")
                visited_children = True  # do not descend into an error node
                continue
            if node.has_error and cursor.goto_first_child():
                continue
            visited_children = True
            continue
        if cursor.goto_next_sibling():
            visited_children = False
        elif not cursor.goto_parent():
            break
    return messages or ["syntax error"]
