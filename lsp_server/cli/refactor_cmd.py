"""`mistral-lsp refactor FILE --range START:END --instruction "..." [--apply]`.

Runs the server's own refactor service on a Session for the file's workspace and prints the
change as a unified diff (Explain prints Markdown), or writes it with --apply. Lines and
columns count from 1; a range is `LINE:LINE` (whole lines) or `LINE.COL:LINE.COL`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from pathlib import Path

from lsp_server.cli.source import UsageError, check_position, display_path, read_source
from lsp_server.cli.workspace import session_for
from lsp_server.documents import Document
from lsp_server.index.languages import language_for_path
from lsp_server.refactor import (
    ACTIONS,
    RefactorError,
    RefactorRequest,
    RefactorResult,
    RefactorService,
    unified_diff,
)
from lsp_server.refactor.actions import REFACTOR
from lsp_server.session import Session

PROG = "mistral-lsp refactor"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="The file to refactor.")
    parser.add_argument(
        "--range",
        required=True,
        metavar="START:END",
        help="Lines START:END (inclusive, from 1) or LINE.COL:LINE.COL (END exclusive).",
    )
    parser.add_argument("--instruction", default="", help="What to do (for --action refactor).")
    parser.add_argument(
        "--action",
        default=REFACTOR,
        choices=sorted(a for a in ACTIONS if a != "fix"),
        help="Which action (default: refactor, which needs --instruction).",
    )
    parser.add_argument("--apply", action="store_true", help="Write the change instead of a diff.")
    parser.add_argument("--json", action="store_true", help="Machine-readable output.")
    parser.add_argument("--root", help="Workspace root (default: nearest folder with a marker).")
    parser.add_argument(
        "--stdin-filename", metavar="PATH", help="With FILE '-': the path the text stands for."
    )


def _line_count(doc: Document) -> int:
    return doc.text.count("\n") + (0 if doc.text.endswith("\n") else 1)


def parse_range(text: str, doc: Document) -> tuple[int, int]:
    """Offsets of `LINE:LINE` (whole lines, inclusive) or `LINE.COL:LINE.COL`.

    ValueError for a malformed range, UsageError (with the file's bounds) for one outside it.
    """
    start_s, end_s = text.split(":", 1)
    count = max(_line_count(doc), 1)
    if "." in start_s or "." in end_s:
        (sl, sc), (el, ec) = (tuple(int(x) for x in p.split(".", 1)) for p in (start_s, end_s))
        for line, column in ((sl, sc), (el, ec)):
            check_position(doc.text, line, column, f"{PROG}: --range {text}")
        start, end = doc.offset(sl - 1, sc - 1, "utf-32"), doc.offset(el - 1, ec - 1, "utf-32")
        if end < start:
            raise UsageError(f"{PROG}: --range {text} ends before it starts")
        return start, end
    first, last = int(start_s), int(end_s)
    if first < 1 or last < first:
        raise ValueError("bad line range")
    if last > count:
        raise UsageError(f"{PROG}: --range {text} is outside the file (lines 1-{count})")
    return doc.offset(first - 1, 0, "utf-32"), doc.offset(last, 0, "utf-32")


def changed_files(result: RefactorResult, path: Path, text: str) -> list[tuple[Path, str, str]]:
    """(path, old text, new text) of every file the refactor changes or creates."""
    files: list[tuple[Path, str, str]] = []
    if result.edits:
        files.append((path, text, result.new_text))
    if result.test_file is not None:
        change = result.test_file
        files.append((change.path, change.old_text, change.new_text))
    return files


def render(
    result: RefactorResult,
    path: Path,
    text: str,
    root: Path | None = None,
    cwd: Path | None = None,
) -> str:
    """Markdown for explain; else a diff with names relative to `cwd` (git apply, patch -p1)
    when the files are under it, else relative to the project `root`."""
    if result.markdown:
        return result.markdown
    files = changed_files(result, path, text)
    return "".join(unified_diff(old, new, display_path(p, cwd, root)) for p, old, new in files)


def write(result: RefactorResult, path: Path) -> list[Path]:
    written: list[Path] = []
    if result.edits:
        path.write_text(result.new_text, encoding="utf-8", newline="")
        written.append(path)
    if result.test_file is not None:
        change = result.test_file
        change.path.parent.mkdir(parents=True, exist_ok=True)
        change.path.write_text(change.new_text, encoding="utf-8", newline="")
        written.append(change.path)
    return written


async def refactor(session: Session, request: RefactorRequest) -> RefactorResult:
    try:
        return await RefactorService(session).run(request)
    finally:
        await session.aclose()


def run(args: argparse.Namespace) -> int:
    try:
        source = read_source(args.file, args.stdin_filename, PROG)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    path, text = source.path, source.text
    spec = language_for_path(path)
    doc = Document(path.as_uri(), spec.id if spec else "plaintext", 1, text, path)
    try:
        start, end = parse_range(args.range, doc)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except ValueError:
        print(f"{PROG}: --range must be LINE:LINE or LINE.COL:LINE.COL", file=sys.stderr)
        return 2
    if args.action == REFACTOR and not args.instruction.strip():
        print(f"{PROG}: --action refactor needs --instruction TEXT", file=sys.stderr)
        return 2
    session = session_for(path, args.root)
    root = session.roots[0]
    if (index := session.index_for(path)) is not None:
        index.update_text(path, text)
    request = RefactorRequest(
        action=args.action,
        path=path,
        language_id=doc.language_id,
        text=text,
        start=start,
        end=end,
        instruction=args.instruction,
    )
    try:
        result = asyncio.run(refactor(session, request))
    except RefactorError as exc:
        print(f"{PROG}: {exc.reason}", file=sys.stderr)
        return 1
    if args.json:
        files = changed_files(result, path, text)
        print(
            json.dumps(
                {
                    "action": args.action,
                    "changed": bool(result.changed),
                    "markdown": result.markdown or None,
                    "diff": render(result, path, text, root) if not result.markdown else None,
                    "files": [
                        {"path": display_path(p, root=root), "created": not p.exists()}
                        for p, _, _ in files
                    ],
                },
                indent=2,
            )
        )
        return 0
    if not result.changed and not result.markdown:
        print(f"{PROG}: Mistral suggested no changes.", file=sys.stderr)
        if source.from_stdin and args.apply:
            sys.stdout.write(text)
        return 0
    if args.apply and not result.markdown:
        if source.from_stdin:
            # A filter: the changed text on stdout; a generated test file is still written.
            sys.stdout.write(result.new_text if result.edits else text)
            result = _without_main_edits(result)
        for written in write(result, path):
            print(f"wrote {display_path(written, root=root)}", file=sys.stderr)
        return 0
    sys.stdout.write(render(result, path, text, root))
    return 0


def _without_main_edits(result: RefactorResult) -> RefactorResult:
    return dataclasses.replace(result, edits=[])
