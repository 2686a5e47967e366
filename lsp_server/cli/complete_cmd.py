"""`mistral-lsp complete FILE:LINE:COL [--json]`: what an editor would be offered there.

Runs the server's own completion engine on a Session for the file's workspace, so the answer
is the one the editor gets: from the endpoint when one is configured, else from the index.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from lsp_server.cli.source import UsageError, check_position, read_source
from lsp_server.cli.workspace import session_for
from lsp_server.completion import CompletionEngine, CompletionQuery
from lsp_server.documents import path_to_uri
from lsp_server.index.languages import language_for_path
from lsp_server.session import Session

PROG = "mistral-lsp complete"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "location",
        nargs="+",
        metavar="FILE:LINE:COL",
        help="Line and column counted from 1; '- LINE:COL' reads the text from stdin.",
    )
    parser.add_argument("--json", action="store_true", help="Machine-readable output.")
    parser.add_argument("--root", help="Workspace root (default: nearest folder with a marker).")
    parser.add_argument(
        "--stdin-filename", metavar="PATH", help="With FILE '-': the path the text stands for."
    )


def parse_location(location: str | list[str]) -> tuple[str, int, int]:
    """`FILE:LINE:COL` or `- LINE:COL` → (FILE, LINE, COL); ValueError for any other shape."""
    if isinstance(location, list):
        if len(location) == 2 and location[0] == "-":
            line, column = location[1].split(":")
            return "-", int(line), int(column)
        if len(location) != 1:
            raise ValueError(location)
        location = location[0]
    file_part, line, column = location.rsplit(":", 2)
    if not file_part:
        raise ValueError(location)
    return file_part, int(line), int(column)


async def complete_at(
    session: Session, path: Path, line: int, column: int, text: str | None = None
) -> dict[str, Any]:
    if text is None:
        text = path.read_text(encoding="utf-8")
    spec = language_for_path(path)
    uri = path_to_uri(path)
    doc = session.documents.open(uri, spec.id if spec else "plaintext", 1, text)
    offset = doc.offset(line - 1, column - 1, "utf-32")
    if (index := session.index_for(path)) is not None:
        index.update_text(path, text)
    engine = CompletionEngine(session)
    query = CompletionQuery(uri, path, doc.language_id, text, offset, invoked=True)
    suggestion = await engine.complete(query)
    items = engine.index_items(query, limit=10)
    await session.aclose()
    return {
        "source": suggestion.source if suggestion else None,
        "text": suggestion.text if suggestion else None,
        "index_items": [{"label": i.label, "kind": i.kind, "detail": i.detail} for i in items],
        "status": session.current_status().to_json(),
    }


def run(args: argparse.Namespace) -> int:
    try:
        file, line, column = parse_location(args.location)
    except ValueError:
        got = " ".join(args.location)
        print(f"{PROG}: expected FILE:LINE:COL or '- LINE:COL', got {got!r}", file=sys.stderr)
        return 2
    try:
        source = read_source(file, args.stdin_filename, PROG)
        check_position(source.text, line, column, PROG)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    path = source.path
    session = session_for(path, args.root)
    result = asyncio.run(complete_at(session, path, line, column, source.text))
    status = result["status"]
    if status["state"] != "ready":
        print(f"mistral-lsp: {status['state']}: {status['message']}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    if result["text"] is None:
        print("(no completion here)")
    else:
        origin = "AI" if result["source"] in ("ai", "cache") else "index"
        print(f"[{origin}] {result['text']}")
    for item in result["index_items"]:
        print(f"  {item['label']:<24} {item['kind']:<10} {item['detail']}")
    return 0
