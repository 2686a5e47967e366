"""Ignore files on disk: which files they are, and a polling watcher for clients that watch none.

Exclusions follow `.gitignore` (at any depth), `.mistralignore`, `.git/info/exclude` and
`.mistral-lsp.toml`. Editors report changes to them through `didSave` or
`workspace/didChangeWatchedFiles`, but Neovim on Linux declares no file watching, and a
`git checkout` or a script changes them without any editor event at all. The watcher stats
only those files (about once a second, no dependency) and reports the ones that changed,
appeared or disappeared; nested ignore files are rediscovered by a directory walk every
`rediscover_s`, pruned like the index walk.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from .ignore import git_info_exclude
from .walk import PRUNED_DIRS

log = logging.getLogger(__name__)

CONFIG_FILE = ".mistral-lsp.toml"
NESTED_IGNORE_FILES: tuple[str, ...] = (".gitignore", ".mistralignore")
MAX_DIRS = 50_000  # a discovery walk stops here: the root-level files are always watched

Stamp = tuple[int, int, int] | None


def is_ignore_file(path: Path) -> bool:
    """Whether a change to `path` can change what is excluded."""
    if path.name in NESTED_IGNORE_FILES or path.name == CONFIG_FILE:
        return True
    parts = path.parts
    return len(parts) >= 3 and parts[-3:] == (".git", "info", "exclude")


def root_ignore_files(root: Path) -> list[Path]:
    """The files that decide exclusion at a root, whether they exist yet or not."""
    names = (*NESTED_IGNORE_FILES, CONFIG_FILE)
    return [root / name for name in names] + [git_info_exclude(root)]


def nested_ignore_files(root: Path, max_dirs: int = MAX_DIRS) -> list[Path]:
    """Ignore files below `root` (not in pruned dependency or VCS folders)."""
    found: list[Path] = []
    stack = [str(root)]
    seen = 0
    while stack and seen < max_dirs:
        directory = stack.pop()
        seen += 1
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in PRUNED_DIRS and entry.name != ".git":
                            stack.append(entry.path)
                    elif entry.name in NESTED_IGNORE_FILES and directory != str(root):
                        found.append(Path(entry.path))
        except OSError:
            continue
    return found


def _stamp(path: Path) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class IgnoreFileWatcher:
    """Polls the ignore files of some roots and calls `on_change(paths)` from its thread."""

    def __init__(
        self,
        roots: Callable[[], Sequence[Path]],
        on_change: Callable[[list[Path]], None],
        interval_s: float = 1.0,
        rediscover_s: float = 30.0,
    ) -> None:
        self._roots = roots
        self._on_change = on_change
        self._interval = interval_s
        self._rediscover = rediscover_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._nested: dict[Path, list[Path]] = {}
        self._stamps: dict[Path, Stamp] = {}
        self._since_discovery = 0.0

    def start(self) -> None:
        """Begin polling; the first walk runs in the thread (a large tree must not hold up
        the caller, the event loop)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="ignore-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _files(self, discover: bool) -> Iterable[Path]:
        roots = list(self._roots())
        for root in roots:
            if discover or root not in self._nested:
                self._nested[root] = nested_ignore_files(root)
            yield from root_ignore_files(root)
            yield from self._nested[root]
        for gone in set(self._nested) - set(roots):
            del self._nested[gone]

    def _snapshot(self, discover: bool = False) -> dict[Path, Stamp]:
        return {path: _stamp(path) for path in self._files(discover)}

    def poll(self) -> list[Path]:
        """Compare the files with the last poll; return (and remember) what changed."""
        self._since_discovery += self._interval
        discover = self._since_discovery >= self._rediscover
        if discover:
            self._since_discovery = 0.0
        current = self._snapshot(discover)
        paths = current.keys() | self._stamps.keys()
        changed = [p for p in paths if current.get(p) != self._stamps.get(p)]
        self._stamps = current
        return sorted(changed)

    def _run(self) -> None:
        try:
            self._stamps = self._snapshot(discover=True)
        except Exception:  # noqa: BLE001
            log.exception("ignore-file watcher could not list the ignore files")
        while not self._stop.wait(self._interval):
            try:
                changed = self.poll()
                if changed:
                    self._on_change(changed)
            except Exception:  # noqa: BLE001 - the watcher must outlive one bad poll
                log.exception("ignore-file watcher poll failed")
