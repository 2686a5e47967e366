"""A type alias is a definition, not a class: its skeleton would open a block under it and
list the members of whatever shares its name (a TypeScript namespace)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_server.context import ContextBuilder
from lsp_server.context.skeleton import container_open, fold, is_type_alias
from lsp_server.index.model import Definition
from lsp_server.index.repo_index import IndexOptions, RepoIndex


@pytest.mark.parametrize(
    ("kind", "signature", "alias"),
    [
        ("type", "type Item = I::Item;", True),
        ("type", "type Option<A> = None<A> | Some<A>", True),
        ("type", "type Handler = (req: Request) => Response", True),
        ("type", "type Pair<K = string, V = number> = [K, V]", True),
        ("type", "type Options = {", False),
        ("type", "type Point struct", False),
        ("class", "class Config(metaclass=ABCMeta)", False),
        ("class", "class Arguments(Node):  # pylint: disable=too-many-attributes", False),
        ("interface", "interface Shape<T = unknown>", False),
        ("struct", "struct Unit;", False),
    ],
)
def test_type_alias_signatures(kind: str, signature: str, alias: bool) -> None:
    assert is_type_alias(kind, signature) is alias


OPTION_TS = """\
export interface None<A> { readonly _tag: "None" }
export interface Some<A> { readonly _tag: "Some"; readonly value: A }
export type Option<A> = None<A> | Some<A>

export declare namespace Option {
  export type Value<T extends Option<any>> = [T] extends [Option<infer _A>] ? _A : never
}

export const isSome = <A>(self: Option<A>): self is Some<A> => self._tag === "Some"
"""


def shown_in_main_ts(tmp_path: Path, module: tuple[str, str], text: str) -> str:
    """The snippets a completion at the end of `main.ts` (holding `text`) is given."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / module[0]).write_text(module[1])
    (root / "main.ts").write_text(text)
    index = RepoIndex(root, IndexOptions(cache_dir=tmp_path / "cache"))
    index.build()
    try:
        context = ContextBuilder(index, is_excluded=lambda _p: False).build(
            path=root / "main.ts",
            language_id="typescript",
            text=text,
            offset=len(text),
            budget_tokens=1500,
        )
    finally:
        index.close()
    return "".join(s.text for s in context.snippets)


def test_an_alias_and_a_namespace_of_one_name_show_the_namespace_member_once(
    tmp_path: Path,
) -> None:
    text = 'import * as O from "./Option"\n\nexport const get = (o: O.Option<number>) => O.'
    shown = shown_in_main_ts(tmp_path, ("Option.ts", OPTION_TS), text)
    assert "None<A> | Some<A>" in shown  # the alias is there ...
    assert "None<A> | Some<A> {" not in shown  # ... not opened as a class
    assert shown.count("export type Value<T extends Option<any>>") == 1


DEFERRED_TS = """\
export interface Deferred<in out A, in out E = never> extends Deferred.Variance<A, E> {
  effect?: Effect<A, E>
  resumes?: Array<(effect: Effect<A, E>) => void> | undefined
}

export declare namespace Deferred {
  export interface Variance<in out A, in out E> {
    readonly _A: A
  }
}

export const await_ = <A, E>(self: Deferred<A, E>): Effect<A, E> => self.effect!
"""


def test_an_interface_and_its_namespace_each_list_only_their_own_members(
    tmp_path: Path,
) -> None:
    text = (
        'import * as Deferred from "./Deferred"\n\n'
        "export const run = (d: Deferred.Deferred<number>) => Deferred."
    )
    shown = shown_in_main_ts(tmp_path, ("Deferred.ts", DEFERRED_TS), text)
    assert "export declare namespace Deferred" in shown and "resumes?" in shown
    assert shown.count("resumes?") == 1
    assert shown.count("interface Variance<in out A, in out E>") == 1


@pytest.mark.parametrize(
    ("signature", "folded"),
    [
        # a comment on the last line stays: the header reads as written
        (
            "class Arguments(\n    Node\n):  # pylint: disable=too-many-attributes",
            "class Arguments(Node):  # pylint: disable=too-many-attributes",
        ),
        # one before it would swallow the rest: the header keeps its lines
        ("def get(  # type: ignore\n    self,\n):", "def get(  # type: ignore\n    self,\n):"),
        ("def f(\n    a,\n    b,\n):", "def f(a, b,):"),
        ('def f(\n    sep=" # ",\n):', 'def f(sep=" # ",):'),
    ],
)
def test_a_header_is_folded_unless_a_comment_would_swallow_it(signature: str, folded: str) -> None:
    assert fold(signature) == folded


def test_a_class_line_ending_in_a_comment_opens_its_block_once() -> None:
    cls = Definition(
        name="Arguments",
        kind="class",
        path="nodes.py",
        line=1,
        column=0,
        end_line=9,
        end_column=0,
        container=None,
        signature="class Arguments(Node):  # pylint: disable=too-many-attributes",
        doc=None,
    )
    opened = container_open(cls, "Arguments", "python")
    assert opened == "class Arguments(Node):  # pylint: disable=too-many-attributes\n"
