"""`mistral-lsp audit verify [PATH]` and `mistral-lsp audit report [--since 7d] [--json]
[--html FILE]`: check the hash chain; summarise what was sent, refused and kept.

PATH defaults to the configured `privacy.audit_path` (or the default under the user log
directory). `verify` exits 1 on the first broken or missing link, naming its file and line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="Check the hash chain across rotated files.")
    verify.add_argument("path", nargs="?", help="The audit file (default: the configured one).")
    verify.add_argument("--json", action="store_true", help="Machine-readable output.")
    report = actions.add_parser("report", help="Requests, outcomes and acceptance, per day.")
    report.add_argument("path", nargs="?", help="The audit file (default: the configured one).")
    report.add_argument("--since", help="Only records from the last 7d / 12h / 30m, or a date.")
    report.add_argument("--json", action="store_true", help="Machine-readable output.")
    report.add_argument("--html", metavar="FILE", help="Also write a self-contained HTML page.")


def _configured_path() -> Path:
    from lsp_server.config import load_settings
    from lsp_server.endpoint.audit import default_audit_path

    privacy = load_settings([Path.cwd()]).settings.privacy
    return Path(privacy.audit_path).expanduser() if privacy.audit_path else default_audit_path()


def _verify(args: argparse.Namespace, path: Path) -> int:
    from lsp_server.audit.chain import verify

    result = verify(path)
    if args.json:
        out = {
            "ok": result.ok,
            "path": str(path),
            "files": result.files,
            "records": result.records,
            "unchained": result.unchained,
            "first_seq": result.first_seq,
            "last_seq": result.last.seq if result.last else None,
            "broken": None
            if result.broken is None
            else {
                "file": result.broken.file,
                "line": result.broken.line,
                "problem": result.broken.problem,
            },
            "notes": result.notes,
        }
        print(json.dumps(out, indent=2))
    elif not result.files:
        print(f"no audit records at {path}")
    elif result.broken is None:
        last = result.last.seq if result.last else 0
        print(
            f"ok: {result.records} chained records in {len(result.files)} file(s), "
            f"seq {result.first_seq}..{last}"
        )
    else:
        print(f"BROKEN at {result.broken}", file=sys.stderr)
    if not args.json:
        for note in result.notes:
            print(f"note: {note}")
    return 0 if result.ok else 1


def _report(args: argparse.Namespace, path: Path) -> int:
    from lsp_server.audit import report as audit_report
    from lsp_server.audit.chain import iter_records

    try:
        since = audit_report.parse_since(args.since) if args.since else None
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    result = audit_report.build(iter_records(path), since)
    if args.html:
        from lsp_server.audit.html import render

        Path(args.html).write_text(render(result), encoding="utf-8")
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        sys.stdout.write(audit_report.format_text(result))
        if args.html:
            print(f"\nwrote {args.html}")
    return 0


def run(args: argparse.Namespace) -> int:
    path = Path(args.path).expanduser() if args.path else _configured_path()
    if args.action == "verify":
        return _verify(args, path)
    return _report(args, path)
