"""ContextBuilder on a small fixture repository, through the real index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.context import ContextBuilder, RecentFiles, count_tokens
from lsp_server.index.repo_index import RepoIndex
from tests.paths import FIXTURES

from .repo_prompt import indexed_root

ROOT = FIXTURES / "repos" / "context_py"
SECRET = ROOT / "shop" / "secret_rates.py"


def is_excluded(path: Path) -> bool:
    return Path(path).resolve() == SECRET


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed_root(ROOT, tmp_path_factory)


def hole(index: RepoIndex, rel: str, marker: str, typed: str = "") -> tuple[Path, str]:
    """The file cut just before `marker` (plus `typed`), as the index sees an edited file."""
    path = ROOT / rel
    text = path.read_text()
    text = text[: text.index(marker)] + typed
    index.update_text(path, text)
    return path, text


def build(index: RepoIndex, path: Path, text: str, budget: int = 1000, **kw) -> object:
    builder = ContextBuilder(index, is_excluded=is_excluded, **kw)
    language = "javascript" if path.suffix == ".js" else "python"
    return builder.build(
        path=path, language_id=language, text=text, offset=len(text), budget_tokens=budget
    )


def test_cross_file_signature_is_in_the_prefix(index: RepoIndex) -> None:
    path, text = hole(index, "shop/checkout.py", "    amount = apply_discount", "    amount = ")
    try:
        context = build(index, path, text)
    finally:
        index.close_text(path)
    assert "def apply_discount(amount: float, percent: float) -> float:" in context.prefix
    assert "# path: shop/pricing.py\n" in context.prefix
    # the snippets come before the file's own text, which ends at the cursor
    assert context.prefix.index("def apply_discount") < context.prefix.index("def checkout(")
    assert context.prefix.endswith("    amount = ")
    assert context.sources[0] == "shop/checkout.py"
    assert "shop/pricing.py" in context.sources
    assert any(s.kind in ("definition", "skeleton") and s.path == "shop/pricing.py"
               for s in context.snippets)  # fmt: skip


def test_base_class_skeleton_for_self_member(index: RepoIndex) -> None:
    path, text = hole(index, "shop/models.py", "        return sum(", "        self.")
    try:
        context = build(index, path, text)
    finally:
        index.close_text(path)
    # `Cart(Entity)`: the base class lives in another file; its members are outlined
    assert "class Entity:" in context.prefix
    assert "def save_to_ledger(self, ledger: list[str]) -> None:" in context.prefix


def test_no_definition_twice(index: RepoIndex) -> None:
    path, text = hole(index, "shop/report.py", "        totals[cart.ident]", "        x = ")
    try:
        context = build(index, path, text, budget=2000)
    finally:
        index.close_text(path)
    snippet_text = "".join(s.text for s in context.snippets)
    for header in ("def apply_discount(", "class Cart(Entity)", "def subtotal(self)"):
        assert snippet_text.count(header) <= 1, header
    assert snippet_text.count("def apply_discount(") == 1
    keys = [(s.path, s.text) for s in context.snippets]
    assert len(keys) == len(set(keys))


def test_excluded_file_never_appears(index: RepoIndex) -> None:
    recent = RecentFiles()
    recent.touch(SECRET, SECRET.read_text())
    path, text = hole(index, "shop/checkout.py", "    return add_sales_tax", "    rate = ")
    try:
        for budget in (300, 1000, 4000):
            context = build(index, path, text, budget=budget, recent=recent)
            # the current file mentions the import by name; the module's content must not leak
            assert "SECRET_RATE_TABLE" not in context.prefix + context.suffix
            assert "CONFIDENTIAL_RATE_LOOKUP" not in context.prefix + context.suffix
            assert "def negotiated_rate_for" not in context.prefix
            assert "shop/secret_rates.py" not in context.sources
            assert all(s.path != "shop/secret_rates.py" for s in context.snippets)
    finally:
        index.close_text(path)


@pytest.mark.parametrize("budget", [40, 120, 300, 700, 1500])
def test_budget_respected_and_cut_at_line_boundaries(index: RepoIndex, budget: int) -> None:
    path = ROOT / "shop" / "models.py"
    text = path.read_text()
    offset = text.index("        self.items.append(item)") + len("        self.items")
    context = ContextBuilder(index, is_excluded=is_excluded).build(
        path=path, language_id="python", text=text, offset=offset, budget_tokens=budget
    )
    assert context.tokens <= budget
    assert count_tokens(context.prefix) + count_tokens(context.suffix) <= budget
    # the file's own part of the prefix is whole lines up to the cursor
    own = context.prefix.split("# path: shop/models.py\n")[-1]
    assert text[:offset].endswith(own)
    start = offset - len(own)
    assert start == 0 or text[start - 1] == "\n"
    # the suffix is whole lines from the cursor (the rest of the cursor line always)
    assert text[offset:].startswith(context.suffix)
    end = offset + len(context.suffix)
    assert context.suffix.startswith(".append(item)")
    assert end == len(text) or text[end] == "\n"


def test_more_budget_more_context(index: RepoIndex) -> None:
    path, text = hole(index, "shop/checkout.py", "    return add_sales_tax", "    return ")
    try:
        small = build(index, path, text, budget=80)
        large = build(index, path, text, budget=2000)
    finally:
        index.close_text(path)
    assert small.tokens <= 80
    assert len(large.snippets) > len(small.snippets)
    assert large.tokens > small.tokens


def test_javascript_headers_use_line_comments(index: RepoIndex) -> None:
    path = ROOT / "web" / "app.js"
    text = path.read_text()
    offset = text.index("  return formatPrice")
    context = ContextBuilder(index, is_excluded=is_excluded).build(
        path=path, language_id="javascript", text=text, offset=offset, budget_tokens=1000
    )
    assert "// path: web/util.js\n" in context.prefix
    assert "# path:" not in context.prefix
    assert 'function formatPrice(cents, currency = "EUR")' in context.prefix
    assert "render(currency)" in context.prefix
    assert context.suffix.startswith("  return formatPrice(cents);")


def test_similar_code_from_recent_files(index: RepoIndex) -> None:
    recent = RecentFiles()
    other = ROOT / "shop" / "report.py"
    recent.touch(other, other.read_text())
    path, text = hole(index, "shop/checkout.py", "    amount = amount * (1 -", "    amount = ")
    try:
        context = build(index, path, text, budget=2000, recent=recent)
        without = build(index, path, text, budget=2000)
    finally:
        index.close_text(path)
    similar = [s for s in context.snippets if s.kind == "similar"]
    assert similar and similar[0].path == "shop/report.py"
    assert "amount = apply_discount(amount, coupon_percent)" in similar[0].text
    assert not [s for s in without.snippets if s.kind == "similar"]
    recent.forget(other)
    assert recent.paths() == []


def test_without_index_only_the_file(index: RepoIndex) -> None:
    text = "def f(x):\n    return x\n\nprint(f(1))\n"
    context = ContextBuilder(None, is_excluded=is_excluded).build(
        path=None, language_id="python", text=text, offset=text.index("return x"), budget_tokens=500
    )
    assert context.prefix == "def f(x):\n    "
    assert context.suffix == text[text.index("return x") :].rstrip("\n") or context.suffix
    assert context.snippets == [] and context.sources == []


def test_range_context(index: RepoIndex) -> None:
    path = ROOT / "shop" / "checkout.py"
    text = path.read_text()
    start = text.index("    amount = apply_discount")
    end = text.index("    return add_sales_tax")
    ranged = ContextBuilder(index, is_excluded=is_excluded).build_for_range(
        path=path, language_id="python", text=text, start=start, end=end, budget_tokens=1500
    )
    assert ranged.selection.startswith("    amount = apply_discount")
    assert ranged.scope.startswith("def checkout(")
    assert ranged.path == "shop/checkout.py" and ranged.language_id == "python"
    rendered = ranged.snippets_text("#")
    assert "def apply_discount(amount: float, percent: float) -> float:" in rendered
    assert "SECRET_RATE_TABLE" not in rendered
    assert "negotiated_rate_for(customer: str)" not in rendered
    assert ranged.tokens <= 1500


def test_enclosing_class_found_past_the_end_of_its_last_block(index: RepoIndex) -> None:
    # the cursor sits on an indented empty line after the last statement of `Cart`:
    # syntactically outside the class, by indentation inside it
    path, text = hole(index, "shop/models.py", "\n\nEMPTY_CART_MESSAGE", "\n        ")
    try:
        context = build(index, path, text, budget=1000)
    finally:
        index.close_text(path)
    skeletons = [s for s in context.snippets if s.path == "shop/base.py"]
    assert skeletons and "def describe_entity(self) -> str:" in skeletons[0].text
    # ranked as the base class of the class around the cursor, not merely as an import
    from lsp_server.context.gather import W_BASE

    assert skeletons[0].score >= W_BASE


def _edited(index: RepoIndex, rel: str, text: str) -> Path:
    path = ROOT / rel
    index.update_text(path, text)
    return path


def test_receiver_before_the_cursor_brings_its_class(index: RepoIndex) -> None:
    from lsp_server.context.gather import W_CURSOR

    head = "from .models import Cart\n\n\ndef total(cart: Cart) -> float:\n"
    scores = {}
    for tail in ("    return cart.sub", "    return 0.0"):
        text = head + tail
        path = _edited(index, "shop/scratch.py", text)
        try:
            context = build(index, path, text, budget=600)
        finally:
            index.close_text(path)
        carts = [s for s in context.snippets if "class Cart(Entity)" in s.text]
        assert carts
        scores[tail] = carts[0].score
        if tail.endswith("cart.sub"):
            assert "def subtotal(self) -> float:" in carts[0].text
    # `cart.` right before the cursor: Cart (the annotated type) is what matters most
    assert scores["    return cart.sub"] - scores["    return 0.0"] >= W_CURSOR - 1


def test_return_type_of_a_call_types_the_receiver(index: RepoIndex) -> None:
    text = (
        "from .models import new_cart\n\n\n"
        "def fresh() -> float:\n"
        '    cart = new_cart("c-1")\n'
        "    cart."
    )
    path = _edited(index, "shop/scratch_typed.py", text)
    try:
        context = build(index, path, text, budget=600)
    finally:
        index.close_text(path)
    assert any(
        s.kind == "skeleton" and "def add_item(self, sku: str" in s.text for s in context.snippets
    )


def test_edited_file_is_always_fresh_and_exclusion_applies_to_cached_answers(
    index: RepoIndex,
) -> None:
    head = "from .models import Cart\n"
    body = "\n\ndef settle(cart: Cart) -> float:\n    amount = cart.subtotal()\n    return "
    path = ROOT / "shop" / "scratch_fresh.py"
    try:
        first = _edited(index, "shop/scratch_fresh.py", head + body)
        before = build(index, first, head + body, budget=1500)
        assert "def round_to_cents" not in before.prefix
        # the next keystroke adds an import: seen at once, whatever is cached for other files
        text = head + "from .pricing import round_to_cents\nfrom .secret_rates import *\n" + body
        _edited(index, "shop/scratch_fresh.py", text + "round_to_cents(")
        after = build(index, path, text + "round_to_cents(", budget=1500)
        assert "def round_to_cents(amount: float) -> float:" in after.prefix
        # answers cached while nothing was excluded must not leak once a file is excluded
        open_builder = ContextBuilder(index, is_excluded=lambda _p: False)
        leaked = open_builder.build(
            path=path, language_id="python", text=text + "negotiated_rate_for(",
            offset=len(text) + len("negotiated_rate_for("), budget_tokens=1500,
        )  # fmt: skip
        assert "def negotiated_rate_for" in leaked.prefix  # sanity: it is found when allowed
        guarded = build(index, path, text + "negotiated_rate_for(", budget=1500)
        assert "negotiated_rate_for(customer" not in guarded.prefix
        assert "shop/secret_rates.py" not in guarded.sources
    finally:
        index.close_text(path)


def test_an_assembly_reads_the_index_in_one_snapshot(
    index: RepoIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers from one state of the index, whatever another thread stores meanwhile."""
    entered: list[bool] = []
    real = index.snapshot

    def snapshot() -> object:
        entered.append(True)
        return real()

    monkeypatch.setattr(index, "snapshot", snapshot)
    path, text = hole(index, "shop/checkout.py", "    amount = apply_discount", "    amount = ")
    try:
        context = build(index, path, text)
    finally:
        index.close_text(path)
    assert "def apply_discount(" in context.prefix  # type: ignore[attr-defined]
    assert entered == [True]
