"""Attack class 5: credential files opened in the editor must send nothing.

Each credential file is opened with a unique marker and completed in, through the real
server; the fake endpoint must never see a marker. Controls: the same text in ordinary
source files (including names close to credential ones: `config.json`, `settings.py`,
`env.py`, `environment.ts`) is sent, so the product stays usable and the check can fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from fixtures.fake_mistral import FakeMistral
from lsp_server.endpoint.exclusion import ContentExclusion
from tests.lsp_harness import endpoint_options, open_document, wait_for_state, wait_until

DENIED = (
    "prod.env",
    ".ENV",
    ".env.production",
    "config/Staging.Env",
    ".git-credentials",
    "terraform.tfvars",
    "infra/prod.tfstate",
    ".docker/config.json",
    "kubeconfig",
    ".kube/config",
    ".htpasswd",
    "service-account-prod.json",
    "keys/service_account.json",
    ".pgpass",
    ".s3cfg",
    ".boto",
    ".aws/credentials",
    "vpn/office.ovpn",
    ".bash_history",
    "wp-config.php",
    "android/release.jks",
    "android/app.keystore",
    ".vault-token",
    "deploy/id_ed25519",
    "deploy/github_rsa",
    "keys/private.asc",
    ".my.cnf",
    ".pypirc",
    ".npmrc",
    ".netrc",
    "CREDENTIALS.json",
)
ALLOWED = ("config.json", "settings.py", "env.py", "environment.ts", "docker/config.json")


def marker(i: int) -> str:
    return f"MARK{i:03d}QZX"


def body(mark: str) -> str:
    return f'title = "{mark}"\nvalue = '


async def complete_end(client: LanguageClient, uri: str, text: str) -> None:
    lines = text.split("\n")
    await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(len(lines) - 1, len(lines[-1])),
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
    )


def received(fake: FakeMistral) -> str:
    return "\n".join(str(r.body) for r in fake.requests)


async def open_and_complete(client: LanguageClient, path: Path, mark: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = body(mark)
    path.write_text(text, encoding="utf-8")
    uri = open_document(client, path, text)
    await complete_end(client, uri, text)


async def test_credential_files_send_nothing_ordinary_names_do(
    launch: Any, workspace: Path, env: dict[str, str], fake: FakeMistral, tmp_path: Path
) -> None:
    client = await launch(
        root=workspace, env=env, profile="neovim", init_options=endpoint_options(fake.url)
    )
    await wait_for_state(client, "ready")
    for i, name in enumerate(DENIED):
        await open_and_complete(client, workspace / name, marker(i))
    # Outside every workspace root the deny list applies too.
    home = tmp_path / "home"
    outside = [home / ".kube" / "config", home / ".docker" / "config.json", home / "PROD.ENV"]
    for j, path in enumerate(outside, start=len(DENIED)):
        await open_and_complete(client, path, marker(j))
    # Controls, last: once they have arrived every earlier request has been answered.
    controls = [workspace / name for name in ALLOWED] + [home / "notes.py"]
    first = len(DENIED) + len(outside)
    for k, path in enumerate(controls, start=first):
        await open_and_complete(client, path, marker(k))
    marks = [marker(k) for k in range(first, first + len(controls))]
    assert await wait_until(lambda: all(m in received(fake) for m in marks)), (
        "control: ordinary files were not sent"
    )
    leaked = [name for i, name in enumerate(DENIED) if marker(i) in received(fake)]
    leaked += [
        str(p) for j, p in enumerate(outside, start=len(DENIED)) if marker(j) in received(fake)
    ]
    assert leaked == []


def test_deny_list_is_case_insensitive_and_component_aware(tmp_path: Path) -> None:
    """The same decisions without a server, including the controls that must stay allowed."""
    ex = ContentExclusion([tmp_path])
    for name in (*DENIED, "sub/.KUBE/CONFIG", "a/b/.docker/config.json", "x/.Env.local"):
        assert ex.is_excluded(tmp_path / name), name
    for name in (*ALLOWED, "kube/config.py", "id_utils.py", "src/history.py", "envs/dev.py"):
        assert not ex.is_excluded(tmp_path / name), name
