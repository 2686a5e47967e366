"""Finding the files to index: one top-down walk that prunes what must be left out.

Everything decidable from a name or a `stat` happens here (ignore files, exclusions,
dependency/build folders, size, minified file names). Decisions that need the content
(binary, invalid UTF-8, generated) are taken by the reader in `worker.py`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from .ignore import IgnoreRules
from .languages import LanguageId, language_for_path
from .patterns import LayeredPatterns

#: Folders that hold VCS data, dependencies, virtual environments or build output.
_PRUNED_DIRS_TEXT = (
    ".git .hg .svn .bzr _darcs .jj node_modules bower_components jspm_packages .venv venv "
    ".virtualenv virtualenv __pycache__ .mypy_cache .pytest_cache .ruff_cache .tox .nox "
    ".eggs site-packages dist-packages dist build target vendor .gradle .idea .vscode-test "
    ".next .nuxt .svelte-kit .parcel-cache .turbo .cache .terraform bazel-out .build "
    "Pods DerivedData obj out"
)
PRUNED_DIRS = frozenset(_PRUNED_DIRS_TEXT.split())

#: File names that are generated or minified whatever their content.
GENERATED_NAME = re.compile(
    r"(\.min\.(js|mjs|cjs)$|[.-]bundle\.js$|\.chunk\.js$|_pb2(_grpc)?\.pyi?$|\.pb\.(go|cc|h)$"
    r"|\.g\.cs$|\.designer\.cs$|\.generated\.\w+$|_generated\.\w+$|\.gen\.go$)",
    re.IGNORECASE,
)

#: Why a path is not indexed, as counted in IndexStats.skipped and stored for skipped files.
SkipReason = Literal[
    "ignored",
    "excluded",
    "privacy",
    "too large",
    "generated or minified",
    "binary",
    "invalid utf-8",
    "parse timeout",
    "unreadable",
    "dependency/build folders",
]
IGNORED: Final = "ignored"
EXCLUDED: Final = "excluded"
PRIVACY: Final = "privacy"
TOO_LARGE: Final = "too large"
GENERATED: Final = "generated or minified"
BINARY: Final = "binary"
INVALID_UTF8: Final = "invalid utf-8"
PARSE_TIMEOUT: Final = "parse timeout"
UNREADABLE: Final = "unreadable"
DEPENDENCY_DIRS: Final = "dependency/build folders"


def read_signature(stat: os.stat_result) -> str:
    """Size, mtime, ctime and inode: what a file's content is trusted unchanged by (a
    write sets the ctime, which no one can set back; a replaced file has another inode)."""
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"


@dataclass(frozen=True, slots=True)
class Candidate:
    rel: str
    abspath: str
    size: int
    mtime_ns: int
    language: LanguageId
    #: `read_signature` of the listing's stat; "" where the listing gives no inode (Windows)
    signature: str = ""


class Exclusions:
    """All the name-based rules of one root: ignore files, index.exclude, privacy.exclude."""

    def __init__(
        self,
        rules: IgnoreRules,
        exclude: Sequence[Sequence[str]] | Sequence[str] = (),
        privacy_exclude: Sequence[Sequence[str]] | Sequence[str] = (),
        max_bytes: int = 512 * 1024,
    ) -> None:
        self.rules = rules
        self.exclude = LayeredPatterns(exclude)
        self.privacy = LayeredPatterns(privacy_exclude)
        self.max_bytes = max_bytes

    def dir_reason(self, rel: str, name: str, abspath: str) -> SkipReason | None:
        """Why a directory is not walked, or None."""
        if name in PRUNED_DIRS or os.path.isfile(os.path.join(abspath, "pyvenv.cfg")):
            return DEPENDENCY_DIRS
        return self._rule_reason(rel, True)

    def _rule_reason(self, rel: str, is_dir: bool) -> SkipReason | None:
        if self.rules.is_ignored_entry(rel, is_dir):
            return IGNORED
        candidate = rel + "/" if is_dir else rel
        if self.privacy.match(candidate):
            return PRIVACY
        if self.exclude.match(candidate):
            return EXCLUDED
        return None

    def file_reason(self, rel: str, size: int) -> SkipReason | None:
        """Why a source file is not indexed (from its name and size), or None."""
        reason = self._rule_reason(rel, False)
        if reason is not None:
            return reason
        if size > self.max_bytes:
            return TOO_LARGE
        if GENERATED_NAME.search(rel):
            return GENERATED
        return None

    def path_reason(self, rel: str, size: int = 0) -> SkipReason | None:
        """The reason for any repository-relative path, checking every ancestor folder."""
        parts = rel.split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            name = parts[depth - 1]
            reason = self.dir_reason(prefix, name, os.path.join(self.rules.root, prefix))
            if reason is not None:
                return reason
        return self.file_reason(rel, size)


def walk(root: str, exclusions: Exclusions) -> tuple[list[Candidate], Counter[SkipReason]]:
    """Source files below root that may be indexed, and counts of what was left out."""
    skipped: Counter[SkipReason] = Counter()
    found: list[Candidate] = []
    stack: list[tuple[str, str]] = [(root, "")]
    while stack:
        directory, rel_dir = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            skipped[UNREADABLE] += 1
            continue
        for entry in entries:
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            try:
                if entry.is_dir(follow_symlinks=False):
                    reason = exclusions.dir_reason(rel, name, entry.path)
                    if reason is None:
                        stack.append((entry.path, rel))
                    else:
                        skipped[reason] += 1
                    continue
                if not entry.is_file():  # symlinks to files are followed, others skipped
                    continue
                spec = language_for_path(name)
                if spec is None:
                    continue
                stat = entry.stat()
            except OSError:
                skipped[UNREADABLE] += 1
                continue
            reason = exclusions.file_reason(rel, stat.st_size)
            if reason is not None:
                skipped[reason] += 1
                continue
            signature = read_signature(stat) if stat.st_ino else ""
            found.append(
                Candidate(rel, entry.path, stat.st_size, stat.st_mtime_ns, spec.id, signature)
            )
    return found, skipped
