"""Context for calls through imported modules: `pricing.compute_total(` where `pricing` is
a submodule bound by name, an alias or a relative import; and, in a large module, the
definition matching what is typed rather than the first ones in the file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from lsp_server.completion.index_items import index_items
from lsp_server.context import ContextBuilder
from lsp_server.context.relevance import LineWords, words
from lsp_server.index.repo_index import RepoIndex
from tests.paths import FIXTURES

from .repo_prompt import indexed_root

ROOT = FIXTURES / "repos" / "context_layouts"
COMPUTE_TOTAL = "def compute_total(cart, tax_rate=0.2):"
SECTION = "class section(Node):"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed_root(ROOT, tmp_path_factory)


def prompt_at(index: RepoIndex, rel: str, marker: str, typed: str, budget: int = 1000) -> str:
    """The prefix sent when the file is cut before `marker` and `typed` is typed there."""
    path = ROOT / rel
    text = path.read_text()
    text = text[: text.index(marker)] + typed
    index.update_text(path, text)
    try:
        context = ContextBuilder(index, is_excluded=lambda _p: False).build(
            path=path, language_id="python", text=text, offset=len(text), budget_tokens=budget
        )
    finally:
        index.close_text(path)
    return context.prefix


@pytest.mark.parametrize(
    ("rel", "typed"),
    [
        ("app/main.py", "    total = "),  # import shop.pricing as pricing; nothing typed
        ("app/main.py", "    total = pricing."),
        ("src/shop/checkout.py", "    total = "),  # from . import models, pricing
        ("src/shop/checkout.py", "    total = pricing.co"),
        ("app/plain.py", "    total = shop.pricing."),  # import shop.pricing
    ],
)
def test_submodule_definition_is_in_the_prompt(index: RepoIndex, rel: str, typed: str) -> None:
    prompt = prompt_at(index, rel, "    total = ", typed)
    assert COMPUTE_TOTAL in prompt
    assert prompt.endswith(typed)


def test_relative_import_two_levels_up(index: RepoIndex) -> None:
    prompt = prompt_at(index, "src/shop/sub/report.py", "    discounted = ", "    x = prices.ap")
    assert "def apply_coupon(total, code):" in prompt


def test_without_the_import_the_definition_is_not_there(index: RepoIndex) -> None:
    """The control: the same cursor in a file that does not import `pricing`."""
    prompt = prompt_at(index, "src/plugins/export.py", '    return "\\n"', "    total = ")
    assert COMPUTE_TOTAL not in prompt


def test_large_module_chooses_the_class_matching_the_typed_name(index: RepoIndex) -> None:
    prompt = prompt_at(index, "app/main.py", "    tree.append(", "    tree.append(nodes.sec", 600)
    assert SECTION in prompt


def test_large_module_with_nothing_typed_prefers_names_the_file_uses(index: RepoIndex) -> None:
    # `nodes.document` is used a line above: that class comes before 80 others
    prompt = prompt_at(index, "app/main.py", "    tree.append(", "    tree.append(nodes.", 400)
    assert "class document(Node):" in prompt


def test_offline_items_after_module_dot_are_the_modules_names(index: RepoIndex) -> None:
    session = SimpleNamespace(index_for=lambda _path: index)
    path = ROOT / "app" / "main.py"
    text = path.read_text()
    text = text[: text.index("    tree.append(")] + "    tree.append(nodes.se"
    items = index_items(session, path, text, len(text))  # type: ignore[arg-type]
    assert [item.label for item in items] == ["section"]  # not select_*/serialize_* methods
    assert items[0].path == "src/shop/nodes.py"


def test_line_words_prefer_the_name_the_line_talks_about() -> None:
    assert words("decode_params") == {"decode", "param"}
    assert words("HTTPServerError") == {"http", "server", "error"}
    line = LineWords(["x = 1", "    params = "])
    assert line.fit("decode_params") == 0.5
    assert line.fit("encode_header") == 0.0
    # a plural is its singular; "ss" and short words are left alone
    assert words("add_edges_from") == {"add", "edge"} and words("class_access") >= {"access"}
    assert LineWords(["# add one edge per pair", "g."]).fit("add_edges_from") == 0.5


def test_module_names_are_ranked_the_same_whatever_the_order_of_requests(index: RepoIndex) -> None:
    first = prompt_at(index, "app/main.py", "    total = ", "    total = ")
    prompt_at(index, "src/shop/checkout.py", "    total = ", "    total = pricing.")
    assert prompt_at(index, "app/main.py", "    total = ", "    total = ") == first


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    from lsp_server.context.view import clear_shared_cache

    clear_shared_cache()
    yield
    clear_shared_cache()


def test_fixture_module_is_large() -> None:
    nodes = (ROOT / "src" / "shop" / "nodes.py").read_text()
    assert nodes.count("\nclass ") > 80 and Path(ROOT / "gen_nodes.py").is_file()


def test_receiver_of_unknown_type_is_typed_by_its_name(index: RepoIndex) -> None:
    # `def compute_total(cart, ...)`: no annotation, no import of models; `cart` -> `Cart`
    prompt = prompt_at(index, "src/shop/pricing.py", "    return sum(", "    cart.ad")
    assert "def add(self, item):" in prompt


def test_docstrings_and_comments_are_not_names() -> None:
    from lsp_server.context.names import code_lines, names_near

    lines = ["def f(cart):", '    """Compute every total."""', "    # the price", "    x = cart."]
    assert [line.strip() for line in code_lines(lines)] == ["def f(cart):", "", "", "x = cart."]
    assert set(names_near(lines, [])) == {"f", "cart", "x"}
