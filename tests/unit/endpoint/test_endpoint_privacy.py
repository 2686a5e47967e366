"""What may be sent: exclusions, secrets, the API key, and an audit record for every request."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lsp_server.endpoint import (
    ChatRequest,
    ContentExcluded,
    EndpointError,
    EndpointService,
    FimRequest,
    SecretsBlocked,
)
from lsp_server.endpoint.audit import AuditLog, AuditRecord, record_fields
from lsp_server.endpoint.exclusion import ContentExclusion
from lsp_server.endpoint.keys import ApiKey, load_api_key
from lsp_server.endpoint.secrets import SecretScanner
from tests.fake_endpoint import TEST_KEY, FakeMistral, Reply, make_settings

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
MISTRAL_KEY = "Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE"
PEM_BODY = "MIIEowIBAAKCAQEAx4yR2s1n0XZQplantedPEMbodyLINE0123456789abcdef"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    f"{PEM_BODY}\n"
    "c2VjcmV0IGtleSBtYXRlcmlhbCBzZWNvbmQgbGluZQ==\n"
    "-----END RSA PRIVATE KEY-----"
)
PLANTED = (
    f'aws_access_key_id = "{AWS_KEY}"\n'
    f'token = "{GITHUB_TOKEN}"\n'
    f'MISTRAL_API_KEY = "{MISTRAL_KEY}"\n'
    f'KEY = """{PEM}"""\n'
    "def main():\n"
)
NEEDLES = (AWS_KEY, GITHUB_TOKEN, MISTRAL_KEY, PEM_BODY, "c2VjcmV0IGtleSBtYXRlcmlhbCBz")


def _service(fake: FakeMistral, tmp_path: Path, **kwargs) -> EndpointService:
    settings = make_settings(fake.url, audit_path=str(tmp_path / "audit.jsonl"), **kwargs)
    return EndpointService(settings, [tmp_path], env={"MISTRAL_API_KEY": TEST_KEY})


# ------------------------------------------------------------------------- exclusion


def _tree(root: Path, files: list[str]) -> None:
    for f in files:
        p = root / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x = 1\n")


def test_deny_list_ignore_files_and_privacy_exclude(tmp_path: Path) -> None:
    files = [
        ".env",
        ".env.production",
        "conf/server.pem",
        "conf/tls.key",
        "home/id_rsa",
        "home/id_ed25519.pub",
        "store.p12",
        "store.pfx",
        ".netrc",
        ".npmrc",
        ".pypirc",
        "vault.kdbx",
        "credentials.json",
        "aws/credentials",
        "secrets.yaml",
        "build/gen.py",
        "private/notes.py",
        "vendor/lib.py",
        "src/app.py",
        "src/keys.py",
    ]
    _tree(tmp_path, files)
    (tmp_path / ".gitignore").write_text("build/\n")
    (tmp_path / ".mistralignore").write_text("private/\n")
    ex = ContentExclusion([tmp_path], privacy_exclude=("vendor/",))
    allowed = {"src/app.py", "src/keys.py"}
    for f in files:
        assert ex.is_excluded(tmp_path / f) == (f not in allowed), f


def test_symlinks_are_resolved_both_ways(tmp_path: Path) -> None:
    ws, outside = tmp_path / "ws", tmp_path / "home"
    _tree(ws, ["src/app.py"])
    _tree(outside, [".ssh/id_rsa", "notes.txt"])
    os.symlink(outside / ".ssh" / "id_rsa", ws / "src" / "innocent.py")
    os.symlink(ws / "src" / "app.py", ws / ".env.link")
    ex = ContentExclusion([ws])
    assert ex.is_excluded(ws / "src" / "innocent.py")  # points at a private key
    assert ex.is_excluded(ws / ".env.link")  # named like a dotenv file
    assert not ex.is_excluded(ws / "src" / "app.py")
    # Outside every root: only the deny list and privacy.exclude apply.
    assert not ex.is_excluded(outside / "notes.txt")
    assert ContentExclusion([ws], ("notes.txt",)).is_excluded(outside / "notes.txt")


async def test_excluded_source_blocks_the_request(tmp_path: Path) -> None:
    _tree(tmp_path, [".env", "src/app.py"])
    with FakeMistral() as fake:
        svc = _service(fake, tmp_path)
        assert svc.is_excluded(".env") and not svc.is_excluded("src/app.py")
        with pytest.raises(ContentExcluded):
            await svc.fim(FimRequest("x", "", 8, sources=["src/app.py", ".env"]))
        with pytest.raises(ContentExcluded):
            await svc.chat(ChatRequest([{"role": "user", "content": "x"}], 8, sources=[".env"]))
        await svc.fim(FimRequest("x", "", 8, sources=["src/app.py"]))
        await svc.aclose()
        assert len(fake.requests) == 1
    records = svc.audit_log.read()
    assert [r["decision"] for r in records] == ["blocked:excluded", "blocked:excluded", "sent"]
    assert records[0]["sources"] == ["src/app.py", ".env"]


# ------------------------------------------------------------------------- secrets


def test_scanner_finds_each_planted_secret() -> None:
    result = SecretScanner().scan(PLANTED)
    for needle in NEEDLES:
        assert needle not in result.text
    assert result.found == {
        "AWS Access Key": 1,
        "GitHub Token": 1,
        "Mistral API Key": 1,
        "Private Key": 1,
    }
    assert "[REDACTED:AWS Access Key]" in result.text and "def main():" in result.text


def test_scanner_leaves_ordinary_code_alone() -> None:
    code = Path(json.__file__).read_text() + Path(logging.__file__).read_text()
    code += '\nif line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    parse(line)\n'
    result = SecretScanner().scan(code)
    assert result.found == {} and result.text == code


def test_scanner_is_fast_on_a_4k_token_prompt() -> None:
    text = (Path(logging.__file__).read_text() * 2)[:16000]  # ~4k tokens of real code
    scanner = SecretScanner(known_secrets=[TEST_KEY])
    scanner.scan(text)
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        scanner.scan(text)
    per_scan_ms = (time.perf_counter() - start) / runs * 1000
    print(f"secret scan of a 4k-token prompt: {per_scan_ms:.2f} ms")
    assert per_scan_ms < 25  # measured ~2 ms; generous for a loaded CI machine


async def test_planted_secrets_never_reach_the_endpoint(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        svc = _service(fake, tmp_path)
        fim = await svc.fim(FimRequest(PLANTED, PLANTED, 8))
        await svc.chat(ChatRequest([{"role": "user", "content": PLANTED}], 8))
        await svc.aclose()
        sent = fake.all_bytes().decode()
    for needle in NEEDLES:
        assert needle not in sent
    assert sent.count("[REDACTED:Private Key]") == 3
    assert fim.redacted["GitHub Token"] == 2  # prompt + suffix
    audit = (tmp_path / "audit.jsonl").read_text()
    assert all(n not in audit for n in NEEDLES)
    assert json.loads(audit.splitlines()[0])["redacted"]["AWS Access Key"] == 2


async def test_block_mode_refuses_and_sends_nothing(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        svc = _service(fake, tmp_path, secrets="block")
        with pytest.raises(SecretsBlocked) as info:
            await svc.fim(FimRequest("x = 1\n" + PLANTED, "", 8))
        assert "AWS Access Key" in info.value.reason and AWS_KEY not in info.value.reason
        with pytest.raises(SecretsBlocked):
            await svc.chat(ChatRequest([{"role": "user", "content": f"k={GITHUB_TOKEN}"}], 8))
        ok = await svc.fim(FimRequest("x = 1\n", "", 8))
        await svc.aclose()
        assert ok.text and len(fake.requests) == 1
    decisions = [r["decision"] for r in svc.audit_log.read()]
    assert decisions == ["blocked:secrets", "blocked:secrets", "sent"]


# ------------------------------------------------------------------------- the key


def test_api_key_hides_itself(tmp_path: Path) -> None:
    key = ApiKey(TEST_KEY)
    assert TEST_KEY not in repr(key) and TEST_KEY not in str(key) and TEST_KEY not in f"{key}"
    assert key.reveal() == TEST_KEY
    assert load_api_key("MY_KEY", "", {"MY_KEY": " v "}).key.reveal() == "v"  # type: ignore[union-attr]
    keyfile = tmp_path / "key.txt"
    keyfile.write_text(TEST_KEY + "\n")
    found = load_api_key("UNSET_VAR", str(keyfile), {})
    assert found.key is not None and found.key.reveal() == TEST_KEY and "file" in found.source
    missing = load_api_key("UNSET_VAR", "", {})
    assert missing.key is None and "UNSET_VAR" in missing.problem


async def test_api_key_never_in_logs_audit_status_errors_or_stderr(
    tmp_path: Path, caplog, capfd
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    with FakeMistral() as fake:
        fake.script(
            "fim",
            Reply(status=401, body=json.dumps({"message": f"bad key {TEST_KEY}"})),
            Reply(status=500),
            Reply(redirect_to="http://127.0.0.1:9/"),
            Reply(chunks=3, cut_after=1),
        )
        statuses = []
        svc = EndpointService(
            make_settings(fake.url, audit_path=str(tmp_path / "audit.jsonl")),
            [tmp_path],
            on_status=statuses.append,
            env={"MISTRAL_API_KEY": TEST_KEY},
            chat_retries=0,
        )
        for _ in range(4):
            try:
                await svc.fim(FimRequest(f"key = '{TEST_KEY}'\n", "", 8))
            except EndpointError as exc:
                errors += [exc.reason, str(exc), repr(exc)]
        await svc.fim(FimRequest("x", "", 8))
        await svc.chat(ChatRequest([{"role": "user", "content": TEST_KEY}], 8))
        await svc.list_models()
        await svc.aclose()
        # The key went where it belongs, as a header, and nowhere in a body.
        assert all(r.headers["authorization"] == f"Bearer {TEST_KEY}" for r in fake.requests)
        assert all(TEST_KEY.encode() not in r.raw for r in fake.requests)
    out, err = capfd.readouterr()
    assert len(errors) == 12
    everything = "\n".join(
        [caplog.text, out, err, (tmp_path / "audit.jsonl").read_text(), *errors]
        + [repr(s) for s in statuses]
        + [repr(svc.status), repr(svc.__dict__)]
    )
    assert TEST_KEY not in everything
    assert "rejected the API key" in "\n".join(errors)


# ------------------------------------------------------------------------- audit


async def test_every_recorded_request_has_its_audit_record(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        fake.script("fim", Reply(status=503), Reply(status=429, headers={"Retry-After": "0"}))
        fake.script("chat", Reply(status=502), Reply(text="ok"))
        svc = EndpointService(
            make_settings(fake.url, audit_path=str(tmp_path / "audit.jsonl")),
            [tmp_path],
            env={"MISTRAL_API_KEY": TEST_KEY},
            backoff_s=0.01,
        )
        for _ in range(3):
            with contextlib.suppress(EndpointError):
                await svc.fim(FimRequest("def f(", "", 8, sources=["src/a.py"]))
        await svc.chat(ChatRequest([{"role": "user", "content": "refactor"}], 8))
        await svc.list_models()
        await svc.aclose()
        received = fake.requests
    records = svc.audit_log.read()
    sent = [r for r in records if r["http_status"] is not None]
    assert len(sent) == len(received) == 6
    assert sorted(r["payload_sha256"] for r in sent) == sorted(
        hashlib.sha256(r.raw).hexdigest() for r in received
    )
    first = records[0]
    assert first["decision"] == "failed:http" and first["http_status"] == 503
    assert first["sources"] == ["src/a.py"] and first["origin"] == fake.url
    assert first["time"].endswith("+00:00")
    chat = [r for r in records if r["operation"] == "chat"]
    assert [r["retries"] for r in chat] == [0, 1] and chat[-1]["decision"] == "sent"
    assert chat[-1]["usage"]["total_tokens"] > 0 and chat[-1]["bytes_in"] > 0
    for r in records:
        assert set(r) >= {
            "request_id",
            "operation",
            "origin",
            "model",
            "decision",
            "bytes_out",
            "bytes_in",
            "usage",
            "latency_ms",
            "http_status",
            "retries",
            "redacted",
            "payload_sha256",
            "sources",
            "policy_digest",
        }
        assert "def f(" not in json.dumps(r) and "refactor" not in json.dumps(r)


async def test_a_completions_audit_record_can_wait_for_its_answer(tmp_path: Path) -> None:
    """`after_answer` gets the record of a completed FIM, made when it completed, to write
    after the editor's answer; a failed one is still recorded at once."""
    pending: list[Callable[[], None]] = []
    with FakeMistral() as fake:
        svc = _service(fake, tmp_path)
        result = await svc.fim(FimRequest("def f(", "", 8), after_answer=pending.append)
        assert svc.audit_log.read() == [] and pending  # not written yet
        for work in pending:
            work()
        pending.clear()
        (record,) = svc.audit_log.read()
        assert record["decision"] == "sent" and record["request_id"] == result.request_id
        assert record["payload_sha256"] == hashlib.sha256(fake.requests[0].raw).hexdigest()
        # Control: without `after_answer` the record is written before fim returns.
        await svc.fim(FimRequest("def g(", "", 8))
        assert len(svc.audit_log.read()) == 2
        # A failed attempt is recorded at once, `after_answer` or not.
        fake.script("fim", Reply(status=503))
        with pytest.raises(EndpointError):
            await svc.fim(FimRequest("def h(", "", 8), after_answer=pending.append)
        assert pending == [] and svc.audit_log.read()[-1]["decision"] == "failed:http"
        await svc.aclose()


def test_an_audit_line_holds_the_whole_record(tmp_path: Path) -> None:
    """The record's fields as `dataclasses.asdict` gives them (the writer copies them itself,
    shallowly); what is written does not change when the record is reused."""
    record = AuditRecord(
        "r1",
        "fim",
        "https://x",
        "m",
        "sent",
        usage={"prompt_tokens": 3},
        redacted={"aws": 1},
        sources=["a.py", "b.py"],
        http_status=200,
    )
    assert record_fields(record) == dataclasses.asdict(record)
    log = AuditLog(tmp_path / "audit.jsonl")
    log.write(record)
    record.sources.append("c.py")
    record.usage["prompt_tokens"] = 9
    (line,) = log.read()
    chained = {"seq", "prev"}  # the hash chain's own fields
    written = {"kind": "request", **dataclasses.asdict(record)}
    written.update(sources=["a.py", "b.py"], usage={"prompt_tokens": 3})
    assert {k: v for k, v in line.items() if k not in chained} == written


def test_audit_log_rotates_by_size(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=2000, backups=2)
    for i in range(40):
        log.write(AuditRecord(f"r{i}", "fim", "https://x", "m", "sent"))
    assert (tmp_path / "audit.jsonl.1").exists() and (tmp_path / "audit.jsonl.2").exists()
    assert not (tmp_path / "audit.jsonl.3").exists()
    assert (tmp_path / "audit.jsonl").stat().st_size <= 2000
    assert log.read()[-1]["request_id"] == "r39"
    if sys.platform != "win32":
        assert (tmp_path / "audit.jsonl").stat().st_mode & 0o077 == 0


async def test_audit_can_be_disabled(tmp_path: Path) -> None:
    with FakeMistral() as fake:
        from dataclasses import replace

        settings = make_settings(fake.url, audit_path=str(tmp_path / "audit.jsonl"))
        settings = replace(settings, privacy=replace(settings.privacy, audit_log=False))
        svc = EndpointService(settings, [tmp_path], env={"MISTRAL_API_KEY": TEST_KEY})
        await svc.fim(FimRequest("x", "", 8))
        await svc.aclose()
    assert not (tmp_path / "audit.jsonl").exists()
