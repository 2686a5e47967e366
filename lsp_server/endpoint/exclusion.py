"""Which files' text may never leave the machine.

A built-in deny list (keys, credentials, dotenv files: `deny_list.py`, matched without regard
to case), `.gitignore`d, `.git/info/exclude`d and `.mistralignore`d files, and
`privacy.exclude`. Symlinks are resolved first, and both the name the editor used and the
real file are checked: a link named `.env` and a link pointing at `~/.ssh/id_rsa` are
both excluded. Files outside every workspace root get the deny list and `privacy.exclude`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pathspec

from lsp_server.endpoint.deny_list import DENY_LIST
from lsp_server.index.ignore import IgnoreRules
from lsp_server.index.patterns import LayeredPatterns

__all__ = ["DENY_LIST", "ContentExclusion"]


_MAX_VERDICTS = 65536


class ContentExclusion:
    """Answers "may this file's text be sent?" for a set of workspace roots."""

    def __init__(
        self,
        roots: Sequence[Path | str],
        privacy_exclude: Sequence[Sequence[str]] | Sequence[str] = (),
    ) -> None:
        """`privacy_exclude`: one pattern list per configuration layer (or one flat list)."""
        self._deny = pathspec.GitIgnoreSpec.from_lines([p.lower() for p in DENY_LIST])
        self._extra = LayeredPatterns(privacy_exclude)
        self._rules = [
            IgnoreRules(Path(r), extra_patterns=privacy_exclude, per_file=True) for r in roots
        ]
        # Verdicts per resolved path: the context asks about the same few hundred files on every
        # keystroke. Symlinks are still resolved on each call; ignore-file changes clear it.
        self._verdicts: dict[str, bool] = {}

    def invalidate(self) -> None:
        """Forget cached ignore files (call after a .gitignore / .mistralignore changes)."""
        self._verdicts = {}
        for rules in self._rules:
            rules.invalidate()

    def is_excluded(self, path: Path | str) -> bool:
        raw = os.path.abspath(os.path.expanduser(str(path)))
        real = real_path(raw)
        candidates = [real] if real == raw else [raw, real]
        return any(self._verdict(c) for c in candidates)

    def _verdict(self, path: str) -> bool:
        verdict = self._verdicts.get(path)
        if verdict is None:
            if len(self._verdicts) >= _MAX_VERDICTS:
                self._verdicts = {}
            verdict = self._verdicts[path] = self._excluded_one(path)
        return verdict

    def _excluded_one(self, path: str) -> bool:
        for rules in self._rules:
            rel = _relative(path, rules.root)
            if rel is None:
                continue
            if self._denied(rel):
                return True
            return rules.is_ignored_rel(rel, is_dir=os.path.isdir(path))
        # Outside every root: only the deny list and privacy.exclude, matched on the path's
        # components so that "secrets/" or "*.key" still apply.
        posix = Path(path).as_posix().lstrip("/")
        return bool(self._denied(posix) or self._extra.match(posix))

    def _denied(self, rel: str) -> bool:
        """The deny list, case-insensitively (pathspec is case sensitive: both sides lower)."""
        return bool(self._deny.match_file(rel.lower()))


_FD_LINKS = "/proc/self/fd"
_O_PATH = getattr(os, "O_PATH", 0)


def real_path(path: str) -> str:
    """`os.path.realpath(path)` of an absolute path, asked of the kernel where it can say:
    the path the file opened by that name has (Linux `/proc/self/fd`), two system calls
    instead of one per component. Anything else (no such file, a loop, no /proc) goes to
    `os.path.realpath`. The endpoint resolves every source of every request."""
    if _O_PATH:
        try:
            handle = os.open(path, _O_PATH | os.O_CLOEXEC)
        except OSError:
            return os.path.realpath(path)
        try:
            resolved = os.readlink(f"{_FD_LINKS}/{handle}")
        except OSError:
            resolved = ""
        finally:
            os.close(handle)
        if resolved.startswith("/") and not resolved.endswith(" (deleted)"):
            return resolved
    return os.path.realpath(path)


def _relative(path: str, root: Path) -> str | None:
    try:
        rel = Path(path).relative_to(root)
    except ValueError:
        return None
    text = rel.as_posix()
    return None if text in ("", ".") else text
