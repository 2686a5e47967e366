"""Gitignore-style rules for one repository root: nested ignore files plus extra patterns.

Both the index (what to walk) and the endpoint (what may be sent) ask the same question,
"is this path ignored?", so the answer lives here once. Rules follow git: a deeper ignore
file overrides a shallower one, and the last matching pattern in a file wins.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pathspec

from lsp_server.index.patterns import LayeredPatterns

DEFAULT_IGNORE_FILES: tuple[str, ...] = (".gitignore", ".mistralignore")


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _spec(lines: list[str]) -> pathspec.GitIgnoreSpec:
    """A spec of the valid lines: git skips a pattern it cannot parse (a lone `!`, a trailing
    backslash) and so must we, or one odd ignore file in a repository would stop the index."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        return pathspec.GitIgnoreSpec.from_lines([line for line in lines if _valid(line)])


def _valid(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


def git_info_exclude(root: Path) -> Path:
    """The repository's own ignore file `.git/info/exclude` (in the common git directory when
    `.git` is a worktree's or submodule's `gitdir:` file); git honours it like a root
    `.gitignore`, so privacy must too."""
    dot_git = root / ".git"
    if dot_git.is_file():
        text = "".join(_read_lines(dot_git)[:1])
        if text.startswith("gitdir:"):
            git_dir = (root / text[len("gitdir:") :].strip()).resolve()
            common = "".join(_read_lines(git_dir / "commondir")[:1]).strip()
            dot_git = (git_dir / common).resolve() if common else git_dir
    return dot_git / "info" / "exclude"


class IgnoreRules:
    """Answers whether a path below `root` is ignored by ignore files or extra patterns.

    `extra_patterns` are gitignore-syntax patterns relative to the root (for example
    `index.exclude` or `privacy.exclude`), flat or one list per configuration layer. Ignore
    files are read lazily per directory and cached; call `invalidate()` after an ignore file
    changes on disk.

    `per_file=True` is for privacy: each ignore file is matched on its own and any one that
    ignores a path wins, so a `!negation` can only undo patterns of its own file (git lets a
    deeper file, or `.mistralignore` after `.gitignore`, re-include a path; privacy must not).
    """

    def __init__(
        self,
        root: Path,
        extra_patterns: Sequence[Sequence[str]] | Sequence[str] = (),
        ignore_files: Sequence[str] = DEFAULT_IGNORE_FILES,
        *,
        per_file: bool = False,
    ) -> None:
        self.root = Path(os.path.realpath(root))
        self._ignore_files = tuple(ignore_files)
        self._extra = LayeredPatterns(extra_patterns)
        self._per_file = per_file
        self._specs_for_dir = lru_cache(maxsize=4096)(self._load_dir_specs)

    def invalidate(self) -> None:
        self._specs_for_dir.cache_clear()

    def _load_dir_specs(self, rel_dir: str) -> tuple[pathspec.GitIgnoreSpec, ...]:
        directory = self.root / rel_dir if rel_dir else self.root
        files = [_read_lines(directory / name) for name in self._ignore_files]
        if not rel_dir and ".gitignore" in self._ignore_files:
            files.insert(0, _read_lines(git_info_exclude(self.root)))  # below .gitignore, as git
        if not self._per_file:
            files = [[line for lines in files for line in lines]]
        return tuple(_spec(lines) for lines in files if lines)

    def relative(self, path: Path | str) -> str | None:
        """Repository-relative posix path, after resolving symlinks; None if outside root."""
        real = Path(os.path.realpath(path))
        try:
            rel = real.relative_to(self.root)
        except ValueError:
            return None
        return rel.as_posix()

    def is_ignored_rel(self, rel: str, is_dir: bool = False) -> bool:
        """Whether a repository-relative posix path is ignored (no symlink resolution)."""
        if not rel or rel == ".":
            return False
        candidate = rel + "/" if is_dir else rel
        parts = rel.split("/")
        # A path inside an ignored directory is ignored, whatever deeper files say.
        for depth in range(1, len(parts)):
            if self._decide("/".join(parts[:depth]) + "/", parts[:depth]):
                return True
        return self._decide(candidate, parts)

    def is_ignored_entry(self, rel: str, is_dir: bool = False) -> bool:
        """Like `is_ignored_rel` for a walk that already pruned ignored parent directories.

        Skips the ancestor checks, which makes a top-down walk linear instead of quadratic
        in the depth of the tree.
        """
        if not rel or rel == ".":
            return False
        return self._decide(rel + "/" if is_dir else rel, rel.split("/"))

    def _decide(self, candidate: str, parts: Sequence[str]) -> bool:
        if self._extra.match(candidate):
            return True
        verdict: bool | None = None
        # Shallow to deep: a deeper ignore file overrides a shallower one (unless per_file).
        for depth in range(len(parts)):
            sub = candidate[len("/".join(parts[:depth])) + 1 :] if depth else candidate
            for spec in self._specs_for_dir("/".join(parts[:depth])):
                result = spec.check_file(sub).include
                if result and self._per_file:
                    return True
                if result is not None:
                    verdict = result
        return bool(verdict)
