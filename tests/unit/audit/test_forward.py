"""Forwarding: a real rsyslogd stopped and restarted mid-run, and an OTLP/HTTP receiver.

Nothing written while the collector is down is lost, nothing is sent twice across a restart
of our process, and a write never waits for the network.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsp_server.audit.chain import Entry, line_hash, verify
from lsp_server.audit.config import ForwardConfig
from lsp_server.audit.forward import read_after, read_cursor
from lsp_server.audit.syslog import format_message, frame
from lsp_server.config.settings import PolicySettings
from lsp_server.endpoint.audit import AuditLog, AuditRecord
from tests.unit.audit.collectors import OtlpReceiver, Rsyslog, rsyslogd, wait_for


def _config(url: str, **kw: object) -> ForwardConfig:
    fast = {"min_backoff_s": 0.05, "max_backoff_s": 0.4, "poll_s": 0.2, "timeout_s": 5.0}
    return ForwardConfig(url, policy=PolicySettings(), **(fast | kw))  # type: ignore[arg-type]


def _record(i: int) -> AuditRecord:
    return AuditRecord(f"r{i}", "fim", "https://m.example", "codestral", "sent", bytes_out=i)


def test_syslog_message_is_rfc5424_with_octet_counting() -> None:
    line = b'{"seq":7,"prev":"00","time":"2026-11-29T10:00:00.000+00:00"}'
    entry = Entry(7, "ab" * 32, line)
    message = format_message(entry, "laptop-1")
    assert message.startswith(b"<110>1 2026-11-29T10:00:00.000+00:00 laptop-1 mistral-lsp ")
    assert b' audit [audit@32473 seq="7" hash="' + b"ab" * 32 + b'"] {"seq":7' in message
    framed = frame(message)
    length, _, rest = framed.partition(b" ")
    assert int(length) == len(rest) == len(message)


def test_reader_resumes_across_rotation(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", max_bytes=3000, backups=20)
    for i in range(30):
        log.write(_record(i))
    got, hint = read_after(log.path, 0, 7)
    assert [e.seq for e in got] == list(range(1, 8))
    seen = [e.seq for e in got]
    while True:
        more, hint = read_after(log.path, seen[-1], 7, hint)
        if not more:
            break
        seen += [e.seq for e in more]
    assert seen == list(range(1, 31))
    assert got[0].hash == line_hash(got[0].line)


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    if rsyslogd() is None:
        pytest.skip("rsyslogd is not installed (apt-get install rsyslog)")
    server = Rsyslog(tmp_path / "rsyslog")
    server.start()
    yield server
    server.stop()


def test_rsyslog_down_mid_run_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, rsyslog: Rsyslog
) -> None:
    path = tmp_path / "audit.jsonl"
    config = _config(f"syslog+tcp://127.0.0.1:{rsyslog.port}", batch=50)
    log = AuditLog(path, forward=config)
    assert log.forward_error == ""
    forwarder = log._forwarder
    written = 0
    slowest = 0.0
    stop_writing = threading.Event()

    def writer() -> None:
        nonlocal written, slowest
        while not stop_writing.is_set():
            started = time.perf_counter()
            log.write(_record(written))
            slowest = max(slowest, time.perf_counter() - started)
            written += 1
            stop_writing.wait(0.002)  # pacing of the writer, not an assertion

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert wait_for(lambda: len(rsyslog.seqs()) >= 100)
        rsyslog.stop()  # the collector goes away in the middle of the run
        failures = forwarder.stats.failures
        assert wait_for(lambda: forwarder.stats.failures > failures)
        at_stop = written
        assert wait_for(lambda: written >= at_stop + 200)  # records keep coming meanwhile
        assert forwarder.backlog() > 0  # ... and wait in the file
        rsyslog.start()
        assert wait_for(lambda: written >= at_stop + 300)
    finally:
        stop_writing.set()
        thread.join()
    assert wait_for(lambda: len(set(rsyslog.seqs())) == written, 60), (
        f"{len(set(rsyslog.seqs()))} of {written} records reached rsyslog"
    )
    seqs = rsyslog.seqs()
    assert sorted(set(seqs)) == list(range(1, written + 1))  # nothing lost
    duplicates = [s for s, n in Counter(seqs).items() if n > 1]
    # Plain TCP syslog has no acknowledgement: only a batch the collector was reading when
    # it died could arrive twice (the messages carry seq and hash for de-duplication).
    assert len(duplicates) <= config.batch, duplicates
    # A write that waited for the network would take the sender's timeout (5 s); the bound
    # leaves room for a loaded CI machine (bench/audit.py measures the real cost).
    assert slowest < config.timeout_s / 2, f"a write took {slowest:.3f}s during the outage"
    assert forwarder.flush(10)  # rsyslog may write a batch before we record it as sent
    assert read_cursor(path, forwarder.dest.name).seq == written
    log.close()


def test_a_restart_resumes_after_the_cursor_without_duplicates(
    tmp_path: Path, rsyslog: Rsyslog
) -> None:
    path = tmp_path / "audit.jsonl"
    url = f"syslog+tcp://127.0.0.1:{rsyslog.port}"
    log = AuditLog(path, forward=_config(url))
    for i in range(40):
        log.write(_record(i))
    assert wait_for(lambda: len(rsyslog.seqs()) == 40)
    log.close()  # the editor window closes
    quiet = AuditLog(path, forward=None)  # records written while nobody forwards
    for i in range(40, 60):
        quiet.write(_record(i))
    quiet.close()
    again = AuditLog(path, forward=_config(url))  # the next session
    for i in range(60, 70):
        again.write(_record(i))
    assert wait_for(lambda: len(rsyslog.seqs()) >= 70)
    assert again._forwarder.flush(10)
    assert rsyslog.seqs() == list(range(1, 71))
    again.close()
    assert verify(path).ok


def test_otlp_receiver_gets_every_record_across_an_outage(tmp_path: Path) -> None:
    receiver = OtlpReceiver()
    try:
        path = tmp_path / "audit.jsonl"
        log = AuditLog(path, forward=_config(f"otlp+http://127.0.0.1:{receiver.port}"))
        for i in range(30):
            log.write(_record(i))
        log.write_event("accepted", "python", "r1")
        assert wait_for(lambda: len(receiver.records) == 31)
        receiver.failing = True
        failures = log._forwarder.stats.failures
        for i in range(31, 60):
            log.write(_record(i))
        assert wait_for(lambda: log._forwarder.stats.failures > failures)
        receiver.failing = False
        assert wait_for(lambda: len(receiver.records) == 60)
        assert receiver.seqs() == list(range(1, 61))
        assert set(receiver.paths) == {"/v1/logs"}
        assert receiver.resources[0]["service.name"] == "mistral-lsp"
        lines = path.read_bytes().splitlines()
        for (seq, digest, body), line in zip(receiver.records, lines, strict=True):
            assert body.encode() == line and digest == line_hash(line)
            assert json.loads(body)["seq"] == seq
        log.close()
    finally:
        receiver.close()


def test_a_refused_destination_turns_forwarding_off_not_auditing(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl", forward=_config("ftp://collector.example"))
    assert "syslog+tls://" in log.forward_error and log._forwarder is None
    log.write(_record(1))
    assert verify(log.path).records == 1


def test_one_forwarder_per_log_follows_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    receiver = OtlpReceiver()
    try:
        config = _config(f"otlp+http://127.0.0.1:{receiver.port}")
        first = AuditLog(path, forward=config)
        again = AuditLog(path, forward=config)  # a reconfiguration with the same settings
        assert again._forwarder is first._forwarder
        reader = AuditLog(path)  # readers (doctor, tests) leave forwarding alone
        assert reader._forwarder is None and first._forwarder._thread.is_alive()
        off = AuditLog(path, forward=None)  # forwarding switched off
        assert off._forwarder is None
        assert wait_for(lambda: not first._forwarder._thread.is_alive())
    finally:
        receiver.close()


CHILD = """
import sys
from lsp_server.audit.config import ForwardConfig
from lsp_server.config.settings import PolicySettings
from lsp_server.endpoint.audit import AuditLog, AuditRecord
path, url, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = ForwardConfig(url, policy=PolicySettings(), poll_s=0.1, min_backoff_s=0.05)
log = AuditLog(path, forward=config)
for i in range(count):
    log.write(AuditRecord(f"child-{i}", "fim", "https://m.example", "m", "sent"))
assert log._forwarder.flush(30)
"""


def test_two_processes_forwarding_one_log_send_each_record_once(
    tmp_path: Path, rsyslog: Rsyslog
) -> None:
    import subprocess
    import sys

    path = tmp_path / "audit.jsonl"
    url = f"syslog+tcp://127.0.0.1:{rsyslog.port}"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    root = Path(__file__).resolve().parents[3]
    child = subprocess.Popen([sys.executable, str(script), str(path), url, "300"], cwd=root)
    log = AuditLog(path, forward=_config(url, poll_s=0.1))
    for i in range(300):
        log.write(_record(i))
    assert child.wait(timeout=120) == 0
    assert log._forwarder.flush(30)
    assert wait_for(lambda: len(rsyslog.seqs()) >= 600)
    seqs = rsyslog.seqs()
    assert sorted(seqs) == list(range(1, 601))  # every record once, from whichever process
    assert verify(path).ok
    log.close()


def test_a_head_rewritten_half_way_is_read_whole_not_as_a_reset(tmp_path: Path) -> None:
    """A writer rewrites the head file in place under its lock. Read without that lock half
    way through, the head looked damaged (seq 0), the forwarder took the log for one started
    anew and sent every record again (seen with two processes writing one log)."""
    import os

    from lsp_server.audit import chain, lock
    from lsp_server.audit.forward import _head_seq

    log = AuditLog(tmp_path / "audit.jsonl", forward=None)
    for i in range(3):
        log.write(_record(i))
    head_file = chain.head_path(log.path)
    final = head_file.read_bytes()
    assert _head_seq(log.path) == 3
    fd = os.open(head_file, os.O_RDWR)
    seen: list[int] = []
    try:
        lock.lock(fd)  # a writer, half way through rewriting the head
        os.ftruncate(fd, 0)
        os.pwrite(fd, final[: len(final) // 2], 0)
        assert chain.read_head(head_file.read_bytes()) is None  # control: an unlocked read
        reader = threading.Thread(target=lambda: seen.append(_head_seq(log.path)))
        reader.start()
        reader.join(0.3)  # with the fix it waits for the writer; without, it has read 0
        os.pwrite(fd, final, 0)
        lock.unlock(fd)
        reader.join(30)
    finally:
        os.close(fd)
    assert seen == [3]
