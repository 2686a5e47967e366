"""Exclusions only grow: a `!negation` in one layer, policy file or ignore file cannot
re-include what another excluded. Each attack has a control: the patterns merged into one
list (the old behaviour) let the negation win."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from fixtures.fake_mistral import FakeMistral
from lsp_server.config import load_settings
from lsp_server.endpoint.exclusion import ContentExclusion
from lsp_server.index.ignore import IgnoreRules
from tests.lsp_harness import (
    endpoint_options,
    open_document,
    policy_file,
    user_config_file,
    wait_for_state,
    wait_until,
)

MARKER = "private_pricing_formula_9931"


def _load(tmp_path: Path, ws: Path, *, user: str = "", policy: str = "", repo: str = ""):
    (tmp_path / "user.toml").write_text(user)
    (tmp_path / "policy.toml").write_text(policy)
    (ws / ".mistral-lsp.toml").write_text(repo)
    return load_settings(
        [ws], None, user_path=tmp_path / "user.toml", policy_path=tmp_path / "policy.toml"
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "private").mkdir(parents=True)
    (root / "private" / "algo.py").write_text(f"def {MARKER}():\n    return 1\n")
    (root / "dump.sql").write_text("insert into t values (1);\n")
    (root / "app.py").write_text("print(1)\n")
    return root


def test_repo_negation_cannot_undo_the_user_exclusion(tmp_path: Path, ws: Path) -> None:
    loaded = _load(
        tmp_path,
        ws,
        user='[privacy]\nexclude = ["private/**", "*.sql"]\n',
        repo='[privacy]\nexclude = ["!private/**", "!*.sql"]\n',
    )
    privacy = loaded.settings.privacy
    guarded = ContentExclusion([ws], privacy.exclude_layers)
    assert guarded.is_excluded(ws / "private" / "algo.py")
    assert guarded.is_excluded(ws / "dump.sql")
    assert not guarded.is_excluded(ws / "app.py")
    # Control: one merged list lets the repository's negations re-include both files.
    merged = ContentExclusion([ws], privacy.exclude)
    assert not merged.is_excluded(ws / "private" / "algo.py")
    assert not merged.is_excluded(ws / "dump.sql")


def test_repo_cannot_repeat_and_negate_an_unlocked_policy_pattern(tmp_path: Path, ws: Path) -> None:
    loaded = _load(
        tmp_path,
        ws,
        policy='[privacy]\nexclude = ["private/**"]\n',
        repo='[privacy]\nexclude = ["private/**", "!private/**"]\n',
    )
    privacy = loaded.settings.privacy
    assert ContentExclusion([ws], privacy.exclude_layers).is_excluded(ws / "private" / "algo.py")
    assert not ContentExclusion([ws], privacy.exclude).is_excluded(ws / "private" / "algo.py")


def test_a_negation_still_works_inside_its_own_list(tmp_path: Path, ws: Path) -> None:
    (ws / "schema.sql").write_text("create table t (id int);\n")
    loaded = _load(tmp_path, ws, user='[privacy]\nexclude = ["*.sql", "!schema.sql"]\n')
    guarded = ContentExclusion([ws], loaded.settings.privacy.exclude_layers)
    assert guarded.is_excluded(ws / "dump.sql")
    assert not guarded.is_excluded(ws / "schema.sql")


@pytest.mark.parametrize(
    ("files", "path"),
    [
        ({".gitignore": "*.sql\n", ".mistralignore": "!dump.sql\n"}, "dump.sql"),
        (
            {".mistralignore": "private/*.py\n", "private/.gitignore": "!algo.py\n"},
            "private/algo.py",
        ),
    ],
)
def test_an_ignore_file_cannot_re_include_what_another_excludes(
    ws: Path, files: dict[str, str], path: str
) -> None:
    for name, text in files.items():
        (ws / name).write_text(text)
    assert ContentExclusion([ws]).is_excluded(ws / path)
    # Control: git's own semantics (one spec per directory, deeper wins) re-include it.
    assert not IgnoreRules(ws).is_ignored_rel(path)


@pytest.mark.parametrize("protected", [True, False])
async def test_repo_negation_sends_nothing_through_the_server(
    launch, ws: Path, env: dict[str, str], fake: FakeMistral, protected: bool
) -> None:
    if protected:
        user_config_file(env).write_text('[privacy]\nexclude = ["private/**"]\n')
    else:  # control: the same repository without the user's exclusion
        policy_file(env).write_text("")
    (ws / ".mistral-lsp.toml").write_text('[privacy]\nexclude = ["!private/**"]\n')
    client = await launch(root=ws, env=env, init_options=endpoint_options(fake.url))
    await wait_for_state(client, "ready")
    path = ws / "private" / "algo.py"
    uri = open_document(client, path)
    await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=1, character=4),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    if protected:
        # Ask for a completion in a clean file too, so that a request is known to be done.
        other = open_document(client, ws / "app.py")
        await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=other),
                position=types.Position(line=0, character=8),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked
                ),
            )
        )
        assert await wait_until(lambda: bool(fake.requests_for("fim")))
    else:
        assert await wait_until(lambda: MARKER.encode() in fake.all_bytes())
    assert (MARKER.encode() in fake.all_bytes()) is not protected
