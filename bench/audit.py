"""The audit trail's costs: a write per request, verifying a million records, forwarding.

1. Write cost per request (p50, p99): the hash chain + cross-process lock (`AuditLog`) against
   the previous plain append (same record, same run, interleaved in blocks), and with a
   forwarder running, to show forwarding adds nothing to the write path.
2. `audit verify` on 1,000,000 chained records (generated with the writer's own encoder).
3. Forwarding: throughput to a real rsyslogd on loopback (syslog over TCP), and what happens
   to records written while it is down (kept in the file, sent when it is back, counted).

    python bench/audit.py [--writes 20000] [--verify-records 1000000] [--forward 50000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsp_server.audit import chain  # noqa: E402
from lsp_server.audit.config import ForwardConfig  # noqa: E402
from lsp_server.config.settings import PolicySettings  # noqa: E402
from lsp_server.endpoint.audit import AuditLog, AuditRecord  # noqa: E402
from tests.unit.audit.collectors import Rsyslog, rsyslogd, wait_for  # noqa: E402


def _record(i: int) -> AuditRecord:
    return AuditRecord(
        request_id=f"{i:032x}",
        operation="fim",
        origin="https://mistral.internal.example",
        model="codestral-latest",
        decision="sent",
        bytes_out=3120,
        bytes_in=412,
        usage={"prompt_tokens": 812, "completion_tokens": 37, "total_tokens": 849},
        latency_ms=183.4,
        http_status=200,
        redacted={"AWS Access Key": 1},
        payload_sha256="ab" * 32,
        sources=["src/app/models.py", "src/app/views.py", "src/app/util.py"],
        policy_digest="cd" * 16,
    )


class PlainLog:
    """The writer before the chain: one JSON line appended, rotation by size, no lock file."""

    def __init__(self, path: Path, max_bytes: int = 10 * 1024 * 1024) -> None:
        self.path, self.max_bytes = path, max_bytes

    def write(self, record: AuditRecord) -> None:
        line = json.dumps(asdict(record), separators=(",", ":"), sort_keys=True) + "\n"
        data = line.encode("utf-8")
        try:
            if self.path.stat().st_size + len(data) > self.max_bytes:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        except FileNotFoundError:
            pass
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def bench_writes(n: int, root: Path, sink_port: int | None) -> dict[str, Any]:
    writers: dict[str, Any] = {
        "plain append (before)": PlainLog(root / "plain.jsonl"),
        "chain + lock": AuditLog(root / "chained.jsonl", forward=None),
    }
    if sink_port is not None:
        config = ForwardConfig(f"syslog+tcp://127.0.0.1:{sink_port}", policy=PolicySettings())
        writers["chain + lock + forwarding"] = AuditLog(root / "fwd.jsonl", forward=config)
    times: dict[str, list[float]] = {name: [] for name in writers}
    block = 500
    for start in range(0, n, block):
        for name, writer in writers.items():  # interleaved: the same machine state for all
            for i in range(start, min(n, start + block)):
                record = _record(i)
                t0 = time.perf_counter()
                writer.write(record)
                times[name].append((time.perf_counter() - t0) * 1e6)
    for writer in writers.values():
        if isinstance(writer, AuditLog):
            writer.close(30)
    return {
        name: {
            "p50_us": round(_pct(v, 50), 1),
            "p99_us": round(_pct(v, 99), 1),
            "mean_us": round(statistics.fmean(v), 1),
        }
        for name, v in times.items()
    }


def bench_verify(n: int, root: Path) -> dict[str, Any]:
    path = root / "million.jsonl"
    base = {k: v for k, v in asdict(_record(0)).items()}
    base["kind"] = "request"
    link = chain.START
    t0 = time.perf_counter()
    with open(path, "wb") as fh:
        for i in range(n):
            base["request_id"] = f"{i:032x}"
            data = chain.encode(base, link)
            fh.write(data)
            link = chain.Link(link.seq + 1, chain.line_hash(data[:-1]))
    st = os.stat(path)
    chain.head_path(path).write_bytes(chain.encode_head(link, st.st_size, st.st_ino))
    generated = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = chain.verify(path)
    elapsed = time.perf_counter() - t0
    assert result.ok and result.records == n, result.broken
    return {
        "records": n,
        "file_mb": round(st.st_size / 1e6, 1),
        "verify_s": round(elapsed, 2),
        "records_per_s": round(n / elapsed),
        "generate_s": round(generated, 1),
    }


def bench_forward(n: int, root: Path) -> dict[str, Any]:
    if rsyslogd() is None:
        return {"skipped": "rsyslogd not installed"}
    server = Rsyslog(root / "rsyslog")
    server.start()
    try:
        path = root / "fwd-throughput.jsonl"
        quiet = AuditLog(path, forward=None)
        for i in range(n):
            quiet.write(_record(i))
        quiet.close()
        config = ForwardConfig(
            f"syslog+tcp://127.0.0.1:{server.port}", policy=PolicySettings(), poll_s=0.2
        )
        t0 = time.perf_counter()
        log = AuditLog(path, forward=config)
        log._forwarder.notify()
        assert log._forwarder.flush(600)
        elapsed = time.perf_counter() - t0
        assert wait_for(lambda: len(server.seqs()) >= n, 120)
        throughput = {
            "records": n,
            "seconds": round(elapsed, 2),
            "records_per_s": round(n / elapsed),
        }
        log.close()

        # The collector goes down; records keep being written, then it comes back.
        outage_path = root / "fwd-outage.jsonl"
        before = len(server.seqs())
        fast = ForwardConfig(
            config.url, policy=PolicySettings(), min_backoff_s=0.2, max_backoff_s=2.0, poll_s=0.2
        )
        log = AuditLog(outage_path, forward=fast)
        for i in range(1000):
            log.write(_record(i))
        assert wait_for(lambda: len(server.seqs()) - before >= 1000, 60)
        server.stop()
        down_writes: list[float] = []
        for i in range(1000, 6000):
            t0 = time.perf_counter()
            log.write(_record(i))
            down_writes.append((time.perf_counter() - t0) * 1e6)
        wait_for(lambda: log._forwarder.stats.failures > 0, 30)
        backlog = log._forwarder.backlog()
        server.start()
        t0 = time.perf_counter()
        assert log._forwarder.flush(300)
        recovered = time.perf_counter() - t0
        seqs = server.seqs()[before:]
        counts = Counter(seqs)
        outage = {
            "written_while_down": 5000,
            "write_p50_us_while_down": round(_pct(down_writes, 50), 1),
            "write_p99_us_while_down": round(_pct(down_writes, 99), 1),
            "backlog_in_file_while_down": backlog,
            "send_failures_while_down": log._forwarder.stats.failures,
            "seconds_to_drain_after_restart": round(recovered, 2),
            "received": len(set(seqs)),
            "lost": 6000 - len(set(seqs) & set(range(1, 6001))),
            "duplicates": sum(c - 1 for c in counts.values()),
        }
        log.close()
        return {"throughput": throughput, "outage": outage}
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=20000)
    parser.add_argument("--verify-records", type=int, default=1_000_000)
    parser.add_argument("--forward", type=int, default=50000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sink = Rsyslog(root / "sink") if rsyslogd() else None
        if sink is not None:
            sink.start()
        try:
            writes = bench_writes(args.writes, root, sink.port if sink else None)
        finally:
            if sink is not None:
                sink.stop()
        results = {
            "write_cost": writes,
            "verify": bench_verify(args.verify_records, root),
            "forward": bench_forward(args.forward, root),
        }
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"audit write cost per request ({args.writes} writes each, interleaved):")
    for name, row in results["write_cost"].items():
        print(f"  {name:<28} p50 {row['p50_us']:>7.1f} µs   p99 {row['p99_us']:>7.1f} µs")
    v = results["verify"]
    print(
        f"audit verify: {v['records']} records ({v['file_mb']} MB) in {v['verify_s']} s "
        f"= {v['records_per_s']} records/s"
    )
    f = results["forward"]
    if "skipped" in f:
        print(f"forwarding: skipped ({f['skipped']})")
    else:
        t, o = f["throughput"], f["outage"]
        print(
            f"forwarding to rsyslog (TCP, loopback): {t['records']} records in {t['seconds']} s "
            f"= {t['records_per_s']} records/s"
        )
        print(
            f"collector down: {o['written_while_down']} records written "
            f"(write p50 {o['write_p50_us_while_down']} µs, "
            f"p99 {o['write_p99_us_while_down']} µs), "
            f"backlog {o['backlog_in_file_while_down']} kept in the file, "
            f"{o['send_failures_while_down']} failed attempts; back up: drained in "
            f"{o['seconds_to_drain_after_restart']} s, {o['received']} received, "
            f"{o['lost']} lost, {o['duplicates']} duplicates"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
