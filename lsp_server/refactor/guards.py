"""Each action keeps its promise: "Add docstring" only documents, "Add type annotations"
only annotates, "Simplify" and "Fix" keep the definitions' names and signatures.

A model asked for a docstring sometimes answers with something else altogether (a class
stub in place of the method). The check is on the parsed code, not on the text: the code's
tokens with documentation removed, the tree with annotations removed, the list of
definitions with their parameters. What fails is described so the model (on the retry) and
the user (on refusal) learn what the answer tried to change.
"""

from __future__ import annotations

import ast
import difflib
import warnings
from collections.abc import Callable, Iterator

import tree_sitter as ts

from lsp_server.index.languages import ParseTimeout, language_by_id, parse
from lsp_server.refactor.actions import DOCSTRING, FIX, SIMPLIFY, TYPES
from lsp_server.refactor.syntax import DEFINITION

_TS_ANNOTATIONS = {
    "type_annotation",
    "opt_type_annotation",
    "type_parameters",
    "type_arguments",
    "asserts_annotation",
    "type_predicate_annotation",
    "omitting_type_annotation",
}
#: Tokens that only introduce an annotation (`x: i32`, `-> u16`).
_ANNOTATION_PUNCTUATION = {":", "->"}
_TYPING_MODULES = {"typing", "typing_extensions", "collections.abc", "__future__", "types"}


def promise_problems(
    action: str, before: str, after: str, language_id: str, allowed_lines: frozenset[int]
) -> list[str]:
    """What the answer changed that its action may not (empty: it kept the promise).

    `allowed_lines` (1-based, in `before`) are lines a Fix was asked about: a definition
    whose header is on one of them may change its signature.
    """
    if before == after:
        return []
    if action == DOCSTRING:
        return _only_documentation(before, after, language_id)
    if action == TYPES:
        return _only_annotations(before, after, language_id)
    if action in (SIMPLIFY, FIX):
        return _same_definitions(before, after, language_id, allowed_lines)
    return []


# -- documentation -------------------------------------------------------------------------


def _only_documentation(before: str, after: str, language_id: str) -> list[str]:
    if language_id == "python":
        old, new = _python_dump(before, _strip_docstrings), _python_dump(after, _strip_docstrings)
        if old is not None and new is not None:
            if old == new:
                return []
            what = "changes code, not only documentation"
            return [_token_difference(what, _lines(old), _lines(new))]
    old_tokens = _tokens(before, language_id, _is_documentation)
    new_tokens = _tokens(after, language_id, _is_documentation)
    if old_tokens is None or new_tokens is None or old_tokens == new_tokens:
        return []
    return [_token_difference("changes code, not only documentation", old_tokens, new_tokens)]


def _strip_docstrings(tree: ast.Module) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            node.body = [  # type: ignore[attr-defined]
                s
                for s in body
                if not (
                    isinstance(s, ast.Expr)
                    and isinstance(s.value, ast.Constant)
                    and isinstance(s.value.value, str)
                )
            ]
    return tree


def _is_documentation(node: ts.Node) -> bool:
    if "comment" in node.type:
        return True
    return (
        node.type == "expression_statement"
        and node.named_child_count == 1
        and node.named_children[0].type in ("string", "concatenated_string")
    )


# -- annotations ---------------------------------------------------------------------------


class _StripAnnotations(ast.NodeTransformer):
    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None
        return self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        node.returns = None
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:
        if node.value is None:
            return None
        return ast.Assign(targets=[node.target], value=self.visit(node.value), lineno=0)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | None:
        return None if (node.module or "") in _TYPING_MODULES else node

    def visit_Import(self, node: ast.Import) -> ast.AST | None:
        return None if all(a.name in _TYPING_MODULES for a in node.names) else node


def _only_annotations(before: str, after: str, language_id: str) -> list[str]:
    what = "changes more than type annotations"
    if language_id == "python":
        strip: Callable[[ast.Module], ast.AST] = _StripAnnotations().visit
        old, new = _python_dump(before, strip), _python_dump(after, strip)
        if old is not None and new is not None:
            if old == new:
                return []
            return [_token_difference(what, _lines(old), _lines(new))]
    old_tokens = _tokens(before, language_id, _is_annotation_or_doc)
    new_tokens = _tokens(after, language_id, _is_annotation_or_doc)
    if old_tokens is None or new_tokens is None:
        return []
    old_tokens = [t for t in old_tokens if t not in _ANNOTATION_PUNCTUATION]
    new_tokens = [t for t in new_tokens if t not in _ANNOTATION_PUNCTUATION]
    if old_tokens == new_tokens:
        return []
    return [_token_difference(what, old_tokens, new_tokens)]


def _is_annotation_or_doc(node: ts.Node) -> bool:
    """Annotation wrappers, and any node that is a type (`i32`, `Vec<T>`, `type_identifier`),
    across grammars; documentation too."""
    return node.type in _TS_ANNOTATIONS or "type" in node.type or _is_documentation(node)


# -- definitions ---------------------------------------------------------------------------

Signature = tuple[str, tuple[str, ...]]


def _same_definitions(
    before: str, after: str, language_id: str, allowed_lines: frozenset[int]
) -> list[str]:
    old = _definitions(before, language_id)
    new = _definitions(after, language_id)
    if old is None or new is None:
        return []
    remaining = list(new)
    problems: list[str] = []
    for signature, header in old:
        match = next((n for n in remaining if n[0] == signature), None)
        if match is not None:
            remaining.remove(match)
            continue
        if header & allowed_lines:
            continue
        name, params = signature
        now = [s for s, _ in new if s[0] == name]
        shown = f"{name}({', '.join(params)})"
        if now:
            problems.append(
                f"the answer changes the signature of {shown} to {name}({', '.join(now[0][1])}), "
                "which was not asked for"
            )
        else:
            problems.append(f"the answer removes or renames {shown}, which was not asked for")
    return problems


def _definitions(text: str, language_id: str) -> list[tuple[Signature, frozenset[int]]] | None:
    if language_id == "python":
        tree = _python_tree(text)
        if tree is not None:
            return list(_python_definitions(tree))
    return _ts_definitions(text, language_id)


def _python_definitions(tree: ast.Module) -> Iterator[tuple[Signature, frozenset[int]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            params = [p.arg for p in (*a.posonlyargs, *a.args)]
            params += [f"*{a.vararg.arg}"] if a.vararg else []
            params += [p.arg for p in a.kwonlyargs]
            params += [f"**{a.kwarg.arg}"] if a.kwarg else []
            header = range(node.lineno, (node.body[0].lineno if node.body else node.lineno) + 1)
            yield (node.name, tuple(params)), frozenset(header)
        elif isinstance(node, ast.ClassDef):
            yield (node.name, ()), frozenset({node.lineno})


def _ts_definitions(text: str, language_id: str) -> list[tuple[Signature, frozenset[int]]] | None:
    tree = _ts_tree(text, language_id)
    if tree is None:
        return None
    out: list[tuple[Signature, frozenset[int]]] = []
    data = text.encode("utf-8", "surrogatepass")

    def visit(node: ts.Node) -> None:
        if DEFINITION.match(node.type):
            name = node.child_by_field_name("name")
            if name is not None:
                params = node.child_by_field_name("parameters")
                names = tuple(_parameter_names(params, data)) if params is not None else ()
                body = node.child_by_field_name("body")
                last = body.start_point[0] if body is not None else node.start_point[0]
                header = frozenset(range(node.start_point[0] + 1, last + 2))
                out.append(((_text(name, data), names), header))
        for child in node.children:
            visit(child)

    visit(tree.root_node)
    return out


def _parameter_names(node: ts.Node, data: bytes) -> Iterator[str]:
    if "type" in node.type or node.type in _TS_ANNOTATIONS:
        return
    if node.type == "identifier":
        yield _text(node, data)
        return
    for child in node.children:
        yield from _parameter_names(child, data)


# -- shared --------------------------------------------------------------------------------


def _python_tree(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None


def _python_dump(text: str, transform: Callable[[ast.Module], ast.AST]) -> str | None:
    """The transformed tree as source (same code, same text; comments never count)."""
    tree = _python_tree(text)
    if tree is None:
        return None
    try:
        return ast.unparse(ast.fix_missing_locations(transform(tree)))
    except (ValueError, TypeError, RecursionError):
        return ast.dump(transform(_python_tree(text) or tree), include_attributes=False)


def _ts_tree(text: str, language_id: str) -> ts.Tree | None:
    spec = language_by_id(language_id)
    if spec is None:
        return None
    try:
        return parse(text, spec)
    except ParseTimeout:
        return None


def _text(node: ts.Node, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace")


def _tokens(text: str, language_id: str, skip: Callable[[ts.Node], bool]) -> list[str] | None:
    """The leaf tokens of the tree, skipping subtrees `skip` says are not code."""
    tree = _ts_tree(text, language_id)
    if tree is None:
        return None
    data = text.encode("utf-8", "surrogatepass")
    out: list[str] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if skip(node):
            continue
        if node.child_count == 0:
            if node.end_byte > node.start_byte:
                out.append(_text(node, data))
            continue
        stack.extend(reversed(node.children))
    return out


def _token_difference(what: str, old: list[str], new: list[str]) -> str:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed = " ".join(old[i1:i2])[:60]
        added = " ".join(new[j1:j2])[:60]
        if removed and added:
            return f"the answer {what}: `{removed}` became `{added}`"
        if removed:
            return f"the answer {what}: it removes `{removed}`"
        return f"the answer {what}: it adds `{added}`"
    return f"the answer {what}"


def _lines(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if line.strip()]
