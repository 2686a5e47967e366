"""`audit report` figures, its text/JSON/HTML forms, and the `audit` command's exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lsp_server.audit import report as audit_report
from lsp_server.audit.chain import iter_records
from lsp_server.audit.html import render
from lsp_server.cli.main import main
from lsp_server.endpoint.audit import AuditLog, AuditRecord

DAY1, DAY2 = "2026-11-20T10:00:00.000+00:00", "2026-11-21T09:30:00.000+00:00"


def _rec(rid: str, decision: str = "sent", **kw: object) -> AuditRecord:
    fields = {"operation": "fim", "origin": "https://m.example", "model": "codestral"} | kw
    return AuditRecord(rid, decision=decision, **fields)  # type: ignore[arg-type]


def _log(tmp_path: Path) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    usage = {"prompt_tokens": 100, "completion_tokens": 10}
    log.write(_rec("a", time=DAY1, bytes_out=1000, bytes_in=200, usage=usage, latency_ms=100.0))
    log.write(_rec("b", time=DAY1, bytes_out=500, usage=usage, latency_ms=300.0))
    log.write(_rec("c", "blocked:excluded", time=DAY1))
    log.write(_rec("d", "blocked:secrets", time=DAY2, redacted={"AWS Access Key": 2}))
    log.write(_rec("e", "failed:timeout", time=DAY2, operation="chat", model="<script>x</script>"))
    log.write(_rec("f", time=DAY2, latency_ms=200.0, redacted={"JWT": 1, "AWS Access Key": 1}))
    for rid in ("a", "b", "f"):
        log.write_event("shown", "python", rid)
    log.write_event("shown", "go", "g")
    log.write_event("accepted", "python", "a")
    log.write_event("partially_accepted", "python", "b", accepted_chars=5)
    return log


def test_figures_per_day_and_total(tmp_path: Path) -> None:
    log = _log(tmp_path)
    data = audit_report.build(iter_records(log.path)).to_dict()
    total = data["total"]
    assert total["requests"] == 6
    assert total["by_operation"] == {"fim": 5, "chat": 1}
    assert total["by_origin"] == {"https://m.example": 6}
    assert (total["sent"], total["blocked"], total["failed"]) == (3, 2, 1)
    assert total["reasons"] == {"blocked:excluded": 1, "blocked:secrets": 1, "failed:timeout": 1}
    assert (total["bytes_out"], total["bytes_in"]) == (1500, 200)
    assert (total["tokens_out"], total["tokens_in"]) == (200, 20)
    assert total["redacted"] == {"AWS Access Key": 3, "JWT": 1}
    assert total["files_excluded"] == 1
    assert total["latency_ms"] == {"p50": 200.0, "p95": 300.0, "count": 3}
    funnel = total["funnel"]
    assert (funnel["shown"], funnel["accepted"], funnel["partially_accepted"]) == (4, 1, 1)
    assert funnel["accepted_chars"] == 5
    assert funnel["acceptance_rate"] == 0.5
    assert funnel["by_language"]["python"]["acceptance_rate"] == round(2 / 3, 4)
    assert funnel["by_language"]["go"]["acceptance_rate"] == 0.0
    day1, day2 = data["days"]["2026-11-20"], data["days"]["2026-11-21"]
    assert (day1["requests"], day2["requests"]) == (3, 3)
    assert day1["latency_ms"]["p50"] == 100.0


def test_since_keeps_only_recent_records(tmp_path: Path) -> None:
    log = _log(tmp_path)
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    since = audit_report.parse_since("1d", now)
    data = audit_report.build(iter_records(log.path), since).to_dict()
    assert "2026-11-20" not in data["days"] and data["days"]["2026-11-21"]["requests"] == 3
    assert audit_report.parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        audit_report.parse_since("last week")


def test_text_table_has_a_column_per_day_and_the_total(tmp_path: Path) -> None:
    text = audit_report.format_text(audit_report.build(iter_records(_log(tmp_path).path)))
    today = datetime.now(UTC).date().isoformat()  # the events are stamped when written
    assert text.splitlines()[2].split() == ["2026-11-20", "2026-11-21", today, "total"]
    assert re.search(r"^blocked\s+1\s+1\s+0\s+2$", text, re.MULTILINE)
    assert re.search(r"^latency p95 ms\s+300\.0\s+200\.0\s+-\s+300\.0$", text, re.MULTILINE)
    assert re.search(r"^completions shown\s+0\s+0\s+4\s+4$", text, re.MULTILINE)
    assert "acceptance by language" in text and "python" in text


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    page = render(audit_report.build(iter_records(_log(tmp_path).path)))
    assert page.count("<svg") == 3
    assert "<script" not in page and "&lt;script&gt;" in page
    for fetch in ("src=", "href=", "@import", "url("):
        assert fetch not in page
    urls = set(re.findall(r"https?://[^\s\"<]+", page))
    assert urls == {"https://m.example", "http://www.w3.org/2000/svg"}  # data and namespace


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium")
def test_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(audit_report.build(iter_records(_log(tmp_path).path))))
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert dom.count("<svg") == 3 and "Acceptance rate per language" in dom


def test_cli_verify_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _log(tmp_path)
    assert main(["audit", "verify", str(log.path)]) == 0
    assert "ok: 12 chained records" in capsys.readouterr().out
    assert main(["audit", "report", str(log.path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["requests"] == 6
    html = tmp_path / "r.html"
    assert main(["audit", "report", str(log.path), "--html", str(html)]) == 0
    assert html.read_text().startswith("<!DOCTYPE html>")
    lines = log.path.read_bytes().splitlines(keepends=True)
    log.path.write_bytes(b"".join(lines[:3] + lines[4:]))
    assert main(["audit", "verify", str(log.path)]) == 1
    assert f"{log.path}:4: 1 record(s) missing" in capsys.readouterr().err
    assert main(["audit", "verify", str(log.path), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["broken"]["line"] == 4 and out["broken"]["file"] == str(log.path)
