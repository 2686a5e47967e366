"""`mistral-lsp refactor FILE --range START:END --instruction "..." [--apply]`.

Runs the server's own refactor service on a Session for the file's workspace and prints the
change as a unified diff (Explain prints Markdown), or writes it with --apply. Lines and
columns count from 1; a range is `LINE:LINE` (whole lines) or `LINE.COL:LINE.COL`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

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
    parser.add_argument("--root", help="Workspace root (default: nearest folder with a marker).")


def parse_range(text: str, doc: Document) -> tuple[int, int]:
    """Offsets of `LINE:LINE` (whole lines, inclusive) or `LINE.COL:LINE.COL`."""
    start_s, end_s = text.split(":", 1)
    if "." in start_s or "." in end_s:
        (sl, sc), (el, ec) = (tuple(int(x) for x in p.split(".", 1)) for p in (start_s, end_s))
        return doc.offset(sl - 1, sc - 1, "utf-32"), doc.offset(el - 1, ec - 1, "utf-32")
    first, last = int(start_s), int(end_s)
    if first < 1 or last < first:
        raise ValueError("bad line range")
    return doc.offset(first - 1, 0, "utf-32"), doc.offset(last, 0, "utf-32")


def render(result: RefactorResult, path: Path, text: str, root: Path) -> str:
    if result.markdown:
        return result.markdown
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    out = unified_diff(text, result.new_text, name) if result.edits else ""
    if result.test_file is not None:
        change = result.test_file
        tpath = change.path
        tname = tpath.relative_to(root).as_posix() if tpath.is_relative_to(root) else tpath.name
        out += unified_diff(change.old_text, change.new_text, tname)
    return out


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
    path = Path(args.file).resolve()
    if not path.is_file():
        print(f"{PROG}: no such file: {path}", file=sys.stderr)
        return 2
    text = path.read_bytes().decode("utf-8")
    spec = language_for_path(path)
    doc = Document(path.as_uri(), spec.id if spec else "plaintext", 1, text, path)
    try:
        start, end = parse_range(args.range, doc)
    except ValueError:
        print(f"{PROG}: --range must be LINE:LINE or LINE.COL:LINE.COL", file=sys.stderr)
        return 2
    session = session_for(path, args.root)
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
    if not result.changed and not result.markdown:
        print(f"{PROG}: Mistral suggested no changes.", file=sys.stderr)
        return 0
    if args.apply and not result.markdown:
        for written in write(result, path):
            print(f"wrote {written}", file=sys.stderr)
        return 0
    sys.stdout.write(render(result, path, text, session.roots[0]))
    return 0
