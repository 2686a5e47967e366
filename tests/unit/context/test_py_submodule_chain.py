"""Python `shop.util.|`: the chain of names from an imported package reaches its submodule
`shop/util`, whose names the cursor wants; the last name alone (`util`) names another
module of the repository, the one the other files import as `util`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lsp_server.context.gather import Gatherer
from lsp_server.index.repo_index import RepoIndex

from .repo_prompt import indexed, prompt

FILES = {
    "shop/__init__.py": "",
    "shop/util/__init__.py": "from shop.util.money import *\n",
    "shop/util/money.py": (
        "def to_cents(amount):\n    return int(amount * 100)\n\n\n"
        "def round_half(amount):\n    return round(amount, 2)\n"
    ),
    "other/__init__.py": "",
    "other/util.py": "".join(f"def tool_{i}(x):\n    return x + {i}\n\n\n" for i in range(60)),
    "app/__init__.py": "",
    "app/report.py": "from other import util\n\n\ndef run():\n    return util.tool_1(2)\n",
    "app/cart.py": "import shop\n\n\ndef total(cart):\n    return shop.util.",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RepoIndex]:
    yield from indexed(tmp_path_factory, FILES, "py-submodule-chain")


def test_the_chain_reaches_the_submodule(index: RepoIndex) -> None:
    text = prompt(index, "app/cart.py", FILES["app/cart.py"], budget=600)
    assert "def to_cents(amount)" in text, text


def test_control_the_last_name_alone(index: RepoIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Gatherer, "_submodule_at_cursor", lambda _self: None)
    text = prompt(index, "app/cart.py", FILES["app/cart.py"], budget=600)
    assert "def to_cents(amount)" not in text, text
