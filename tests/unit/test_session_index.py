"""The index a session opens scans with the rules the endpoint scans with: its clean verdicts
let the context skip a file's scan, so they must be made under the user's gitleaks rules too."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sessions import isolated_session

RULES = """\
[[rules]]
id = "acme-token"
regex = '''acme_[0-9a-f]{32}'''
keywords = ["acme_"]
"""


def test_the_index_is_given_the_users_secret_rules(tmp_path: Path) -> None:
    rules = tmp_path / "gitleaks.toml"
    rules.write_text(RULES)
    repo = tmp_path / "repo"
    repo.mkdir()
    session = isolated_session(tmp_path, user=f'[privacy]\nsecret_rules = "{rules}"\n')
    session.configure(roots=[repo], editor={})
    try:
        assert session.indexes[repo].options.secret_rules == str(rules)
    finally:
        for index in session.indexes.values():
            index.close()


def test_without_rules_of_its_own_the_index_uses_the_built_in_ones(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    session = isolated_session(tmp_path)
    session.configure(roots=[repo], editor={})
    try:
        assert session.indexes[repo].options.secret_rules == ""
    finally:
        for index in session.indexes.values():
            index.close()


def test_only_a_servers_index_keeps_its_definitions_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the index's database
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "shop.py").write_text("def price_of(sku):\n    return 1\n")
    kept = {}
    for serving in (True, False):  # False: a command's session (the control)
        home = tmp_path / ("server" if serving else "command")
        home.mkdir()
        session = isolated_session(home, serving=serving)
        session.configure(roots=[repo], editor={})
        index = session.indexes[repo]
        try:
            index.build()
            assert [d.name for d in index.definitions("price_of")] == ["price_of"]
            kept[serving] = index._memory is not None
        finally:
            index.close()
    assert kept == {True: True, False: False}
