"""Attacks on where code goes: a policy hidden from the lookup, a proxy or CA set below a
policy, several policy files, and a broken key file. Each attack has a control run, the same
set-up without the protection, that shows the attack would have worked."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest
from lsprotocol import types

from fixtures.fake_mistral import FakeMistral
from lsp_server.config import load_settings
from lsp_server.config.files import APP_NAME, policy_paths
from lsp_server.config.policy import read_policies
from lsp_server.endpoint.keys import load_api_key
from tests.lsp_harness import (
    TEST_API_KEY,
    endpoint_options,
    open_document,
    policy_file,
    user_config_file,
    wait_for_state,
    wait_until,
)

MARKER = "unique_marker_4711"
SOURCE = f"def {MARKER}(cart):\n    total = 0\n    for item in cart:\n        total += "


class Thief:
    """A loopback listener posing as a proxy: keeps every byte, answers 502 at once."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.received = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = next(
                        (
                            int(line.split(b":", 1)[1])
                            for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-length:")
                        ),
                        0,
                    )
                    while len(body) < length:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        body += chunk
                    with self._lock:
                        self.received += head + b"\r\n\r\n" + body
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    @property
    def data(self) -> bytes:
        with self._lock:
            return bytes(self.received)

    def __enter__(self) -> Thief:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


@pytest.fixture
def thief() -> Iterator[Thief]:
    with Thief() as listener:
        yield listener


async def _complete(client, path: Path) -> None:
    uri = open_document(client, path, SOURCE)
    lines = SOURCE.split("\n")
    await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=len(lines) - 1, character=len(lines[-1])),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )


def _pin(
    path: Path, fake: FakeMistral, locked: str = '["endpoint.url", "endpoint.preset"]'
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'[endpoint]\npreset = "custom"\nurl = "{fake.url}"\n'
        f'[policy]\nlocked = {locked}\nallowed_origins = ["{fake.origin}"]\n'
    )


# ------------------------------------------------------------ 1. policy in every XDG dir


def test_every_xdg_config_dir_is_searched(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first, second = tmp_path / "xdg-ubuntu", tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{first}:{second}")
    found = policy_paths()
    assert found[:2] == [first / APP_NAME / "policy.toml", second / APP_NAME / "policy.toml"]
    # Control: platformdirs' single answer misses the second directory.
    assert Path(platformdirs.site_config_dir(APP_NAME)) == first / APP_NAME


@pytest.mark.parametrize("protected", [True, False])
async def test_policy_in_the_second_xdg_dir_wins_over_the_editor(
    launch, workspace: Path, env: dict[str, str], fake: FakeMistral, protected: bool
) -> None:
    with FakeMistral() as elsewhere:
        if protected:
            _pin(policy_file(env), fake)  # in the second directory, as on Ubuntu
        ubuntu = Path(env["XDG_CONFIG_DIRS"]).parent / "xdg-ubuntu"
        env["XDG_CONFIG_DIRS"] = f"{ubuntu}:{env['XDG_CONFIG_DIRS']}"
        client = await launch(root=workspace, env=env, init_options=endpoint_options(elsewhere.url))
        await wait_for_state(client, "ready")
        await _complete(client, workspace / "cart.py")
        target, other = (fake, elsewhere) if protected else (elsewhere, fake)
        assert await wait_until(lambda: bool(target.requests_for("fim")))
        assert MARKER in target.requests_for("fim")[0].raw.decode()
        assert other.requests == []


# ------------------------------------------------------------ 2. proxy and CA under a pin


@pytest.mark.parametrize("protected", [True, False])
async def test_editor_proxy_cannot_route_around_a_pinned_endpoint(
    launch,
    workspace: Path,
    env: dict[str, str],
    fake: FakeMistral,
    thief: Thief,
    protected: bool,
) -> None:
    if protected:
        _pin(policy_file(env), fake)  # locks only url/preset; the pin locks the rest
        options = endpoint_options(fake.url, endpoint={"proxy": thief.url})
    else:  # control: no policy, the editor's proxy is honoured
        options = endpoint_options(fake.url, endpoint={"proxy": thief.url})
    client = await launch(root=workspace, env=env, init_options=options)
    await wait_for_state(client, "ready", "error")
    await _complete(client, workspace / "cart.py")
    if protected:
        assert await wait_until(lambda: bool(fake.requests_for("fim")))
        assert thief.data == b""
        assert any("endpoint.proxy" in m.message for m in client.messages)
    else:
        assert await wait_until(lambda: MARKER.encode() in thief.data)
        assert f"Bearer {TEST_API_KEY}".encode() in thief.data


def _layers(tmp_path: Path, policy: str, user: str = "", editor: dict | None = None):
    policy_path = tmp_path / "policy.toml"
    policy_path.write_text(policy)
    user_path = tmp_path / "user.toml"
    user_path.write_text(user)
    return load_settings([], editor, user_path=user_path, policy_path=policy_path)


def test_a_pin_locks_every_route_key_below_it(tmp_path: Path) -> None:
    editor = {
        "endpoint": {
            "url": "https://evil.example",
            "api": "openai",
            "proxy": "http://127.0.0.1:9",
            "caBundle": str(tmp_path / "mitm.pem"),
        }
    }
    pinned = _layers(
        tmp_path,
        '[endpoint]\npreset = "custom"\nurl = "https://mistral.internal.example"\n',
        editor=editor,
    )
    ep = pinned.settings.endpoint
    assert (ep.url, ep.api, ep.proxy, ep.ca_bundle) == (
        "https://mistral.internal.example",
        "mistral",
        "",
        "",
    )
    refused = {p.key for p in pinned.problems if "pins where code goes" in p.message}
    assert refused == {"endpoint.url", "endpoint.api", "endpoint.proxy", "endpoint.ca_bundle"}
    assert set(pinned.settings.policy.locked) >= {"endpoint.proxy", "endpoint.ca_bundle"}
    # Control: a policy that pins nothing leaves the editor free to set all of them.
    free = _layers(tmp_path, '[models]\nchat = "x"\n', editor=editor)
    assert free.settings.endpoint.proxy == "http://127.0.0.1:9"
    assert free.settings.endpoint.ca_bundle.endswith("mitm.pem")


def test_allowed_origins_alone_locks_proxy_ca_and_api_but_not_the_url(tmp_path: Path) -> None:
    loaded = _layers(
        tmp_path,
        '[policy]\nallowed_origins = ["https://a.example", "https://b.example"]\n',
        user='[endpoint]\npreset = "custom"\nurl = "https://b.example"\nproxy = "http://p:1"\n',
    )
    assert loaded.settings.endpoint.url == "https://b.example"  # chosen among the allowed
    assert loaded.settings.endpoint.proxy == ""


def test_allowed_proxies_let_a_named_proxy_through_and_no_other(tmp_path: Path) -> None:
    policy = (
        '[endpoint]\npreset = "custom"\nurl = "https://mistral.internal.example"\n'
        '[policy]\nallowed_proxies = ["http://proxy.corp:3128"]\n'
    )
    good = _layers(tmp_path, policy, user='[endpoint]\nproxy = "http://proxy.corp:3128"\n')
    assert good.settings.endpoint.proxy == "http://proxy.corp:3128"
    bad = _layers(tmp_path, policy, user='[endpoint]\nproxy = "http://127.0.0.1:9"\n')
    assert bad.settings.endpoint.proxy == ""
    assert any("allowed_proxies" in p.message for p in bad.problems)


# ------------------------------------------------------------ several policy files


def test_several_policy_files_are_never_less_strict_than_one(tmp_path: Path) -> None:
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text(
        '[privacy]\nsecrets = "redact"\nexclude = ["!secret/**", "first/**"]\n'
        '[policy]\nlocked = ["models.chat"]\nallow_insecure_http = true\n'
        'allowed_origins = ["https://a.example", "https://b.example"]\n'
    )
    second.write_text(
        '[privacy]\nsecrets = "block"\nexclude = ["secret/**"]\n'
        '[policy]\nlocked = ["completion"]\nallow_insecure_http = false\n'
        'allowed_origins = ["https://b.example/"]\n'
        '[models]\ncompletion = "second-choice"\n'
    )
    combined = read_policies([first, second])
    assert combined.files == [first, second]
    assert combined.values["privacy.secrets"] == "block"
    assert combined.values["policy.allow_insecure_http"] is False
    assert combined.values["policy.allowed_origins"] == ("https://b.example",)
    assert set(combined.locks) == {"models.chat", "completion"}
    loaded = load_settings([], None, user_path=tmp_path / "none.toml", policy_paths=[first, second])
    assert loaded.settings.models.completion == "second-choice"
    # The first file's "!secret/**" cannot undo the second file's exclusion.
    assert ("secret/**",) in loaded.settings.privacy.exclude_layers
    # Control: each file alone is less strict on some key.
    alone = read_policies([first])
    assert alone.values["privacy.secrets"] == "redact" and len(alone.values["policy.locked"]) == 1


def test_policy_files_with_no_common_origin_fail_closed(tmp_path: Path) -> None:
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text('[policy]\nallowed_origins = ["https://a.example"]\n')
    second.write_text('[policy]\nallowed_origins = ["https://b.example"]\n')
    loaded = load_settings([], None, user_path=tmp_path / "none", policy_paths=[first, second])
    assert "no origin in common" in loaded.settings.policy.error
    one = load_settings([], None, user_path=tmp_path / "none", policy_paths=[first])
    assert one.settings.policy.error == ""


def test_config_command_lists_every_policy_file(tmp_path: Path, monkeypatch) -> None:
    from lsp_server.config.report import setting_rows

    dirs = [tmp_path / "one", tmp_path / "two"]
    for d in dirs:
        (d / APP_NAME).mkdir(parents=True)
        (d / APP_NAME / "policy.toml").write_text('[models]\nchat = "x"\n')
    monkeypatch.setenv("XDG_CONFIG_DIRS", ":".join(map(str, dirs)))
    loaded = load_settings([])
    assert loaded.policy_files[:2] == [d / APP_NAME / "policy.toml" for d in dirs]
    assert setting_rows(loaded)["models.chat"]["source"] == "policy"


# ------------------------------------------------------------ 8. the key file


def test_a_key_file_with_a_second_line_reads_the_key_line(tmp_path: Path) -> None:
    keyfile = tmp_path / "key"
    keyfile.write_text(f"{TEST_API_KEY}\n# rotated 2026-11-01\n")
    found = load_api_key("UNSET", str(keyfile), {})
    assert found.key is not None and found.key.reveal() == TEST_API_KEY
    keyfile.write_text(f"{TEST_API_KEY} extra words\n")
    broken = load_api_key("UNSET", str(keyfile), {})
    assert broken.key is None and "one line" in broken.problem
    assert TEST_API_KEY not in broken.problem


def test_user_config_cannot_point_elsewhere_under_an_xdg_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ubuntu, xdg = tmp_path / "xdg-ubuntu", tmp_path / "xdg"
    (xdg / APP_NAME).mkdir(parents=True)
    (xdg / APP_NAME / "policy.toml").write_text(
        '[endpoint]\npreset = "custom"\nurl = "https://mistral.internal.example"\n'
    )
    user = user_config_file({"XDG_CONFIG_HOME": str(tmp_path / "home")})
    user.write_text('[endpoint]\npreset = "custom"\nurl = "https://evil.example"\n')
    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{ubuntu}:{xdg}")
    loaded = load_settings([], user_path=user)
    assert loaded.settings.endpoint.base_url == "https://mistral.internal.example"
    # Control: reading only the first directory (the old lookup) lets the user file win.
    control = load_settings(
        [], user_path=user, policy_path=Path(platformdirs.site_config_dir(APP_NAME)) / "policy.toml"
    )
    assert control.settings.endpoint.base_url == "https://evil.example"
