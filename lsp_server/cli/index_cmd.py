"""`mistral-lsp index PATH [--json]`: index a repository and summarise what was found.

The same `RepoIndex.build` the server runs after `initialized`, with a progress bar on
stderr. Exclusions and the size limit come from the effective configuration for PATH.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from lsp_server.index.model import IndexStats
from lsp_server.index.repo_index import IndexOptions, RepoIndex, options_from_settings

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", help="Repository root (default: .).")
    parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")
    parser.add_argument(
        "--cache-dir", help="Cache directory (default: the user cache dir of mistral-lsp)."
    )
    parser.add_argument("--no-progress", action="store_true", help="No progress bar.")


def _options(root: Path, cache_dir: str | None) -> IndexOptions:
    try:
        from lsp_server.config.loader import load_settings

        settings = load_settings(workspace_roots=[root]).settings
    except Exception as exc:  # configuration problems must not stop a local index
        log.warning("configuration unavailable (%s); using index defaults", exc)
        settings = None
    return options_from_settings(settings, Path(cache_dir) if cache_dir else None)


class _Bar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        width = 30
        filled = int(width * done / total) if total else width
        percent = 100 * done // total if total else 100
        sys.stderr.write(f"\rindexing [{'#' * filled}{'.' * (width - filled)}] "
                         f"{percent:3d}% {done}/{total} files")  # fmt: skip
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def summary_json(stats: IndexStats) -> dict[str, object]:
    return {
        "files": stats.files,
        "symbols": stats.symbols,
        "skipped": sum(stats.skipped.values()),
        "seconds": round(stats.seconds, 3),
        "cached_files": stats.cached_files,
        "languages": stats.languages,
    }


def summary_text(root: Path, stats: IndexStats) -> str:
    lines = [f"indexed {root}"]
    lines.append(f"  files:   {stats.files}")
    for language, count in sorted(stats.languages.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"    {language:<11} {count}")
    lines.append(f"  symbols: {stats.symbols}")
    skipped = sum(stats.skipped.values())
    lines.append(f"  skipped: {skipped}")
    for reason, count in sorted(stats.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"    {reason:<26} {count}")
    lines.append(f"  cache hits: {stats.cached_files} files")
    lines.append(f"  seconds: {stats.seconds:.2f}")
    if stats.cancelled:
        lines.append("  (cancelled)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    root = Path(args.path).expanduser()
    if not root.is_dir():
        print(f"mistral-lsp index: {root} is not a directory", file=sys.stderr)
        return 2
    root = root.resolve()
    index = RepoIndex(root, _options(root, getattr(args, "cache_dir", None)))
    bar = _Bar(not args.no_progress and not args.json)
    try:
        stats = index.build(progress=bar)
    except KeyboardInterrupt:
        bar.finish()
        print("mistral-lsp index: interrupted", file=sys.stderr)
        return 130
    finally:
        index.close()
    bar.finish()
    if args.json:
        print(json.dumps(summary_json(stats)))
    else:
        print(summary_text(root, stats))
    return 0
