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

from lsp_server.cli.workspace import session_for
from lsp_server.completion import CompletionEngine, CompletionQuery
from lsp_server.documents import path_to_uri
from lsp_server.index.languages import language_for_path
from lsp_server.session import Session


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("location", help="FILE:LINE:COL, line and column counted from 1")
    parser.add_argument("--json", action="store_true", help="Machine-readable output.")
    parser.add_argument("--root", help="Workspace root (default: nearest folder with a marker).")


def parse_location(location: str) -> tuple[Path, int, int]:
    file_part, line, column = location.rsplit(":", 2)
    return Path(file_part).resolve(), int(line), int(column)


async def complete_at(session: Session, path: Path, line: int, column: int) -> dict:
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
        path, line, column = parse_location(args.location)
    except ValueError:
        print("mistral-lsp complete: expected FILE:LINE:COL", file=sys.stderr)
        return 2
    if not path.is_file():
        print(f"mistral-lsp complete: no such file: {path}", file=sys.stderr)
        return 2
    session = session_for(path, args.root)
    result = asyncio.run(complete_at(session, path, line, column))
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
