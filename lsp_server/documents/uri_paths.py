"""Which workspace path a document URI shows: the one place that decides it, for exclusion.

Editors open more than `file:` documents: the old side of a diff, a file at a commit, the
index version of a file, a notebook cell, an output panel, a file inside a jar. Their text
is often the text of a workspace file, so the exclusion rules of that file apply to it:

- `file:` → the path itself;
- views of a working-tree file at some revision → that file's working-tree path:
  VS Code's git extension (`git:/abs/file.py?{"path":"/abs/file.py","ref":"HEAD"}`, the
  URI path sometimes with `.git` appended), GitLens (`gitlens://<metadata>/abs/file.py`),
  jj (`jj:/abs/file.py?{"rev":"…"}`), vim-fugitive (`fugitive:///repo/.git//0/file.py`,
  `//<sha>/file.py`, `//2/…` during merges), diffview.nvim
  (`diffview:///repo/.git/<abbrev-sha | :0: | [custom]>/file.py`), and VS Code notebook
  cells (`vscode-notebook-cell:/abs/nb.ipynb#cell` → the notebook);
- `untitled:` → a scratch buffer the user types in: allowed, with no workspace path (or
  the path it will be saved to, when it has one);
- anything else (`output:`, `vscode-userdata:`, `zipfile:`, `jdt:`, a view whose path
  cannot be known, a malformed URI) → refused: nothing from it is sent.

Several candidate paths may be returned (a raw and a percent-decoded reading of a URI that
an editor did not encode, the git view's path with and without its `.git` suffix): the
document is excluded when any of them is.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

FILE, VIEW, SCRATCH, REFUSED = "file", "view", "scratch", "refused"

_JSON_QUERY_SCHEMES = frozenset({"git", "gitlens", "jj"})
# fugitive: <gitdir> then `//` (or `::`) then a stage 0-3 or a full object id, then /path.
_FUGITIVE = re.compile(r"^fugitive:(?://)?(.*?)(?://|::)([0-9a-fA-F]{40,}|[0-3])(/.*)?$", re.I)
# diffview: <gitdir>/<context>/<path>; context is an abbreviated commit, `:N:` or `[custom]`.
_DIFFVIEW = re.compile(r"^diffview://(/.*?/\.git(?:/worktrees/[^/]+)?)/([^/]+)/(.+)$", re.I)
_DIFFVIEW_CONTEXT = re.compile(r"^(?:[0-9a-fA-F]{4,64}|:[0-3]:|\[custom\])$")


@dataclass(frozen=True)
class UriOrigin:
    """What a document URI shows. `paths`: working-tree paths whose exclusion rules apply."""

    kind: str
    paths: tuple[Path, ...] = ()
    reason: str = ""

    @property
    def refused(self) -> bool:
        return self.kind == REFUSED


def _refuse(reason: str) -> UriOrigin:
    return UriOrigin(REFUSED, (), reason)


def _absolute(text: str) -> Path | None:
    """An absolute local path, or None (relative, NUL). `..` is resolved by the exclusion
    check itself, which normalises every path before matching."""
    if not text.startswith("/") or "\x00" in text:
        return None
    return Path(text)


def _readings(text: str) -> list[str]:
    """The text as written and percent-decoded: Neovim names plugin buffers without encoding."""
    decoded = unquote(text)
    return [text] if decoded == text else [text, decoded]


def _paths(texts: list[str]) -> tuple[Path, ...]:
    found: list[Path] = []
    for text in texts:
        path = _absolute(text)
        if path is not None and path not in found:
            found.append(path)
    return tuple(found)


def _worktree(git_dir: str) -> Path | None:
    """The working tree of a git directory: `/repo/.git` → `/repo`; a linked worktree's
    `/repo/.git/worktrees/<name>` → the directory its `gitdir` file points back to."""
    path = _absolute(git_dir.rstrip("/"))
    if path is None:
        return None
    if path.name == ".git":
        return path.parent
    if path.parent.name == "worktrees" and path.parent.parent.name == ".git":
        try:
            back = (path / "gitdir").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        target = _absolute(back)
        return target.parent if target is not None and target.name == ".git" else None
    return None


def _json_query_view(scheme: str, parts: tuple[str, str, str, str, str]) -> UriOrigin:
    _, netloc, path, query, _ = parts
    texts: list[str] = []
    try:
        params = json.loads(unquote(query)) if query else {}
    except ValueError:
        params = {}
    if isinstance(params, dict) and isinstance(params.get("path"), str):
        texts.append(params["path"])
    if scheme == "git" and netloc:
        return _refuse("a git: URI with an authority is not a local file")
    for reading in _readings(path):
        texts.append(reading)
        if scheme == "git" and reading.endswith(".git"):
            texts.append(reading[: -len(".git")])  # toGitUri's replaceFileExtension
    paths = _paths(texts)
    if not paths:
        return _refuse(f"no working-tree path in this {scheme}: URI")
    return UriOrigin(VIEW, paths)


def _fugitive_view(uri: str) -> UriOrigin:
    paths: list[Path] = []
    for reading in _readings(uri):
        match = _FUGITIVE.match(reading)
        if match is None:
            continue
        git_dir, _rev, rel = match.groups()
        tree = _worktree(git_dir)
        if tree is None or not rel or rel == "/":
            continue  # a commit or tree object, or a repository whose work tree is unknown
        path = _absolute(str(tree) + rel)
        if path is not None and path not in paths:
            paths.append(path)
    if not paths:
        return _refuse("a fugitive: URI that shows no working-tree file")
    return UriOrigin(VIEW, tuple(paths))


def _diffview_view(uri: str) -> UriOrigin:
    paths: list[Path] = []
    for reading in _readings(uri):
        match = _DIFFVIEW.match(reading)
        if match is None or not _DIFFVIEW_CONTEXT.match(match.group(2)):
            continue
        tree = _worktree(match.group(1))
        path = _absolute(f"{tree}/{match.group(3)}") if tree is not None else None
        if path is not None and path not in paths:
            paths.append(path)
    if not paths:
        return _refuse("a diffview: URI that shows no working-tree file")
    return UriOrigin(VIEW, tuple(paths))


@lru_cache(maxsize=2048)
def classify_uri(uri: str) -> UriOrigin:
    """What `uri` shows and whose rules apply to its text (see the module docstring)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return _refuse("a malformed URI")
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return _refuse("a file: URI on another host")
        path = _absolute(unquote(parts.path))
        return UriOrigin(FILE, (path,)) if path is not None else _refuse("a malformed file: URI")
    if scheme == "untitled":
        # `untitled:Untitled-1`, or `untitled:/ws/new.py` when the editor knows where it goes.
        return UriOrigin(SCRATCH, _paths([unquote(parts.path)]))
    if scheme in _JSON_QUERY_SCHEMES:
        return _json_query_view(scheme, tuple(parts))  # type: ignore[arg-type]
    if scheme == "fugitive":
        return _fugitive_view(uri)
    if scheme == "diffview":
        return _diffview_view(uri)
    if scheme == "vscode-notebook-cell":
        paths = () if parts.netloc else _paths(_readings(parts.path))
        return UriOrigin(VIEW, paths) if paths else _refuse("a notebook cell with no local file")
    return _refuse(f"documents with the {scheme or 'empty'}: scheme are not workspace files")


def local_path(uri: str) -> Path | None:
    """The local path of a `file:` URI, or None for any other scheme or a malformed URI."""
    origin = classify_uri(uri)
    return origin.paths[0] if origin.kind == FILE else None


_logged: set[str] = set()


def uri_excluded(uri: str, path: Path | None, is_excluded: Callable[[Path], bool]) -> bool:
    """Whether nothing of the document at `uri` may be sent: a refused URI, or one whose shown
    path (or `path`, the document's own) is excluded. A scratch buffer is allowed."""
    origin = classify_uri(uri)
    if origin.refused:
        if uri not in _logged and len(_logged) < 1024:
            _logged.add(uri)
            log.info("nothing is sent from %s: %s", uri[:200], origin.reason)
        return True
    paths = origin.paths if path is None or path in origin.paths else (*origin.paths, path)
    return any(is_excluded(p) for p in paths)
