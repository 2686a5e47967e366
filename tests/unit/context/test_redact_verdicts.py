"""The index's secret verdicts: a file that no rule found anything in when it was indexed
is not scanned by the rules again at assembly time -- only while the text held there is
that very content, under the same rules. Anything else (a file changed since, a file with a
secret, other rules, the API key, a value learned elsewhere) is found as before."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from lsp_server.context import ContextBuilder
from lsp_server.context.redact import Scrubber, forget_files
from lsp_server.endpoint import secrets as secrets_module
from lsp_server.endpoint.secrets import SecretScanner, Span, configure_scanner, learn
from lsp_server.index import worker
from lsp_server.index.repo_index import IndexOptions, RepoIndex, index_at
from lsp_server.index.walk import read_signature

SECRET = "Zq8vN3xR7mW2pL5tK9yB44"
CLEAN = "def helper():\n    return 1\n"
ACME = "acme_live_" + "q7Hk2Lm9Zx4Tv8Rw1Ys6Pb3N"  # no name or prefix the built-ins know
ACME_RULES = """
[[rules]]
id = "acme-live-key"
regex = '''\\b(acme_live_[A-Za-z0-9]{24})\\b'''
secretGroup = 1
keywords = ["acme_live_"]
"""


class _RuleCounter(SecretScanner):
    """Counts the texts its rules run over (the whole-file scans a verdict saves)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.ruled: list[str] = []

    def _rule_spans(self, text: str) -> list[Span]:
        self.ruled.append(text)
        return super()._rule_spans(text)


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    secrets_module.forget_learned()
    forget_files()
    yield
    secrets_module.forget_learned()
    forget_files()


def _indexed(tmp_path: Path, files: dict[str, str], **options: str) -> RepoIndex:
    root = tmp_path / "repo"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    index = RepoIndex(root, IndexOptions(cache_dir=tmp_path / "cache", **options))
    index.build()
    return index


def _learn(index: RepoIndex, rel: str, scanner: SecretScanner) -> bool:
    """A new request's scrubber learning `rel` (caches of earlier requests forgotten)."""
    forget_files()
    return Scrubber(index.root, scanner=scanner, defer=True).learn_file(rel)


def test_a_clean_indexed_file_is_not_scanned_by_the_rules_again(tmp_path: Path) -> None:
    index = _indexed(tmp_path, {"util.py": CLEAN})
    scanner = _RuleCounter()
    assert index_at(index.root) is index
    sha, clean, _stat = index.secrets_verdict("util.py") or ("", "", "")
    assert clean == scanner.rules_digest
    assert not _learn(index, "util.py", scanner)
    assert scanner.ruled == []
    # control: without the index's verdict the same file is scanned
    index.close()
    assert index_at(index.root) is None
    assert not _learn(index, "util.py", scanner)
    assert scanner.ruled == [CLEAN]


def test_a_file_changed_after_indexing_is_scanned_and_its_secret_found(tmp_path: Path) -> None:
    index = _indexed(tmp_path, {"util.py": CLEAN})
    changed = f'def helper():\n    password = "{SECRET}"\n'
    (index.root / "util.py").write_text(changed)  # not re-indexed (no watcher here)
    # control: the stored verdict still says clean -- trusting it by path would leak
    assert index.secrets_verdict("util.py")[1] == SecretScanner().rules_digest  # type: ignore[index]
    scanner = _RuleCounter()
    assert _learn(index, "util.py", scanner)
    assert scanner.ruled == [changed]
    assert SECRET not in scanner.scan(f"x = {SECRET}").text  # learned: redacted anywhere


def test_an_open_document_differing_from_the_disk_is_scanned(tmp_path: Path) -> None:
    index = _indexed(tmp_path, {"util.py": CLEAN})
    edited = f'def helper():\n    token = "{SECRET}"\n'
    scanner = _RuleCounter()
    scrubber = Scrubber(index.root, scanner=scanner, defer=True)
    scrubber.know("util.py", edited)  # the editor's buffer, newer than the disk
    assert scrubber.learn_file("util.py")
    assert scanner.ruled == [edited]


def test_a_file_with_a_secret_has_no_verdict_and_is_scanned(tmp_path: Path) -> None:
    text = f'DB_PASSWORD = "{SECRET}"\n'
    index = _indexed(tmp_path, {"settings.py": text})
    assert index.secrets_verdict("settings.py")[1] == ""  # type: ignore[index]
    scanner = _RuleCounter()
    assert _learn(index, "settings.py", scanner)
    assert scanner.ruled == [text]


def test_other_rules_than_the_indexed_ones_scan_again(tmp_path: Path) -> None:
    rules = tmp_path / "gitleaks.toml"
    rules.write_text(ACME_RULES)
    text = f"deploy(target={ACME!r})\n"
    index = _indexed(tmp_path, {"deploy.py": text})  # built-in rules only: clean
    assert index.secrets_verdict("deploy.py")[1] == SecretScanner().rules_digest  # type: ignore[index]
    assert not _learn(index, "deploy.py", SecretScanner())  # control: the built-ins miss it
    with_rules = _RuleCounter(extra_rules_path=rules)
    assert with_rules.rules_digest != SecretScanner().rules_digest
    assert _learn(index, "deploy.py", with_rules)
    assert with_rules.ruled == [text]


def test_the_index_scans_with_the_configured_rules(tmp_path: Path) -> None:
    rules = tmp_path / "gitleaks.toml"
    rules.write_text(ACME_RULES)
    text = f"deploy(target={ACME!r})\n"
    try:
        index = _indexed(tmp_path, {"deploy.py": text, "util.py": CLEAN}, secret_rules=str(rules))
    finally:
        worker.use_secret_rules("")
    digest = SecretScanner(extra_rules_path=rules).rules_digest
    assert index.secrets_verdict("deploy.py")[1] == ""  # type: ignore[index]
    assert index.secrets_verdict("util.py")[1] == digest  # type: ignore[index]


def _prefix_importing_connect(index: RepoIndex) -> str:
    text = "from client import connect\n\nconn = "
    context = ContextBuilder(index, is_excluded=lambda _p: False).build(
        path=index.root / "app.py",
        language_id="python",
        text=text,
        offset=len(text),
        budget_tokens=600,
    )
    return context.prefix


def test_the_api_key_and_learned_values_in_a_clean_file_never_leave(tmp_path: Path) -> None:
    """A clean file's whole text is not looked through for them (a file that hashes to its
    clean content is not even decoded): each piece cut from it is, by value."""
    key = "Kq3Zr8Wm2Lp5Xv9Tn4Bc7Yd6Hf1Gs0Ja"
    other = "Vb7Nm2Qx9Lk4Rt8Wz3Hp6"
    text = f"def connect(host, args=({key!r}, {other!r})):\n    return host\n"
    index = _indexed(tmp_path, {"client.py": text})
    assert index.secrets_verdict("client.py")[1]  # type: ignore[index]  # no rule sees them
    try:
        # control: unknown, both values are in the piece chosen from the clean file
        configure_scanner()
        prefix = _prefix_importing_connect(index)
        assert "def connect(host," in prefix and key in prefix and other in prefix
        configure_scanner(known_secrets=[key])  # the API key, by value
        learn(f"x = '{other}'", [Span(5, 5 + len(other), "generic")])  # found in another file
        forget_files()
        prefix = _prefix_importing_connect(index)
        assert "def connect(host," in prefix
        assert key not in prefix and other not in prefix
    finally:
        secrets_module._current = None


def test_a_clean_file_that_hashes_to_its_indexed_content_is_not_decoded(tmp_path: Path) -> None:
    index = _indexed(tmp_path, {"util.py": CLEAN})
    scrubber = Scrubber(index.root, scanner=_RuleCounter(), defer=True)
    assert not scrubber.learn_file("util.py")
    assert "util.py" not in scrubber._texts  # read as bytes and hashed only
    # control: one changed byte and the text is read and scanned whole
    (index.root / "util.py").write_text(CLEAN.replace("1", "2"))
    counter = _RuleCounter()
    fresh = Scrubber(index.root, scanner=counter, defer=True)
    assert not fresh.learn_file("util.py")
    assert counter.ruled == [CLEAN.replace("1", "2")]


def test_a_change_on_disk_that_is_indexed_gets_a_new_verdict(tmp_path: Path) -> None:
    index = _indexed(tmp_path, {"util.py": CLEAN})
    (index.root / "util.py").write_text(f'api_token = "{SECRET}"\n')
    index.refresh_path("util.py")
    assert index.secrets_verdict("util.py")[1] == ""  # type: ignore[index]
    (index.root / "util.py").write_text(CLEAN + "\n")
    index.refresh_path("util.py")
    assert index.secrets_verdict("util.py")[1] == SecretScanner().rules_digest  # type: ignore[index]


def test_the_verdict_survives_pickling_from_a_pool_worker() -> None:
    import pickle

    parsed = worker.process_data("a.py", CLEAN.encode(), len(CLEAN), 1, "python")
    assert isinstance(parsed, worker.Parsed)
    assert parsed.secrets_clean == SecretScanner().rules_digest
    assert pickle.loads(pickle.dumps(parsed)) == parsed
    leaked = f'password = "{SECRET}"\n'.encode()
    found = worker.process_data("b.py", leaked, len(leaked), 1, "python")
    assert isinstance(found, worker.Parsed) and found.secrets_clean == ""


def test_verdicts_under_other_rules_are_found_again_on_the_next_build(tmp_path: Path) -> None:
    rules = tmp_path / "gitleaks.toml"
    rules.write_text(ACME_RULES)
    text = f"deploy(target={ACME!r})\n"
    index = _indexed(tmp_path, {"deploy.py": text, "util.py": CLEAN})
    assert index.secrets_verdict("deploy.py")[1] == SecretScanner().rules_digest  # type: ignore[index]
    index.close()
    options = IndexOptions(cache_dir=tmp_path / "cache", secret_rules=str(rules))
    again = RepoIndex(index.root, options)
    try:
        stats = again.build()  # same files, same stats: only the verdicts are stale
    finally:
        worker.use_secret_rules("")
    assert stats.parsed_files == 2 and stats.cached_files == 0
    digest = SecretScanner(extra_rules_path=rules).rules_digest
    assert again.secrets_verdict("deploy.py")[1] == ""  # type: ignore[index]
    assert again.secrets_verdict("util.py")[1] == digest  # type: ignore[index]
    # control: with the same rules, nothing is read again
    assert RepoIndex(index.root, options).build().cached_files == 2
    worker.use_secret_rules("")


def test_a_cold_assembly_asks_the_rules_of_no_piece_of_a_clean_indexed_file(
    tmp_path: Path,
) -> None:
    """While packing is deferred, pieces are looked through by value only; the rules are
    asked of the whole files chosen (`settle`), and a clean indexed one needs none."""
    text = "def connect(host, port):\n    return host\n"
    index = _indexed(tmp_path, {"client.py": text})
    counter = _RuleCounter()
    secrets_module._current = counter
    try:
        assert "def connect(host, port)" in _prefix_importing_connect(index)
        assert counter.ruled and not any("def connect" in t for t in counter.ruled)
        # control: changed on disk since indexed, the chosen file is scanned whole
        (index.root / "client.py").write_text(text + "# changed\n")
        forget_files()
        counter.ruled.clear()
        assert "def connect(host, port)" in _prefix_importing_connect(index)
        assert text + "# changed\n" in counter.ruled
    finally:
        secrets_module._current = None


def _hash_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the scrubber reads to hash (see `redact._hashed_signature`)."""
    from lsp_server.context import redact

    read: list[str] = []
    real = redact._hashed_signature

    def hashed(key: str, sha256: str) -> str | None:
        read.append(os.path.basename(key))
        return real(key, sha256)

    monkeypatch.setattr(redact, "_hashed_signature", hashed)
    return read


def test_a_clean_file_with_the_stat_the_index_read_it_at_is_not_even_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = _indexed(tmp_path, {"util.py": CLEAN})
    read = _hash_reads(monkeypatch)
    verdict = index.secrets_verdict("util.py")
    assert verdict is not None
    assert verdict.read_stat == read_signature(os.stat(index.root / "util.py"))
    assert not _learn(index, "util.py", _RuleCounter())
    assert read == []
    # control: touched since (same bytes, another stat), it is read and hashed, still clean
    os.utime(index.root / "util.py", ns=(1, 1))
    counter = _RuleCounter()
    assert not _learn(index, "util.py", counter)
    assert read == ["util.py"] and counter.ruled == []


def test_a_same_size_rewrite_with_the_old_mtime_is_not_trusted_by_its_stat(
    tmp_path: Path,
) -> None:
    """A secret written over a clean file, same size, mtime set back: the ctime moved."""
    clean = f'TOKEN = "{"x" * len(SECRET)}"\n'
    index = _indexed(tmp_path, {"conf.py": clean})
    path = index.root / "conf.py"
    before = os.stat(path)
    path.write_text(f'TOKEN = "{SECRET}"\n')
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    # control: size and mtime alone (what a rebuild checks) say the file is unchanged
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    counter = _RuleCounter()
    assert _learn(index, "conf.py", counter)
    assert counter.ruled == [f'TOKEN = "{SECRET}"\n']


def test_a_file_written_to_while_indexed_gets_no_stat_to_vouch_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "util.py"
    path.write_text(CLEAN)
    stat = os.stat(path)
    task = worker.Task("util.py", str(path), stat.st_size, stat.st_mtime_ns, "python", "")
    parsed = worker.process(task)
    assert isinstance(parsed, worker.Parsed)
    assert parsed.read_stat == read_signature(stat)
    assert pickle.loads(pickle.dumps(parsed)) == parsed
    # a write while the handle is read: another ctime after the read than before it
    real, looks = os.fstat, []

    def fstat(fd: int) -> object:
        found = real(fd)
        looks.append(fd)
        if len(looks) != 2:
            return found
        return SimpleNamespace(
            st_size=found.st_size,
            st_mtime_ns=found.st_mtime_ns,
            st_ctime_ns=found.st_ctime_ns + 1,
            st_ino=found.st_ino,
        )

    with monkeypatch.context() as patched:
        patched.setattr(worker.os, "fstat", fstat)
        changed = worker.process(task)
    assert isinstance(changed, worker.Parsed) and changed.read_stat == ""


def test_an_unchanged_refresh_records_the_new_stat(tmp_path: Path) -> None:
    index = _indexed(tmp_path, {"util.py": CLEAN})
    os.utime(index.root / "util.py", ns=(5_000_000_000, 5_000_000_000))
    index.refresh_path("util.py")  # same bytes: only the stat is stored again
    verdict = index.secrets_verdict("util.py")
    assert verdict is not None and verdict.clean
    assert verdict.read_stat == read_signature(os.stat(index.root / "util.py"))
